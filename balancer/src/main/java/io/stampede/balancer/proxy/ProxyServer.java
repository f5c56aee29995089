package io.stampede.balancer.proxy;

import io.stampede.balancer.log.ProxyLog;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpResponseEncoder;
import io.netty.util.concurrent.GlobalEventExecutor;
import io.stampede.balancer.admin.AdminServer;
import io.stampede.balancer.admin.ProxyMetrics;
import io.stampede.balancer.config.Listener;
import io.stampede.balancer.config.ProxyConfig;
import io.stampede.balancer.tls.PlainHttpDetector;
import io.stampede.balancer.tls.ServerTls;
import io.stampede.balancer.log.AccessLog;
import io.stampede.balancer.config.directive.HealthCheckConfig;
import io.stampede.balancer.health.HealthChecks;
import io.stampede.balancer.upstream.PeerGroup;
import io.stampede.common.Drain;
import io.stampede.common.Transport;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.random.RandomGenerator;

/**
 * The reverse proxy: listeners, event loops, and the runtime built from one configuration. Each
 * client connection and every upstream connection it uses live on one event loop; upstream
 * selection state is shared by all loops through each upstream's {@link PeerGroup}.
 */
public final class ProxyServer implements AutoCloseable {
    /**
     * Everything one configuration made, swapped whole by a reload: a request runs on the
     * generation that was current when it started, from its start to its end.
     *
     * @param tls TLS for the listeners marked ssl, by listener
     * @param contexts the TLS contexts those use, by settings and ALPN choice (a reload keeps the unchanged ones)
     */
    private record Generation(ProxyRuntime runtime, Map<Listener, ListenerTls> tls, Map<ListenerTls.Key, ServerTls> contexts,
                              HealthChecks checks) {
        Listener listener(ListenerKey key) {
            return key.in(runtime.config());
        }
    }

    /**
     * A listener as the configuration names it: its address, and which of the listeners with that
     * address it is (several may ask for port 0, each getting a port of its own).
     */
    private record ListenerKey(InetSocketAddress address, int nth) {
        static List<ListenerKey> of(ProxyConfig config) {
            List<ListenerKey> keys = new ArrayList<>();
            List<InetSocketAddress> before = new ArrayList<>();
            for (Listener l : config.listen()) {
                keys.add(new ListenerKey(l.address(), java.util.Collections.frequency(before, l.address())));
                before.add(l.address());
            }
            return keys;
        }

        /** The configuration's listener for this key, or null when it has none. */
        Listener in(ProxyConfig config) {
            int seen = 0;
            for (Listener l : config.listen()) {
                if (l.address().equals(address) && seen++ == nth) {
                    return l;
                }
            }
            return null;
        }
    }

    private volatile Generation current;
    private final EventLoopGroup group;
    private final ChannelGroup clients = new DefaultChannelGroup("clients", GlobalEventExecutor.INSTANCE);
    /** Listening channels by the listener the configuration names (guarded by this). */
    private final Map<ListenerKey, Channel> listeners = new LinkedHashMap<>();
    private volatile AdminServer admin;
    private volatile InetSocketAddress adminAddress;
    private volatile boolean stopping;
    private final UpstreamResolver resolver = new UpstreamResolver(this);
    private final LongSupplier nowSeconds;
    private final LongSupplier nowMillis;
    private final RandomGenerator random;

    /** Builds the runtime (upstreams, access log); nothing listens until {@link #start}. */
    public ProxyServer(ProxyConfig config, LongSupplier nowSeconds, RandomGenerator random) throws IOException {
        this(config, nowSeconds, () -> nowSeconds.getAsLong() * 1000, random);
    }

    /** @param nowMillis the finer clock least_time measures with */
    public ProxyServer(ProxyConfig config, LongSupplier nowSeconds, LongSupplier nowMillis, RandomGenerator random) throws IOException {
        this.nowSeconds = nowSeconds;
        this.nowMillis = nowMillis;
        this.random = random;
        AccessLog accessLog = config.accessLog().isPresent() ? new AccessLog(Path.of(config.accessLog().get())) : null;
        Map<String, UpstreamRuntime> upstreams = UpstreamRuntime.build(config.upstreams(), nowSeconds, random);
        ProxyRuntime runtime = new ProxyRuntime(config, upstreams, new BackendPool(), new ProxyLog(), accessLog,
                new ProxyMetrics(groupsOf(upstreams)));
        this.group = Transport.newGroup(config.workers(), "proxy");
        Map<ListenerTls.Key, ServerTls> contexts = new LinkedHashMap<>();
        Map<Listener, ListenerTls> tls = ListenerTls.build(config, Map.of(), contexts);
        this.current = new Generation(runtime, tls, contexts, checksFor(runtime));
        this.admin = new AdminServer(this::groups, runtime.metrics(), new UpstreamApi(this));
    }

