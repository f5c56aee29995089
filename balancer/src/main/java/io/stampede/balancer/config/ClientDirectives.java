package io.stampede.balancer.config;

import io.stampede.common.Durations;
import io.stampede.common.Sizes;
import io.stampede.common.yaml.YamlNode;
import java.time.Duration;
import java.util.Map;

/** The directives about clients (nginx's {@code client_*}, keep-alive, header buffers, header names), read from the top level. */
final class ClientDirectives {
    private ClientDirectives() {}

    static ClientSettings read(Map<String, YamlNode> top) {
        long maxBody = size(top, "client_max_body_size", 1024 * 1024);
        long bodyBuffer = size(top, "client_body_buffer_size", 16 * 1024);
        int headerBuffers = 4;
        int headerBufferSize = 8192;
        YamlNode lchb = top.get("large_client_header_buffers");
        if (lchb != null) {
            String[] w = lchb.text().trim().split("\\s+");
            try {
                if (w.length != 2) {
                    throw new IllegalArgumentException();
                }
                headerBuffers = Integer.parseInt(w[0]);
                long sz = Sizes.parse(w[1]);
                if (headerBuffers < 1 || headerBuffers > 64 || sz < 256 || sz > 1024 * 1024) {
                    throw new IllegalArgumentException();
                }
                headerBufferSize = (int) sz;
            } catch (IllegalArgumentException e) {
                throw lchb.invalid("NUMBER SIZE, e.g. 4 8k (1 to 64 buffers of 256 bytes to 1m)");
            }
        }
        long[] minRate = {1024, 10_000};
        YamlNode rate = top.get("client_body_min_rate");
        if (rate != null) {
            String[] w = rate.text().trim().split("\\s+");
            try {
                if (w.length > 2) {
                    throw new IllegalArgumentException();
                }
                minRate[0] = Sizes.parse(w[0]);
                if (w.length == 2) {
                    minRate[1] = Durations.parse(w[1]).toMillis();
                }
            } catch (IllegalArgumentException e) {
                throw rate.invalid("RATE [GRACE]: bytes per second and how long before it is checked, e.g. 1k 10s (0 = off)");
            }
        }
        if (bodyBuffer > 64L * 1024 * 1024) {
            throw top.get("client_body_buffer_size").invalid("at most 64m");
        }
        return new ClientSettings(maxBody, (int) bodyBuffer,
                duration(top, "client_header_timeout", Duration.ofSeconds(60), false),
                duration(top, "client_body_timeout", Duration.ofSeconds(60), false),
                duration(top, "keepalive_timeout", Duration.ofSeconds(75), true),
                top.containsKey("keepalive_requests") ? top.get("keepalive_requests").integer(0, Integer.MAX_VALUE, "an integer >= 0") : 1000,
                duration(top, "send_timeout", Duration.ofSeconds(60), false),
                headerBuffers, headerBufferSize, minRate[0], Duration.ofMillis(minRate[1]),
                onOff(top, "merge_slashes", true), onOff(top, "underscores_in_headers", false),
                onOff(top, "ignore_invalid_headers", true));
    }

    /** An nginx flag ({@code on} / {@code off}), or its default when the key is absent. */
    private static boolean onOff(Map<String, YamlNode> m, String key, boolean fallback) {
        YamlNode n = m.get(key);
        return n == null ? fallback : ServerLines.flag(n, key, n.text());
    }

    private static Duration duration(Map<String, YamlNode> m, String key, Duration fallback, boolean zeroAllowed) {
        YamlNode n = m.get(key);
        return n == null ? fallback : n.duration(zeroAllowed);
    }

    private static long size(Map<String, YamlNode> m, String key, long fallback) {
        YamlNode n = m.get(key);
        return n == null ? fallback : n.size();
    }
}
