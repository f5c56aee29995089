package io.stampede.balancer.limit;

/**
 * nginx's {@code limit_req zone=NAME [burst=N] [nodelay | delay=N]} in a location.
 *
 * @param burst requests beyond the rate a key may have waiting or passed early (nginx's excess, in whole requests)
 * @param delay of those, how many pass at once before the rest are delayed; {@code nodelay} is all of them
 */
public record LimitReq(String zone, long burst, long delay) {
    public static final long NODELAY = Long.MAX_VALUE / 1000;

    /** @throws IllegalArgumentException naming the parameter and value */
    public static LimitReq parse(String text) {
        String zone = null;
        long burst = 0;
        long delay = 0;
        boolean nodelay = false;
        boolean delayGiven = false;
        for (String w : text.trim().split("\\s+")) {
            if (w.startsWith("zone=")) {
                zone = w.substring(5);
            } else if (w.startsWith("burst=")) {
                burst = number(w, w.substring(6));
            } else if (w.startsWith("delay=")) {
                delay = number(w, w.substring(6));
                delayGiven = true;
            } else if (w.equals("nodelay")) {
                nodelay = true;
            } else {
                throw new IllegalArgumentException("unknown parameter '" + w + "' (expected zone=NAME, burst=N, nodelay or delay=N)");
            }
        }
        if (zone == null || zone.isEmpty()) {
            throw new IllegalArgumentException("'" + text + "': no zone=NAME");
        }
        if (nodelay && delayGiven) {
            throw new IllegalArgumentException("'" + text + "': nodelay and delay=N together (nginx refuses it too)");
        }
        return new LimitReq(zone, burst, nodelay ? NODELAY : delay);
    }

    private static long number(String word, String value) {
        try {
            long n = Long.parseLong(value);
            if (n >= 0) {
                return n;
            }
        } catch (NumberFormatException e) {
            // below
        }
        throw new IllegalArgumentException(word + " (expected a whole number >= 0)");
    }
}
