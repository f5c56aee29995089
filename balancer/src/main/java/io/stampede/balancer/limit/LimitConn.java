package io.stampede.balancer.limit;

/** nginx's {@code limit_conn ZONE N} in a location: at most N requests of one key in progress at once. */
public record LimitConn(String zone, int max) {
    /** @throws IllegalArgumentException naming the parameter and value */
    public static LimitConn parse(String text) {
        String[] words = text.trim().split("\\s+");
        if (words.length != 2) {
            throw new IllegalArgumentException("'" + text + "' (expected ZONE N, e.g. addr 10)");
        }
        try {
            int n = Integer.parseInt(words[1]);
            if (n >= 1 && n <= 65535) {
                return new LimitConn(words[0], n);
            }
        } catch (NumberFormatException e) {
            // below
        }
        throw new IllegalArgumentException("'" + words[1] + "' (expected a number of connections from 1 to 65535)");
    }
}
