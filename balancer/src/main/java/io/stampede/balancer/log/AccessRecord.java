package io.stampede.balancer.log;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * What the access log needs of one request, filled in as it goes. One is made per request, so it
 * holds nothing it does not need: the list of upstream tries is made at the first try, and only
 * when something will read it ({@link #keep}).
 */
public final class AccessRecord {
    public final long startNanos = System.nanoTime();
    public String remoteAddr = "-";
    public String requestLine = "-";
    public String referer;
    public String userAgent;
    public int status;
    public long bytesSent;

    /**
     * One try at a server: {@code $upstream_addr}, {@code $upstream_status},
     * {@code $upstream_response_time}, and {@code $upstream_connect_time} / {@code $upstream_header_time},
     * -1 where that never happened ("-").
     */
    record Try(String addr, int status, long nanos, long connectNanos, long headerNanos, boolean newRound) {
        Try ended(long nanos) {
            return new Try(addr, status, nanos, connectNanos, headerNanos, newRound);
        }
    }

    /** The tries in order; null until the first (and always, when nothing reads them). */
    private List<Try> tries;
    /** An internal redirect began a new round: the next try starts it (nginx separates rounds with " : "). */
    private boolean roundPending;

    /** The request's variables, for a log_format that reads them; null for a request refused before it had any. */
    public io.stampede.balancer.vars.Variables vars;

    /** Off when nothing reads the record (no access log): tries are not kept. */
    public boolean keep = true;

    /**
     * When the request began, on the wall clock: worked out when a line is written, from the
     * monotonic start, so a request that is never logged reads one clock, not two.
     */
    public long startMillis() {
        if (startMillis == 0) {
            startMillis = System.currentTimeMillis() - (System.nanoTime() - startNanos) / 1_000_000;
        }
        return startMillis;
    }

    /** {@link #startMillis()}, once worked out (0 before): every variable of a line reads the same instant. */
    private long startMillis;

    /** An attempt that reached no server (no live upstreams): it connected nowhere and saw no header. */
    public void attempt(String addr, int status, long nanos) {
        attempt(addr, status, nanos, -1, -1);
    }

    public void attempt(String addr, int status, long nanos, long connectNanos, long headerNanos) {
        if (!keep) {
            return;
        }
        if (tries == null) {
            tries = new ArrayList<>(2);
        }
        tries.add(new Try(addr, status, nanos, connectNanos, headerNanos, roundPending && !tries.isEmpty()));
        roundPending = false;
    }

    /**
     * The last attempt's response was read to its end: $upstream_response_time runs until then
     * (its entry was written when the head came, for a try that ended there).
     */
    public void lastAttemptEnded(long nanos) {
        if (tries != null && !tries.isEmpty()) {
            int last = tries.size() - 1;
            tries.set(last, tries.get(last).ended(nanos));
        }
    }

    /**
     * One $upstream_* value as nginx writes it, a field of every try: ", " between the servers of
     * one round, " : " where an internal redirect began another; null when no attempt was made.
     */
    String joined(Function<Try, String> show) {
        if (tries == null || tries.isEmpty()) {
            return null;
        }
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < tries.size(); i++) {
            Try t = tries.get(i);
            b.append(i == 0 ? "" : t.newRound() ? " : " : ", ").append(show.apply(t));
        }
        return b.toString();
    }

    /** The request is redirected internally (error_page): later attempts are another round. */
    public void newRound() {
        roundPending = true;
    }
}
