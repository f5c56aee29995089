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

    /** The request's variables, for a log_format that reads them; null for a request refused before it had any. */
    public io.stampede.balancer.vars.Variables vars;

    /** Off when nothing reads the record (no access log): per-attempt lists are not kept. */
    public boolean keep = true;

    public void attempt(String addr, int status, long nanos) {
        if (!keep) {
            return;
        }
        upstreamAddrs.add(addr);
        upstreamStatuses.add(status);
        upstreamNanos.add(nanos);
    }
}
