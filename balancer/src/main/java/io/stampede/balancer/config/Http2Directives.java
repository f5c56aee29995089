package io.stampede.balancer.config;

import io.stampede.common.Durations;
import io.stampede.common.yaml.YamlNode;
import java.time.Duration;
import java.util.Map;
import java.util.Set;

/** Reads {@code http2} and the {@code http2_*} limits from the top level. */
final class Http2Directives {
    static final Set<String> KEYS = Set.of("http2", "http2_max_concurrent_streams", "http2_max_resets",
            "http2_max_control_frames", "http2_max_continuation_frames",
            // nginx's obsolete ones, refused with what replaced them
            "http2_idle_timeout", "http2_max_requests", "http2_max_field_size", "http2_max_header_size",
            "http2_recv_timeout");

    private Http2Directives() {}

    /** Whether {@code http2: on} turns HTTP/2 on for every listener. */
    static boolean on(Map<String, YamlNode> top) {
        YamlNode n = top.get("http2");
        return n != null && ServerLines.flag(n, "http2", n.text());
    }

    static Http2Limits read(Map<String, YamlNode> top) {
        obsolete(top, "http2_idle_timeout", "keepalive_timeout");
        obsolete(top, "http2_recv_timeout", "client_header_timeout");
        obsolete(top, "http2_max_requests", "keepalive_requests");
        obsolete(top, "http2_max_field_size", "large_client_header_buffers");
        obsolete(top, "http2_max_header_size", "large_client_header_buffers");
        Http2Limits d = Http2Limits.DEFAULTS;
        int streams = count(top, "http2_max_concurrent_streams", d.maxConcurrentStreams(), 1, 65_536);
        int resets = d.maxResets();
        Duration window = d.resetWindow();
        YamlNode r = top.get("http2_max_resets");
        if (r != null) {
            String[] w = r.text().trim().split("\\s+");
            try {
                if (w.length != 2) {
                    throw new IllegalArgumentException();
                }
                resets = Integer.parseInt(w[0]);
                window = Durations.parse(w[1]);
                if (resets < 1 || window.toSeconds() < 1 || window.toSeconds() > 3600) {
                    throw new IllegalArgumentException();
                }
            } catch (IllegalArgumentException e) {
                throw r.invalid("COUNT WINDOW: resets allowed per window of 1s to 1h, e.g. 200 30s");
            }
        }
        return new Http2Limits(streams, resets, window,
                count(top, "http2_max_control_frames", d.maxQueuedControlFrames(), 16, 1_000_000),
                count(top, "http2_max_continuation_frames", d.maxContinuationFrames(), 1, 10_000));
    }

    private static int count(Map<String, YamlNode> top, String key, int fallback, int min, int max) {
        YamlNode n = top.get(key);
        return n == null ? fallback : n.integer(min, max, "an integer from " + min + " to " + max);
    }

    private static void obsolete(Map<String, YamlNode> top, String key, String replacement) {
        YamlNode n = top.get(key);
        if (n != null) {
            throw n.error("'" + key + "' is obsolete in nginx since 1.19.7: use " + replacement + " (it applies to HTTP/2 too)");
        }
    }
}
