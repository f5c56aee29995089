package io.stampede.balancer.config;

import java.time.Duration;
import java.util.List;

/**
 * The {@code proxy_*} directives in force for a location (set at the top level, overridden per
 * location, as nginx's http and location levels inherit).
 *
 * @param forwardedHeaders our switch for the usual recipe ({@code X-Forwarded-For},
 *     {@code X-Real-IP}, {@code X-Forwarded-Proto}), on unless turned off
 * @param bufferSize {@code proxy_buffer_size}: the largest upstream response head accepted
 * @param ssl the {@code proxy_ssl_*} directives, used where {@code proxy_pass} is {@code https://}
 * @param http2 {@code proxy_http_version 2}: requests go to the servers as HTTP/2 streams,
 *     multiplexed over few connections (always so under {@code grpc_pass})
 */
public record ProxySettings(int nextUpstream, int nextUpstreamTries, Duration nextUpstreamTimeout,
                            Duration connectTimeout, Duration readTimeout, Duration sendTimeout,
                            List<HeaderSetting> setHeaders, boolean forwardedHeaders, int bufferSize,
                            UpstreamSsl ssl, boolean http2) {}
