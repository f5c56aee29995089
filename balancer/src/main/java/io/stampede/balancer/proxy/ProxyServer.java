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
    private final ProxyRuntime runtime;
    private final EventLoopGroup group;
    private final ChannelGroup clients = new DefaultChannelGroup("clients", GlobalEventExecutor.INSTANCE);
    private final List<Channel> listeners = new ArrayList<>();
    private final AdminServer admin;
    private InetSocketAddress adminAddress;
    private volatile boolean stopping;
    private final HealthChecks healthChecks;
    /** TLS for the listeners marked ssl, without and with h2 in ALPN; null when no such listener is. */
    private final ServerTls tls;
    private final ServerTls tlsWithHttp2;

    /** Builds the runtime (upstreams, access log); nothing listens until {@link #start}. */
    public ProxyServer(ProxyConfig config, LongSupplier nowSeconds, RandomGenerator random) throws IOException {
        this(config, nowSeconds, () -> nowSeconds.getAsLong() * 1000, random);
    }

    /** @param nowMillis the finer clock least_time measures with */
    public ProxyServer(ProxyConfig config, LongSupplier nowSeconds, LongSupplier nowMillis, RandomGenerator random) throws IOException {
        AccessLog accessLog = config.accessLog().isPresent() ? new AccessLog(Path.of(config.accessLog().get())) : null;
        Map<String, UpstreamRuntime> upstreams = UpstreamRuntime.build(config.upstreams(), nowSeconds, random);
        Map<String, PeerGroup> groups = new LinkedHashMap<>();
        upstreams.forEach((name, u) -> {
            groups.put(name, u.group());
            u.group().millisClock(nowMillis);
        });
        this.runtime = new ProxyRuntime(config, upstreams, new BackendPool(), new ProxyLog(), accessLog, new ProxyMetrics(groups));
        this.group = Transport.newGroup(config.workers(), "proxy");
        Map<PeerGroup, List<HealthCheckConfig>> checks = new LinkedHashMap<>();
        runtime.upstreams().values().forEach(u -> {
            u.group().onEvent(runtime.log()::warn);
            if (!u.config().healthChecks().isEmpty()) {
                checks.put(u.group(), u.config().healthChecks());
            }
        });
        this.healthChecks = new HealthChecks(checks, random, runtime.log()::warn);
        this.admin = new AdminServer(this::groups, runtime.metrics());
        this.tls = config.listen().stream().anyMatch(l -> l.ssl() && !l.http2())
                ? ServerTls.build(config.ssl().orElseThrow(), false) : null;
        this.tlsWithHttp2 = config.listen().stream().anyMatch(l -> l.ssl() && l.http2())
                ? ServerTls.build(config.ssl().orElseThrow(), true) : null;
    }

    /** The usual clock (integer seconds, as nginx's) and randomness. */
    public static ProxyServer create(ProxyConfig config) throws IOException {
        return new ProxyServer(config, () -> System.currentTimeMillis() / 1000, System::currentTimeMillis, RandomGenerator.getDefault());
    }

    public void start() throws InterruptedException {
        healthChecks.start(group);
        for (Listener listener : runtime.config().listen()) {
            ServerTls listenerTls = listener.ssl() ? (listener.http2() ? tlsWithHttp2 : tls) : null;
            boolean h2c = listener.http2() && !listener.ssl();
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
                            clients.add(ch);
                            ClientConnection connection = new ClientConnection(runtime, ProxyServer.this, listenerTls);
                            if (listenerTls != null) {
                                // The handshake shares the client header timeout, as in nginx.
                                ch.pipeline().addLast(new PlainHttpDetector(connection::plainHttpOnTlsPort));
                                ch.pipeline().addLast(ServerTls.HANDLER,
                                        listenerTls.newHandler(ch.alloc(), runtime.config().client().headerTimeout()));
                            }
                            if (h2c) {
                                ch.pipeline().addLast(new PrefaceSniffer(() ->
                                        Http2Session.install(ch.pipeline(), runtime, ProxyServer.this, null, "h2c")));
                            }
                            // Named for Http2Session, which takes them out when the client speaks HTTP/2.
                            ch.pipeline().addLast("raw", new ClientConnection.RawActivity(connection))
                                    .addLast("http-decoder", new RequestDecoder(runtime.config().client().headerBuffers(),
                                            runtime.config().client().headerBufferSize()))
                                    .addLast("http-encoder", new HttpResponseEncoder())
                                    .addLast("client", connection);
                        }
                    });
            listeners.add(b.bind(listener.address()).sync().channel());
        }
        if (runtime.config().admin().isPresent()) {
            adminAddress = admin.start(runtime.config().admin().get());
        }
    }

    /** The admin listener's bound address, when the config has one. */
    public java.util.Optional<InetSocketAddress> adminAddress() {
        return java.util.Optional.ofNullable(adminAddress);
    }

    /** The addresses actually bound (port 0 in the config becomes a real port). */
    public List<InetSocketAddress> addresses() {
        return listeners.stream().map(c -> (InetSocketAddress) c.localAddress()).toList();
    }

    public Map<String, PeerGroup> groups() {
        Map<String, PeerGroup> out = new LinkedHashMap<>();
        runtime.upstreams().forEach((name, u) -> out.put(name, u.group()));
        return out;
    }

    /** The runtime every connection shares (tests build connections on it). */
    ProxyRuntime runtime() {
        return runtime;
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
        stopping = true;
        healthChecks.stop();
        listeners.forEach(c -> c.close().syncUninterruptibly());
        admin.stop();
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
        if (runtime.accessLog() != null) {
            runtime.accessLog().close();
        }
        return clean;
    }

    @Override
    public void close() {
        stop(Duration.ZERO);
    }
}
