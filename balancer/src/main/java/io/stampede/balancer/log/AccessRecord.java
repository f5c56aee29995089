package io.stampede.balancer.log;

import java.util.ArrayList;
import java.util.List;

/** What the access log needs of one request, filled in as it goes. */
public final class AccessRecord {
    public final long startMillis = System.currentTimeMillis();
    public final long startNanos = System.nanoTime();
    public String remoteAddr = "-";
    public String requestLine = "-";
    public String referer;
    public String userAgent;
    public int status;
    public long bytesSent;
    /** One entry per attempt: {@code $upstream_addr}, {@code $upstream_status}, {@code $upstream_response_time}. */
    final List<String> upstreamAddrs = new ArrayList<>(2);
    final List<Integer> upstreamStatuses = new ArrayList<>(2);
    final List<Long> upstreamNanos = new ArrayList<>(2);
    /** $upstream_connect_time and $upstream_header_time per attempt, -1 where it never happened ("-"). */
    final List<Long> connectNanos = new ArrayList<>(2);
    final List<Long> headerNanos = new ArrayList<>(2);
    /** Where an internal redirect began a new round of attempts (nginx separates those with " : "). */
    final List<Integer> groupStarts = new ArrayList<>(1);

    /** The request's variables, for a log_format that reads them; null for a request refused before it had any. */
    public io.stampede.balancer.vars.Variables vars;

    /** Off when nothing reads the record (no access log): per-attempt lists are not kept. */
    public boolean keep = true;

    /** An attempt that reached no server (no live upstreams): it connected nowhere and saw no header. */
    public void attempt(String addr, int status, long nanos) {
        attempt(addr, status, nanos, -1, -1);
    }

    public void attempt(String addr, int status, long nanos, long connectNanos, long headerNanos) {
        if (!keep) {
            return;
        }
        upstreamAddrs.add(addr);
        upstreamStatuses.add(status);
        upstreamNanos.add(nanos);
        this.connectNanos.add(connectNanos);
        this.headerNanos.add(headerNanos);
    }

    /**
     * The last attempt's response was read to its end: $upstream_response_time runs until then
     * (its entry was written when the head came, for a try that ended there).
     */
    public void lastAttemptEnded(long nanos) {
        if (keep && !upstreamNanos.isEmpty()) {
            upstreamNanos.set(upstreamNanos.size() - 1, nanos);
        }
    }

    /**
     * One $upstream_* list as nginx writes it: ", " between the servers of one round, " : " where
     * an internal redirect began another; null when no attempt was made.
     */
    <T> String joined(List<T> values, java.util.function.Function<T, String> show) {
        if (values.isEmpty()) {
            return null;
        }
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < values.size(); i++) {
            b.append(i == 0 ? "" : groupStarts.contains(i) ? " : " : ", ").append(show.apply(values.get(i)));
        }
        return b.toString();
    }

    /** The request is redirected internally (error_page): later attempts are another round. */
    public void newRound() {
        int next = upstreamAddrs.size();
        if (next > 0 && (groupStarts.isEmpty() || groupStarts.get(groupStarts.size() - 1) != next)) {
            groupStarts.add(next);
        }
    }
}
