package io.stampede.balancer.proxy;

import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelHandler;
import io.stampede.balancer.config.Listener;
import io.stampede.balancer.config.ProxyConfig;
import io.stampede.balancer.config.SslSettings;
import io.stampede.balancer.route.Routes;
import io.stampede.balancer.route.VirtualServer;
import io.stampede.balancer.tls.ServerTls;
import io.stampede.balancer.tls.SniChooser;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The TLS of one {@code ssl} listener: when every server on its address has the same settings,
 * one {@link ServerTls}; otherwise the client's SNI name chooses the server, and with it the
 * certificate, cipher suites and client verification, as in nginx. As in nginx, the protocol
 * versions and session cache are the default server's for every handshake on the address
 * (OpenSSL settles the version before nginx's name callback swaps the context).
 */
final class ListenerTls {
    /** One TLS context set per distinct settings and ALPN choice, kept across reloads when unchanged. */
    record Key(SslSettings settings, boolean http2) {}

    private final ServerTls fallback;
    private final Map<VirtualServer, ServerTls> byServer;
    private final Routes routes;
    private final InetSocketAddress address;

    private ListenerTls(ServerTls fallback, Map<VirtualServer, ServerTls> byServer, Routes routes, InetSocketAddress address) {
        this.fallback = fallback;
        this.byServer = byServer;
        this.routes = routes;
        this.address = address;
    }

    /**
     * Each ssl listener's TLS by address, building contexts into {@code contexts} (which starts
     * with the previous generation's, so unchanged settings keep their contexts and session caches).
     *
     * @throws IllegalArgumentException or IllegalStateException when the TLS library refuses the settings
     */
    static Map<Listener, ListenerTls> build(ProxyConfig config, Map<Key, ServerTls> previous, Map<Key, ServerTls> contexts) {
        Map<Listener, ListenerTls> out = new LinkedHashMap<>();
        for (Listener l : config.listen()) {
            if (!l.ssl() || out.containsKey(l)) {
                continue;
            }
            Routes routes = config.routes();
            Map<VirtualServer, ServerTls> byServer = new LinkedHashMap<>();
            VirtualServer first = routes.tlsServer(l.address(), null);
            SslSettings firstSettings = first.ssl() != null ? first.ssl() : config.ssl()
                    .orElseThrow(() -> new IllegalStateException("no certificate for the default server on " + l.address()));
            ServerTls fallback = context(new Key(firstSettings, l.http2()), first, l, previous, contexts);
            byServer.put(first, fallback);
            for (VirtualServer s : routes.serversOn(l.address())) {
                if (s == first) {
                    continue;
                }
                SslSettings own = s.ssl() != null ? s.ssl() : config.ssl().orElse(null);
                // A server with no certificate anywhere keeps the default server's context, as in nginx.
                byServer.put(s, own == null ? fallback
                        : context(new Key(own.chosenAfter(firstSettings), l.http2()), s, l, previous, contexts));
            }
            boolean one = byServer.values().stream().distinct().count() <= 1;
            out.put(l, new ListenerTls(fallback, one ? Map.of() : byServer, routes, l.address()));
        }
        return out;
    }

    /** The context for {@code key}: made once per generation, or the previous generation's when unchanged. */
    private static ServerTls context(Key key, VirtualServer server, Listener l, Map<Key, ServerTls> previous, Map<Key, ServerTls> contexts) {
        ServerTls tls = contexts.get(key);
        if (tls == null) {
            tls = previous.get(key);
            if (tls == null) {
                try {
                    tls = ServerTls.build(key.settings(), key.http2());
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("server " + (server.name().isEmpty() ? "\"\"" : server.name()) + " on "
                            + l.address().getHostString() + ":" + l.address().getPort() + ": " + e.getMessage(), e);
                }
            }
            contexts.put(key, tls);
        }
        return tls;
    }

    /** The TLS a connection starts with: the default server's (the SNI choice may change it before the handshake). */
    ServerTls initial() {
        return fallback;
    }

    /** The handler for an accepted connection; {@code chosen} hears which server's TLS the client's SNI name chose. */
    ChannelHandler newHandler(ByteBufAllocator alloc, Duration handshakeTimeout, Consumer<ServerTls> chosen) {
        if (byServer.isEmpty()) {
            return fallback.newHandler(alloc, handshakeTimeout);
        }
        return new SniChooser(name -> byServer.getOrDefault(routes.tlsServer(address, name), fallback), chosen, handshakeTimeout);
    }
}