    private static Map<String, PeerGroup> groupsOf(Map<String, UpstreamRuntime> upstreams) {
        Map<String, PeerGroup> groups = new LinkedHashMap<>();
        upstreams.forEach((name, u) -> groups.put(name, u.group()));
        return groups;
    }

    /**
     * Builds every TLS context {@code config}'s ssl listeners need, so a setting the TLS library
     * refuses is found before anything listens (the config test's check).
     *
     * @throws IllegalArgumentException or IllegalStateException naming the setting
     */
    public static void checkTls(ProxyConfig config) {
        ListenerTls.build(config, Map.of(), new LinkedHashMap<>());
    }

    /** The health checks of {@code runtime}'s upstreams (not started), and its groups' clocks and event log. */
    private HealthChecks checksFor(ProxyRuntime runtime) {
        Map<PeerGroup, List<HealthCheckConfig>> checks = new LinkedHashMap<>();
        runtime.upstreams().values().forEach(u -> {
            u.group().millisClock(nowMillis);
            u.group().onEvent(runtime.log()::warn);
            if (!u.config().healthChecks().isEmpty()) {
                checks.put(u.group(), u.config().healthChecks());
            }
        });
        return new HealthChecks(checks, random, runtime.log()::warn);
    }

    /** The usual clock (integer seconds, as nginx's) and randomness. */
    public static ProxyServer create(ProxyConfig config) throws IOException {
        return new ProxyServer(config, () -> System.currentTimeMillis() / 1000, System::currentTimeMillis, RandomGenerator.getDefault());
    }

    public synchronized void start() throws InterruptedException {
        Generation g = current;
        g.checks.start(group);
        for (ListenerKey key : ListenerKey.of(g.runtime.config())) {
            listeners.put(key, bind(key, g.listener(key)));
        }
        if (g.runtime.config().admin().isPresent()) {
            adminAddress = admin.start(g.runtime.config().admin().get());
        }
        resolver.configure(g.runtime.config());
    }

