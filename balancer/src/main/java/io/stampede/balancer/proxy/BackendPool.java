package io.stampede.balancer.proxy;

import io.netty.util.concurrent.FastThreadLocal;
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
    private final FastThreadLocal<Map<String, IdleList>> lists = new FastThreadLocal<>() {
        @Override
        protected Map<String, IdleList> initialValue() {
            return new HashMap<>();
        }
    };

    /** One loop's idle connections for one upstream. */
    static final class IdleList {
        private final ArrayDeque<BackendConnection> idle = new ArrayDeque<>();
        private final int capacity;
        private final Duration timeout;

        IdleList(int capacity, Duration timeout) {
            this.capacity = capacity;
            this.timeout = timeout;
        }

        BackendConnection take(InetSocketAddress address) {
            for (Iterator<BackendConnection> it = idle.iterator(); it.hasNext(); ) {
                BackendConnection c = it.next();
                if (c.address.equals(address) && c.channel.isActive()) {
                    it.remove();
                    c.idleIn = null;
                    if (c.idleTimer != null) {
                        c.idleTimer.cancel(false);
                        c.idleTimer = null;
                    }
                    return c;
                }
            }
            return null;
        }

        void put(BackendConnection c) {
            if (capacity == 0 || !c.channel.isActive()) {
                c.channel.close();
                return;
            }
            if (idle.size() >= capacity) {
                BackendConnection oldest = idle.pollLast();
                oldest.idleIn = null;
                oldest.channel.close();
            }
            c.owner = null;
            c.idleIn = this;
            idle.addFirst(c);
            c.idleTimer = c.channel.eventLoop().schedule(() -> {
                remove(c);
                c.channel.close();
            }, timeout.toMillis(), TimeUnit.MILLISECONDS);
            // Read while idle so a close by the server is noticed at once.
            c.channel.read();
        }

        void remove(BackendConnection c) {
            if (idle.remove(c)) {
                c.idleIn = null;
                if (c.idleTimer != null) {
                    c.idleTimer.cancel(false);
                    c.idleTimer = null;
                }
            }
        }

        int size() {
            return idle.size();
        }
    }

    /** The calling event loop's list for {@code upstream}. */
    IdleList on(UpstreamRuntime upstream) {
        return lists.get().computeIfAbsent(upstream.config().name(),
                k -> new IdleList(upstream.config().keepalive(), upstream.config().keepaliveTimeout()));
    }
}
