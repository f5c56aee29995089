package io.stampede.balancer.proxy;

import java.util.ArrayList;
import java.util.List;

/** What the access log needs of one request, filled in as it goes. */
final class AccessRecord {
    final long startMillis = System.currentTimeMillis();
    final long startNanos = System.nanoTime();
    String remoteAddr = "-";
    String requestLine = "-";
    String referer;
    String userAgent;
    int status;
    long bytesSent;
    /** One entry per attempt: {@code $upstream_addr}, {@code $upstream_status}, {@code $upstream_response_time}. */
    final List<String> upstreamAddrs = new ArrayList<>(2);
    final List<Integer> upstreamStatuses = new ArrayList<>(2);
    final List<Long> upstreamNanos = new ArrayList<>(2);

    /** Off when nothing reads the record (no access log): per-attempt lists are not kept. */
    boolean keep = true;

    void attempt(String addr, int status, long nanos) {
        if (!keep) {
            return;
        }
        upstreamAddrs.add(addr);
        upstreamStatuses.add(status);
        upstreamNanos.add(nanos);
    }
}
