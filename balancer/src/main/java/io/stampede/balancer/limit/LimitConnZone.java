package io.stampede.balancer.limit;

import io.stampede.balancer.vars.Template;

/**
 * nginx's {@code limit_conn_zone KEY zone=NAME:SIZE}: requests in progress counted per key.
 *
 * @param sizeBytes the zone's size: it holds about one key per 64 bytes
 */
public record LimitConnZone(String name, Template key, long sizeBytes) {

    public long capacity() {
        return Math.max(1, sizeBytes / 64);
    }

    /** @throws IllegalArgumentException naming the parameter and value */
    public static LimitConnZone parse(String text) {
        String[] words = text.trim().split("\\s+");
        if (words.length != 2 || !words[1].startsWith("zone=")) {
            throw new IllegalArgumentException("'" + text + "' (expected KEY zone=NAME:SIZE, e.g. $binary_remote_addr zone=addr:10m)");
        }
        String[] parts = words[1].substring(5).split(":", 2);
        if (parts.length != 2 || parts[0].isEmpty()) {
            throw new IllegalArgumentException(words[1] + " (expected zone=NAME:SIZE, e.g. zone=addr:10m)");
        }
        long size;
        try {
            size = io.stampede.common.Sizes.parse(parts[1]);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(words[1] + " (expected a size, e.g. zone=addr:10m)");
        }
        if (size < 8192) {
            throw new IllegalArgumentException(words[1] + " (zone \"" + parts[0] + "\" is too small: at least 8k)");
        }
        return new LimitConnZone(parts[0], Template.parse(words[0]), size);
    }
}
