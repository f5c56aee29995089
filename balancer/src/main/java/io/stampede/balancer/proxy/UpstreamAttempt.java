package io.stampede.balancer.proxy;

import io.stampede.balancer.upstream.BalancedRequest;
import io.stampede.balancer.upstream.Outcome;
import io.stampede.balancer.upstream.Peer;

/**
 * One try of a request at one server: which server, whether on a pooled connection, how far the
 * request got and what came back, for the access log, nginx's retry rules and the server's
 * statistics. An exchange makes one per try; it lives on the exchange's event loop.
 */
final class UpstreamAttempt {
    final Peer peer;
    /**
     * Sent on a pooled keep-alive connection: an error there may be the pool's stale connection
     * rather than the server, and nginx gives the try back.
     */
    final boolean cached;
    private final long startNanos;
    /** Whether the whole request reached the upstream (the connection can be reused only then). */
    boolean requestWhole;
    private boolean held = true;
    /** The response's status (0 before its head) and the time to it, for the server's statistics. */
    private int status;
    private long headerMillis = -1;
    /** $upstream_connect_time and $upstream_header_time: from the try's start, -1 until it happens. */
    private long connectNanos = -1;
    private long headerNanos = -1;

    UpstreamAttempt(Peer peer, boolean cached, long nowNanos) {
        this.peer = peer;
        this.cached = cached;
        this.startNanos = nowNanos;
        if (cached) {
            connectNanos = 0; // a kept-alive connection: nginx logs 0.000
        }
    }

    /** The connection (and its TLS handshake) is up. */
    void connected(long nowNanos) {
        if (connectNanos < 0) {
            connectNanos = nowNanos - startNanos;
        }
    }

    void headReceived(int status, long nowNanos) {
        this.status = status;
        this.headerNanos = nowNanos - startNanos;
        this.headerMillis = headerNanos / 1_000_000;
    }

    /** This try's entry in the access log's $upstream_* lists, as it ends with {@code status}. */
    void logTo(io.stampede.balancer.log.AccessRecord record, int status, long nowNanos) {
        record.attempt(peer.name(), status, nowNanos - startNanos, connectNanos, headerNanos);
    }

    long elapsedNanos(long nowNanos) {
        return nowNanos - startNanos;
    }

    /** Hands the server back to the balancer, once, with what this try saw of it. */
    void release(BalancedRequest balanced, Outcome outcome) {
        if (held) {
            held = false;
            balanced.release(peer, outcome, status, status > 0 ? headerMillis : -1);
        }
    }
}
