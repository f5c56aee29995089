package io.stampede.balancer.proxy;

import io.netty.channel.EventLoop;
import io.netty.util.concurrent.FastThreadLocal;
import io.stampede.balancer.config.ProxySettings;
import io.stampede.balancer.tls.UpstreamTls;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The HTTP/2 connections of each event loop, per upstream, TLS identity and server. A request
 * takes a stream on the first connection with room for it, and a new connection is opened only
 * when none has; connections close themselves ({@link MultiplexedBackend}) and leave their list.
 * As with {@link BackendPool}, the server is chosen first, by the balancer: connections never
 * change the choice. Only its own event loop touches a loop's lists, so nothing here is locked.
 */
final class MultiplexedPool {
    private final FastThreadLocal<Map<String, Map<InetSocketAddress, List<MultiplexedBackend>>>> lists = new FastThreadLocal<>() {
        @Override
        protected Map<String, Map<InetSocketAddress, List<MultiplexedBackend>>> initialValue() {
            return new HashMap<>();
        }
    };

    /**
     * A connection to {@code address} with room for a stream, which the caller
     * {@link MultiplexedBackend#reserve reserves} at once; it may still be connecting.
     */
    MultiplexedBackend acquire(ProxyRuntime runtime, EventLoop loop, UpstreamRuntime upstream, UpstreamTls tls,
                               InetSocketAddress address, ProxySettings settings) {
        String key = tls == null ? upstream.config().name() : tls.poolKey(upstream.config().name());
        List<MultiplexedBackend> list = lists.get().computeIfAbsent(key, k -> new HashMap<>())
                .computeIfAbsent(address, a -> new ArrayList<>(2));
        long now = System.nanoTime();
        for (int i = 0; i < list.size(); i++) {
            MultiplexedBackend b = list.get(i);
            if (b.canTake(now)) {
                return b;
            }
        }
        MultiplexedBackend b = MultiplexedBackend.open(runtime, loop, address, settings, tls, upstream.config());
        list.add(b);
        b.channel.closeFuture().addListener(f -> list.remove(b));
        return b;
    }

    /**
     * After a reload, on each event loop: connections to servers (or of upstreams) the
     * configuration no longer has take no new stream and close when their last one ends.
     */
    void pruneFor(Map<String, io.stampede.balancer.config.UpstreamConfig> upstreams) {
        lists.get().forEach((key, byAddress) -> {
            int nul = key.indexOf('\0');
            io.stampede.balancer.config.UpstreamConfig u = upstreams.get(nul < 0 ? key : key.substring(0, nul));
            byAddress.forEach((address, backends) -> {
                boolean live = u != null && u.servers().stream().anyMatch(s -> s.address().equals(address));
                if (!live) {
                    List.copyOf(backends).forEach(MultiplexedBackend::retire);
                }
            });
        });
    }

    /** How many connections this event loop has open to {@code address} for {@code upstream} (for tests). */
    int connections(UpstreamRuntime upstream, UpstreamTls tls, InetSocketAddress address) {
        String key = tls == null ? upstream.config().name() : tls.poolKey(upstream.config().name());
        return lists.get().getOrDefault(key, Map.of()).getOrDefault(address, List.of()).size();
    }
}
