package io.stampede.balancer.config;

import java.time.Duration;

/**
 * How the proxy treats its clients, with nginx's directive names and defaults.
 *
 * @param maxBodySize {@code client_max_body_size}, 0 for no limit
 * @param bodyBufferSize {@code client_body_buffer_size}: bodies up to this are held so a request
 *     can be retried; larger ones stream to the first upstream and are not retried once sent
 * @param headerBuffers {@code large_client_header_buffers} count
 * @param headerBufferSize {@code large_client_header_buffers} size: the longest request line or header line
 * @param bodyMinRate {@code client_body_min_rate RATE [GRACE]} (ours): bytes per second a body must
 *     average once it has taken longer than {@code bodyRateGrace}; 0 turns the check off
 * @param mergeSlashes {@code merge_slashes}: {@code //} in a path counts as {@code /} when locations are matched
 * @param underscoresInHeaders {@code underscores_in_headers}: whether {@code _} is valid in a header name
 * @param ignoreInvalidHeaders {@code ignore_invalid_headers}: headers with invalid names are dropped
 *     (neither forwarded nor seen by variables) rather than passed on
 */
public record ClientSettings(long maxBodySize, int bodyBufferSize, Duration headerTimeout, Duration bodyTimeout,
                             Duration keepaliveTimeout, int keepaliveRequests, Duration sendTimeout,
                             int headerBuffers, int headerBufferSize, long bodyMinRate, Duration bodyRateGrace,
                             boolean mergeSlashes, boolean underscoresInHeaders, boolean ignoreInvalidHeaders) {}
