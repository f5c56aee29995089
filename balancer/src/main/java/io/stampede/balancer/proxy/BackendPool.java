package io.stampede.balancer.proxy;

import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.FastThreadLocal;
import io.netty.util.concurrent.ScheduledFuture;
import io.stampede.balancer.tls.UpstreamTls;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Idle upstream connections, kept per event loop (nginx: per worker) and per upstream: at most
 * {@code keepalive} of them, most recently used first; the least recently used is closed to make
 * room. A connection is looked up after the balancer chose a peer, so keepalive never changes the
 * choice. Only its own event loop touches a loop's lists, so nothing here is locked.
 */
final class BackendPool {
    /** The HTTP/2 connections, for locations with proxy_http_version 2 or grpc_pass. */
    final MultiplexedPool multiplexed = new MultiplexedPool();
    private final FastThreadLocal<Map<String, IdleList>> lists = new FastThreadLocal<>() {
        @Override
        protected Map<String, IdleList> initialValue() {
            return new HashMap<>();
        }
    };

    /**
     * One loop's idle connections for one upstream, most recently used first. Their
     * keepalive_timeout is one timer per list, armed for the oldest connection (the last one):
     * putting a connection back costs no timer of its own, and a connection closed to make room
     * leaves nothing scheduled that holds it.
     */
    static final class IdleList {
        private final ArrayDeque<BackendConnection> idle = new ArrayDeque<>();
        private final int capacity;
        private final long timeoutNanos;
        /** Armed while the list holds a connection; fires when the oldest one's time is up. */
        private ScheduledFuture<?> sweep;

        IdleList(int capacity, Duration timeout) {
            this.capacity = capacity;
            this.timeoutNanos = timeout.toNanos();
        }

        /** Closes the idle connections {@code keep} says no to (a reload removed their server). */
        void closeUnless(java.util.function.Predicate<InetSocketAddress> keep) {
            for (Iterator<BackendConnection> it = idle.iterator(); it.hasNext(); ) {
                BackendConnection c = it.next();
                if (!keep.test(c.address)) {
                    it.remove();
                    close(c);
                }
            }
        }

        void closeAll() {
            while (!idle.isEmpty()) {
                close(idle.pollFirst());
            }
            if (sweep != null) {
                sweep.cancel(false);
                sweep = null;
            }
        }

        BackendConnection take(InetSocketAddress address) {
            for (Iterator<BackendConnection> it = idle.iterator(); it.hasNext(); ) {
                BackendConnection c = it.next();
                if (c.address.equals(address) && c.channel.isActive()) {
                    it.remove();
                    c.idleIn = null;
                    return c;
                }
            }
            return null;
        }

        /** @param now the clock's reading for the event that freed the connection */
        void put(BackendConnection c, long now) {
            if (capacity == 0 || !c.channel.isActive()) {
                c.channel.close();
                return;
            }
            if (idle.size() >= capacity) {
                close(idle.pollLast());
            }
            c.owner = null;
            c.idleIn = this;
            c.idleSince = now;
            idle.addFirst(c);
            if (sweep == null) {
                arm(c.channel.eventLoop(), timeoutNanos);
            }
            // Read while idle so a close by the server is noticed at once.
            c.channel.read();
        }

        void remove(BackendConnection c) {
            if (idle.remove(c)) {
                c.idleIn = null;
            }
        }

        int size() {
            return idle.size();
        }

        private void arm(EventLoop loop, long delayNanos) {
            sweep = loop.schedule(() -> sweep(loop), delayNanos, TimeUnit.NANOSECONDS);
        }

        /** Closes every connection idle for keepalive_timeout (the oldest are last), then waits for the next. */
        private void sweep(EventLoop loop) {
            sweep = null;
            long now = System.nanoTime();
            while (!idle.isEmpty() && now - idle.peekLast().idleSince >= timeoutNanos) {
                close(idle.pollLast());
            }
            if (!idle.isEmpty()) {
                arm(loop, idle.peekLast().idleSince + timeoutNanos - now);
            }
        }

        /**
         * Closes an idle connection the pool lets go, with a reset rather than a FIN: the one that
         * closes first keeps the TIME_WAIT, and with more requests in flight than keepalive a
         * proxy closes and opens upstream connections all the time; tens of thousands of its own
         * TIME_WAIT sockets to one server make each connect() search long for a free port
         * (measured: connect() 37% of the proxy's CPU at 2,000 clients). Nothing is in flight on
         * an idle connection, so the reset loses nothing.
         */
        private static void close(BackendConnection c) {
            c.idleIn = null;
            c.channel.config().setOption(ChannelOption.SO_LINGER, 0);
            c.channel.close();
        }
    }

    /**
     * After a reload, on each event loop: idle connections to servers the configuration no longer
     * has are closed, and so are the lists of upstreams that are gone or whose keepalive,
     * keepalive_timeout changed (the next request makes a list with the new settings). Connections
     * in use are left to finish; one that comes back after this for a server that is gone waits
     * unused and is closed after keepalive_timeout.
     */
    void pruneFor(Map<String, io.stampede.balancer.config.UpstreamConfig> upstreams) {
        for (Iterator<Map.Entry<String, IdleList>> it = lists.get().entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<String, IdleList> e = it.next();
            String key = e.getKey();
            int nul = key.indexOf('\0');
            io.stampede.balancer.config.UpstreamConfig u = upstreams.get(nul < 0 ? key : key.substring(0, nul));
            IdleList list = e.getValue();
            if (u == null || u.keepalive() != list.capacity || u.keepaliveTimeout().toNanos() != list.timeoutNanos) {
                list.closeAll();
                it.remove();
                continue;
            }
            java.util.Set<InetSocketAddress> live = new java.util.HashSet<>();
            u.servers().forEach(server -> live.add(server.address()));
            list.closeUnless(live::contains);
        }
        multiplexed.pruneFor(upstreams);
    }

    /**
     * The calling event loop's list for {@code upstream}, for connections made with {@code tls}
     * (null: cleartext). Each TLS identity has a list of its own, with keepalive of its own, so a
     * connection is only ever reused as it was made: same client certificate, same name checked.
     */
    IdleList on(UpstreamRuntime upstream, UpstreamTls tls) {
        String key = tls == null ? upstream.config().name() : tls.poolKey(upstream.config().name());
        return lists.get().computeIfAbsent(key,
                k -> new IdleList(upstream.config().keepalive(), upstream.config().keepaliveTimeout()));
    }
}
