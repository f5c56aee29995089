package io.stampede.api;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.ssl.SslContext;
import io.stampede.api.http.ApiConnection;
import io.stampede.common.Drain;
import io.stampede.common.Transport;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * A process serving one or more Market API instances. The instances share the event loops, the
 * CPU pool that hashes passwords and the {@link MarketData}; each has its own port, name, worker
 * pool and counters.
 */
public final class MarketApi implements AutoCloseable {
    /** Largest request body accepted (larger ones get 413), as Django's default upload limit. */
    static final int MAX_BODY = 2_621_440;

    /** A listening instance; {@code tls} when it serves HTTPS. */
    public record Instance(String name, InetSocketAddress address, boolean tls) {
        public Instance(String name, InetSocketAddress address) {
            this(name, address, false);
        }

        public int port() {
            return address.getPort();
        }

        public String url() {
            return (tls ? "https://" : "http://") + address.getHostString() + ":" + address.getPort();
        }
    }

    private final MarketData data;
    private final EventLoopGroup group;
    private final ExecutorService cpu;
    private final List<Channel> listeners = new ArrayList<>();
    private final List<Instance> instances = new ArrayList<>();
    private final java.util.Map<Instance, ApiInstance> byInstance = new java.util.HashMap<>();
    private final ChannelGroup connections = new DefaultChannelGroup("market-connections", GlobalEventExecutor.INSTANCE);
    private volatile boolean stopping;
    private volatile boolean reusePort;

    /**
     * Binds with SO_REUSEPORT from now on, so several processes serve one port and the kernel
     * spreads connections over them (gunicorn's {@code --reuse-port}): past one process's
     * open-file limit, as nginx's workers are.
     *
     * @throws IllegalStateException on a transport that cannot (NIO)
     */
    public MarketApi reusePort(boolean on) {
        if (on && io.stampede.common.Transport.reusePort() == null) {
            throw new IllegalStateException("--reuse-port needs the epoll or io_uring transport, not " + io.stampede.common.Transport.name());
        }
        this.reusePort = on;
        return this;
    }

    /**
     * One line per instance on what it answered: its API requests by status class and its
     * refusals for a full queue. Printed at shutdown, the count a load test's own can be held to
     * when the instances share a port and /_admin/stats reaches only one of them.
     */
    public synchronized List<String> summaries() {
        List<String> lines = new java.util.ArrayList<>();
        for (ApiInstance i : new java.util.LinkedHashSet<>(byInstance.values())) {
            io.stampede.api.admin.ApiStats st = i.stats();
            lines.add(i.name() + " answered " + st.requestsTotal() + " API requests " + st.byStatus()
                    + ", refused " + st.rejectedTotal() + " for a full queue");
        }
        return lines;
    }

    public MarketApi(MarketData data, int ioThreads) {
        this.data = data;
        this.group = Transport.newGroup(ioThreads, "market-io");
        int cores = Runtime.getRuntime().availableProcessors();
        this.cpu = Executors.newFixedThreadPool(cores, r -> {
            Thread t = new Thread(r, "market-cpu");
            t.setDaemon(true);
            return t;
        });
    }

    /** Binds one instance; port 0 picks a free port. */
    public Instance start(ApiSettings settings) throws InterruptedException {
        return start(settings, null);
    }

    /** Binds one instance serving HTTPS with {@code tls} (a server context), or HTTP when null. */
    public synchronized Instance start(ApiSettings settings, SslContext tls) throws InterruptedException {
        Holder holder = new Holder();
        Channel channel = bind(settings.bind(), settings.port(), tls, holder);
        InetSocketAddress bound = (InetSocketAddress) channel.localAddress();
        holder.instance = new ApiInstance(settings.nameFor(bound.getPort()), settings, data, cpu);
        return listening(channel, holder, tls);
    }

    /**
     * Makes {@code instance} listen on one more port as well, as an nginx server with two
     * {@code listen} lines: HTTPS with {@code tls} (HTTP when null), the same instance behind both
     * (its name, workers, queue and counters), so a client may come either way.
     */
    public synchronized Instance alsoListen(Instance instance, int port, SslContext tls) throws InterruptedException {
        ApiInstance shared = byInstance.get(instance);
        if (shared == null) {
            throw new IllegalArgumentException("not an instance of this process: " + instance);
        }
        Holder holder = new Holder();
        holder.instance = shared;
        return listening(bind(instance.address().getHostString(), port, tls, holder), holder, tls);
    }

    private Instance listening(Channel channel, Holder holder, SslContext tls) {
        channel.config().setAutoRead(true);
        listeners.add(channel);
        Instance instance = new Instance(holder.instance.name(), (InetSocketAddress) channel.localAddress(), tls != null);
        instances.add(instance);
        byInstance.put(instance, holder.instance);
        return instance;
    }

    private Channel bind(String address, int port, SslContext tls, Holder holder) throws InterruptedException {
        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(group)
                .channel(Transport.serverChannel())
                .option(ChannelOption.SO_BACKLOG, 4096)
                .option(ChannelOption.SO_REUSEADDR, true)
                // Accept nothing until the instance exists: its name depends on the bound port.
                .option(ChannelOption.AUTO_READ, false)
                .childOption(ChannelOption.AUTO_READ, false)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        if (stopping) {
                            ch.close();
                            return;
                        }
                        connections.add(ch);
                        if (tls != null) {
                            ch.pipeline().addLast(tls.newHandler(ch.alloc()));
                        }
                        ch.pipeline().addLast(new HttpServerCodec(4096, 16_384, 8192),
                                new HttpObjectAggregator(MAX_BODY),
                                new ApiConnection(holder.instance, () -> stopping));
                    }
                });
        if (reusePort) {
            bootstrap.option(io.stampede.common.Transport.reusePort(), true);
        }
        return bootstrap.bind(address, port).sync().channel();
    }

    public synchronized List<Instance> instances() {
        return List.copyOf(instances);
    }

    /** Stops at once: {@link #close(Duration)} with no time for requests in flight. */
    @Override
    public void close() {
        close(Duration.ZERO);
    }

    /**
     * Graceful stop: stop accepting, close idle connections, let every request already read be
     * answered for up to {@code grace} (its reply closes the connection), then close what is
     * left and stop the event loops.
     *
     * @return true when every connection finished within the grace period
     */
    public boolean close(Duration grace) {
        stopping = true;
        List<Channel> toClose;
        synchronized (this) {
            toClose = List.copyOf(listeners);
            listeners.clear();
        }
        toClose.forEach(c -> c.close().syncUninterruptibly());
        boolean clean = Drain.await(connections, ch -> {
            ApiConnection c = ch.pipeline().get(ApiConnection.class);
            if (c != null) {
                c.drain();
            }
        }, grace);
        connections.close().awaitUninterruptibly(1, TimeUnit.SECONDS);
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        cpu.shutdownNow();
        return clean;
    }

    /** The instance is created once the port is bound, before the first connection is accepted. */
    private static final class Holder {
        volatile ApiInstance instance;
    }
}
