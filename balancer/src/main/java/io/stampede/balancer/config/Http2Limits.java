package io.stampede.balancer.config;

import java.time.Duration;

/**
 * HTTP/2 to clients: nginx's {@code http2_max_concurrent_streams}, and our guards against the
 * known floods, each a count a connection may reach before it is closed with GOAWAY.
 *
 * @param maxConcurrentStreams {@code http2_max_concurrent_streams} (nginx's default 128), sent
 *     in SETTINGS; a stream beyond it is refused
 * @param maxResets {@code http2_max_resets COUNT WINDOW} (ours): RST_STREAM frames a client may send,
 *     or provoke from us, per {@code resetWindow} (rapid reset, CVE-2023-44487; "made you reset",
 *     CVE-2025-55163)
 * @param maxQueuedControlFrames {@code http2_max_control_frames} (ours): answers to PING and
 *     SETTINGS waiting for a client that does not read them (PING and SETTINGS floods)
 * @param maxContinuationFrames {@code http2_max_continuation_frames} (ours): small CONTINUATION
 *     frames in one header block (the CONTINUATION flood)
 */
public record Http2Limits(int maxConcurrentStreams, int maxResets, Duration resetWindow,
                          int maxQueuedControlFrames, int maxContinuationFrames) {
    public static final Http2Limits DEFAULTS = new Http2Limits(128, 200, Duration.ofSeconds(30), 10_000, 16);
}
