package io.stampede.balancer.upstream;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * nginx's retry rules ({@code proxy_next_upstream}, {@code _tries}, {@code _timeout}) as pure
 * decisions; the proxy asks after each failed attempt and acts on the answer.
 *
 * <p>Errors, timeouts and invalid headers always count as failures, whether listed or not; they
 * are retried only when listed. A listed status is retried only while another try remains (and
 * counts as a failure, or for 403/404 as a plain "next"); on the last try the response is passed
 * to the client as it is. A request already sent with POST, LOCK or PATCH is retried only when
 * {@code non_idempotent} is listed. Nothing is retried once {@code _timeout} has passed since the
 * first attempt, nor once a streamed request body has been partly sent.
 */
public final class NextUpstream {
    public static final int ERROR = 1;
    public static final int TIMEOUT = 1 << 1;
    public static final int INVALID_HEADER = 1 << 2;
    public static final int HTTP_500 = 1 << 3;
    public static final int HTTP_502 = 1 << 4;
    public static final int HTTP_503 = 1 << 5;
    public static final int HTTP_504 = 1 << 6;
    public static final int HTTP_403 = 1 << 7;
    public static final int HTTP_404 = 1 << 8;
    public static final int HTTP_429 = 1 << 9;
    public static final int NON_IDEMPOTENT = 1 << 10;

    private static final Map<String, Integer> NAMES = new LinkedHashMap<>();

    static {
        NAMES.put("error", ERROR);
        NAMES.put("timeout", TIMEOUT);
        NAMES.put("invalid_header", INVALID_HEADER);
        NAMES.put("http_500", HTTP_500);
        NAMES.put("http_502", HTTP_502);
        NAMES.put("http_503", HTTP_503);
        NAMES.put("http_504", HTTP_504);
        NAMES.put("http_403", HTTP_403);
        NAMES.put("http_404", HTTP_404);
        NAMES.put("http_429", HTTP_429);
        NAMES.put("non_idempotent", NON_IDEMPOTENT);
    }

    public static final NextUpstream DEFAULT = new NextUpstream(ERROR | TIMEOUT, 0, 0);

    private final int mask;
    private final int tries;
    private final long timeoutMillis;

    /**
     * @param tries {@code proxy_next_upstream_tries} (0 = no limit)
     * @param timeoutMillis {@code proxy_next_upstream_timeout} (0 = no limit)
     */
    public NextUpstream(int mask, int tries, long timeoutMillis) {
        this.mask = mask;
        this.tries = tries;
        this.timeoutMillis = timeoutMillis;
    }

    /**
     * Parses the directive's value ({@code "error timeout http_502"}, or {@code "off"}).
     *
     * @throws IllegalArgumentException naming the word that is not a known condition
     */
    public static int parseMask(String value) {
        String[] words = value.trim().split("\\s+");
        if (words.length == 1 && words[0].equals("off")) {
            return 0;
        }
        int m = 0;
        for (String w : words) {
            Integer bit = NAMES.get(w.toLowerCase(Locale.ROOT));
            if (bit == null) {
                throw new IllegalArgumentException("'" + w + "' is not a proxy_next_upstream condition (expected off or any of "
                        + String.join(", ", NAMES.keySet()) + ")");
            }
            m |= bit;
        }
        return m;
    }

    public int mask() {
        return mask;
    }

    public int tries() {
        return tries;
    }

    /** The condition a response status raises, or 0 when the status is never retried. */
    public static int conditionOf(int status) {
        return switch (status) {
            case 500 -> HTTP_500;
            case 502 -> HTTP_502;
            case 503 -> HTTP_503;
            case 504 -> HTTP_504;
            case 403 -> HTTP_403;
            case 404 -> HTTP_404;
            case 429 -> HTTP_429;
            default -> 0;
        };
    }

    /**
     * After a response head: how to release the peer if the request should move on, or null when
     * the response goes to the client (the peer is then released OK when it ends).
     */
    public Outcome onStatus(int status, BalancedRequest r, boolean sentNonIdempotent, boolean unbufferedBodySent,
                            long elapsedMillis) {
        int condition = conditionOf(status);
        if (condition == 0 || (mask & condition) == 0) {
            return null;
        }
        int needed = condition | (sentNonIdempotent ? NON_IDEMPOTENT : 0);
        boolean retry = r.triesLeft() > 1 && (mask & needed) == needed && !unbufferedBodySent && !timedOut(elapsedMillis);
        if (!retry) {
            return null;
        }
        return condition == HTTP_403 || condition == HTTP_404 ? Outcome.NEXT : Outcome.FAILED;
    }

    /**
     * After an attempt failed with {@code condition} (ERROR, TIMEOUT or INVALID_HEADER) and the peer
     * was released as FAILED: whether to try another peer.
     */
    public boolean retryAfterFailure(int condition, BalancedRequest r, boolean sentNonIdempotent,
                                     boolean unbufferedBodySent, long elapsedMillis) {
        int needed = condition | (sentNonIdempotent ? NON_IDEMPOTENT : 0);
        return r.triesLeft() > 0 && (mask & needed) == needed && !unbufferedBodySent && !timedOut(elapsedMillis);
    }

    /** The status the client gets when the last failure was {@code condition}. */
    public static int statusFor(int condition) {
        return switch (condition) {
            case TIMEOUT, HTTP_504 -> 504;
            case HTTP_500 -> 500;
            case HTTP_503 -> 503;
            case HTTP_403 -> 403;
            case HTTP_404 -> 404;
            case HTTP_429 -> 429;
            default -> 502;
        };
    }

    /** POST, LOCK and PATCH are not retried once sent unless {@code non_idempotent} is listed. */
    public static boolean isNonIdempotent(String method) {
        return method.equals("POST") || method.equals("LOCK") || method.equals("PATCH");
    }

    private boolean timedOut(long elapsedMillis) {
        return timeoutMillis > 0 && elapsedMillis >= timeoutMillis;
    }
}
