package io.stampede.balancer.limit;

import io.stampede.balancer.vars.Template;

/**
 * nginx's {@code limit_req_zone KEY zone=NAME:SIZE rate=RATE}: requests with the same key share
 * one leaky bucket.
 *
 * @param ratePerMille the rate in requests per 1000 seconds, nginx's unit ({@code 10r/s} is 10000,
 *     {@code 30r/m} is 500)
 * @param sizeBytes the zone's size: it holds about one key per 64 bytes, as nginx's does
 */
public record LimitReqZone(String name, Template key, long sizeBytes, long ratePerMille) {

    /** How many keys the zone keeps (nginx: about 16,000 per megabyte). */
    public long capacity() {
        return Math.max(1, sizeBytes / 64);
    }

    /**
     * Parses {@code "$binary_remote_addr zone=one:10m rate=10r/s"}.
     *
     * @throws IllegalArgumentException naming the parameter and value
     */
    public static LimitReqZone parse(String text) {
        String[] words = text.trim().split("\\s+");
        if (words.length < 3) {
            throw new IllegalArgumentException("'" + text + "' (expected KEY zone=NAME:SIZE rate=RATE, e.g. "
                    + "$binary_remote_addr zone=one:10m rate=10r/s)");
        }
        Template key = Template.parse(words[0]);
        String name = null;
        long size = 0;
        long rate = 0;
        for (int i = 1; i < words.length; i++) {
            String w = words[i];
            if (w.startsWith("zone=")) {
                String[] parts = w.substring(5).split(":", 2);
                if (parts.length != 2 || parts[0].isEmpty()) {
                    throw new IllegalArgumentException(w + " (expected zone=NAME:SIZE, e.g. zone=one:10m)");
                }
                name = parts[0];
                try {
                    size = io.stampede.common.Sizes.parse(parts[1]);
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException(w + " (expected a size, e.g. zone=one:10m)");
                }
                if (size < 8192) {
                    throw new IllegalArgumentException(w + " (zone \"" + name + "\" is too small: at least 8k)");
                }
            } else if (w.startsWith("rate=")) {
                rate = rate(w);
            } else if (!w.equals("sync")) {
                throw new IllegalArgumentException("unknown parameter '" + w + "' (expected zone=NAME:SIZE and rate=RATE)");
            }
        }
        if (name == null) {
            throw new IllegalArgumentException("'" + text + "': no zone=NAME:SIZE");
        }
        if (rate == 0) {
            throw new IllegalArgumentException("'" + text + "': no rate=RATE (e.g. rate=10r/s)");
        }
        return new LimitReqZone(name, key, size, rate);
    }

    private static long rate(String w) {
        String v = w.substring(5);
        int scale;
        if (v.endsWith("r/s")) {
            scale = 1;
        } else if (v.endsWith("r/m")) {
            scale = 60;
        } else {
            throw new IllegalArgumentException(w + " (expected N r/s or N r/m, e.g. rate=10r/s)");
        }
        try {
            long n = Long.parseLong(v.substring(0, v.length() - 3));
            if (n > 0) {
                return n * 1000 / scale;
            }
        } catch (NumberFormatException e) {
            // below
        }
        throw new IllegalArgumentException(w + " (expected a whole number of requests, e.g. rate=10r/s)");
    }
}