    /**
     * Opens one listener. Each connection it accepts takes the generation current then, and that
     * generation's settings for this address (a reload may turn ssl or http2 on or off on a
     * listener it keeps open).
     */
    private Channel bind(ListenerKey key, Listener configured) throws InterruptedException {
        ServerBootstrap b = new ServerBootstrap()
                    .group(group)
                    .channel(Transport.serverChannel())
                    .option(ChannelOption.SO_BACKLOG, 4096)
                    .option(ChannelOption.SO_REUSEADDR, true)
                    .childOption(ChannelOption.AUTO_READ, false)
                    .childOption(ChannelOption.TCP_NODELAY, true)
                    // Responses are relayed a piece at a time, each after the last was taken, so
                    // little ever queues here; the marks bound what an error page or a head may add.
                    .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(32 * 1024, 64 * 1024))
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            Generation g = current;
                            ProxyRuntime runtime = g.runtime;
                            Listener listener = g.listener(key);
                            if (listener == null) {
                                listener = configured; // removed by a reload, closing: as it was
                            }
                            ListenerTls listenerTls = listener.ssl() ? g.tls.get(listener) : null;
                            if (listener.ssl() && listenerTls == null) {
                                ch.close(); // an ssl listener a reload removed, still closing: never serve it in the clear
                                return;
                            }
                            boolean h2c = listener.http2() && !listener.ssl();
                            clients.add(ch);
                            ch.attr(ClientConnection.LISTEN).set(key.address());
                            ClientConnection connection = new ClientConnection(runtime, ProxyServer.this,
                                    listenerTls == null ? null : listenerTls.initial());
                            if (listenerTls != null) {
                                // The handshake shares the client header timeout, as in nginx.
                                ch.pipeline().addLast(new PlainHttpDetector(connection::plainHttpOnTlsPort));
                                ch.pipeline().addLast(ServerTls.HANDLER, listenerTls.newHandler(ch.alloc(),
                                        runtime.config().client().headerTimeout(), connection::tlsChosen));
                            }
                            if (h2c) {
                                ch.pipeline().addLast(new PrefaceSniffer(() ->
                                        Http2Session.install(ch.pipeline(), runtime, ProxyServer.this, null, "h2c")));
                            }
                            // Named for Http2Session, which takes them out when the client speaks HTTP/2.
                            ch.pipeline().addLast("http-decoder", new RequestDecoder(runtime.config().client().headerBuffers(),
                                            runtime.config().client().headerBufferSize(), connection::bytesArrived))
                                    .addLast("http-encoder", new HttpResponseEncoder())
                                    .addLast("client", connection);
                        }
                    });
        return b.bind(key.address()).sync().channel();
    }

    /**
     * Applies a new configuration, as nginx's reload does, or nothing of it. First everything that
     * can fail is made (TLS contexts, the access log, new listeners bound, a moved admin
     * listener); any failure undoes those steps and leaves the running configuration as it was.
     * Then the new generation takes over at once: requests in flight (and waiting in a queue)
     * finish on the one they started with, every new request (on new connections and on open
     * keep-alive ones alike) runs on the new one. Listeners the new configuration keeps are never
     * closed; removed ones stop accepting, and their open connections go on. Servers the new
     * configuration keeps keep their state ({@link UpstreamRuntime#build}, {@link HealthChecks#start}).
     *
     * @return null when applied; otherwise why nothing was
     */
    public String reload(ProxyConfig asked) {
        // The old admin listener stops outside the lock: its thread may be waiting for the lock
        // (an API call), and its close waits for that thread.
        AdminServer[] retired = new AdminServer[1];
        String why;
        synchronized (this) {
            why = apply(asked, retired);
        }
        if (retired[0] != null) {
            retired[0].stop();
        }
        return why;
    }

    private String apply(ProxyConfig asked, AdminServer[] retired) {
        if (stopping) {
            return "the proxy is stopping";
        }
        for (io.stampede.balancer.config.UpstreamConfig u : asked.upstreams().values()) {
            if (!u.servers().isEmpty() && u.servers().stream().allMatch(io.stampede.balancer.config.ServerConfig::backup)) {
                return "upstream " + u.name() + ": every server is a backup (expected at least one primary server)";
            }
        }
        // Servers with resolve keep the addresses found so far (the file has only their names).
        ProxyConfig next = resolver.fill(asked);
        Generation old = current;
        ProxyRuntime was = old.runtime;
        Map<io.stampede.balancer.config.LocationConfig, io.stampede.balancer.tls.UpstreamTls> upstreamTls;
        Map<ListenerTls.Key, ServerTls> contexts = new LinkedHashMap<>();
        Map<Listener, ListenerTls> tls;
        try {
            upstreamTls = ProxyRuntime.upstreamTls(next, was);
            tls = ListenerTls.build(next, old.contexts(), contexts);
        } catch (IllegalArgumentException | IllegalStateException e) {
            return e.getMessage();
        }
        AccessLog accessLog = was.accessLog();
        boolean newLog = false;
        Path logFile = next.accessLog().map(Path::of).orElse(null);
        if (logFile == null) {
            accessLog = null;
        } else if (accessLog == null || !accessLog.file().equals(logFile)) {
            try {
                accessLog = new AccessLog(logFile);
                newLog = true;
            } catch (IOException e) {
                return "access_log " + logFile + ": cannot open it: " + e.getMessage();
            }
        }
        Map<ListenerKey, Channel> added = new LinkedHashMap<>();
        AdminServer newAdmin = null;
        InetSocketAddress newAdminAddress = adminAddress;
        try {
            for (ListenerKey key : ListenerKey.of(next)) {
                if (!listeners.containsKey(key)) {
                    added.put(key, bind(key, key.in(next)));
                }
            }
            if (!next.admin().equals(was.config().admin())) {
                if (next.admin().isPresent()) {
                    newAdmin = new AdminServer(this::groups, was.metrics(), new UpstreamApi(this));
                    newAdminAddress = newAdmin.start(next.admin().get());
                } else {
                    newAdminAddress = null;
                }
            }
        } catch (Exception e) {
            added.values().forEach(c -> c.close().syncUninterruptibly());
            if (newAdmin != null) {
                newAdmin.stop();
            }
            if (newLog) {
                accessLog.close();
            }
            return "cannot listen: " + e.getMessage();
        }
        // The new configuration takes over. Building it cannot fail (every check is behind us);
        // if it did all the same, what was opened above is closed and the old one keeps running.
        Map<String, UpstreamRuntime> upstreams;
        ProxyRuntime runtime;
        Generation g;
        try {
            upstreams = UpstreamRuntime.build(next.upstreams(), nowSeconds, random, was.upstreams());
            runtime = ProxyRuntime.reloaded(next, upstreams, was, accessLog, upstreamTls);
            g = new Generation(runtime, tls, contexts, checksFor(runtime));
            // Before the swap: a new server under a mandatory check is "checking" before any request can reach it.
            g.checks.start(group, old.checks);
        } catch (RuntimeException e) {
            added.values().forEach(c -> c.close().syncUninterruptibly());
            retired[0] = newAdmin;
            if (newLog) {
                accessLog.close();
            }
            was.log().warn("reload: building the new configuration failed: " + e);
            return "building the new configuration failed: " + e.getMessage();
        }
        current = g;
        runtime.metrics().replace(groupsOf(upstreams));
        listeners.putAll(added);
        for (java.util.Iterator<Map.Entry<ListenerKey, Channel>> it = listeners.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<ListenerKey, Channel> e = it.next();
            if (g.listener(e.getKey()) == null) {
                it.remove();
                e.getValue().close(); // stops accepting; the connections it accepted go on
            }
        }
        if (!next.admin().equals(was.config().admin())) {
            retired[0] = admin;
            admin = newAdmin;
            adminAddress = newAdminAddress;
        }
        for (io.netty.util.concurrent.EventExecutor loop : group) {
            loop.execute(() -> runtime.pool().pruneFor(next.upstreams()));
        }
        AccessLog previousLog = was.accessLog();
        if (previousLog != null && previousLog != accessLog) {
            // Requests that started on the old configuration still log to it for a while.
            GlobalEventExecutor.INSTANCE.schedule(previousLog::close, 60, TimeUnit.SECONDS);
        }
        resolver.configure(next);
        if (next.workers() != was.config().workers()) {
            runtime.log().warn("worker_processes " + (next.workers() == 0 ? "auto" : next.workers())
                    + " takes effect at the next start; the event loops stay as they are");
        }
        return null;
    }

    /** nginx's {@code -s reopen}: the access log is opened again at its path (after log rotation moved it). */
    public void reopenLogs() {
        AccessLog log = current.runtime.accessLog();
        if (log != null) {
            log.reopen();
        }
    }

    /** The admin listener's bound address, when the config has one. */
    public java.util.Optional<InetSocketAddress> adminAddress() {
        return java.util.Optional.ofNullable(adminAddress);
    }

    /** The addresses actually bound (port 0 in the config becomes a real port). */
    public synchronized List<InetSocketAddress> addresses() {
        return listeners.values().stream().map(c -> (InetSocketAddress) c.localAddress()).toList();
    }

    public Map<String, PeerGroup> groups() {
        return groupsOf(current.runtime.upstreams());
    }

    /** The runtime new requests run on (tests build connections on it). */
    ProxyRuntime runtime() {
        return current.runtime;
    }

    boolean stopping() {
        return stopping;
    }

    /**
     * nginx's graceful stop: stop accepting, close idle connections, let requests in flight
     * finish for up to {@code grace}, then close whatever is left.
     *
     * @return true when every connection finished within the grace period
     */
    public boolean stop(Duration grace) {
        Generation g;
        AdminServer adminToStop;
        synchronized (this) {
            stopping = true;
            resolver.close();
            g = current;
            g.checks.stop();
            listeners.values().forEach(c -> c.close().syncUninterruptibly());
            adminToStop = admin;
        }
        if (adminToStop != null) {
            adminToStop.stop(); // outside the lock: an API call on its thread may be waiting for it
        }
        boolean clean = Drain.await(clients, ch -> {
            ClientConnection c = ch.pipeline().get(ClientConnection.class);
            if (c != null) {
                c.shutdown();
            }
            Http2Session h2 = ch.pipeline().get(Http2Session.class);
            if (h2 != null) {
                h2.shutdown();
            }
        }, grace);
        clients.close().awaitUninterruptibly(1, TimeUnit.SECONDS);
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        if (g.runtime.accessLog() != null) {
            g.runtime.accessLog().close();
        }
        return clean;
    }

    @Override
    public void close() {
        stop(Duration.ZERO);
    }
}
