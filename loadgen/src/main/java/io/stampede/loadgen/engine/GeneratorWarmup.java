package io.stampede.loadgen.engine;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.stampede.common.http.HttpService;
import io.stampede.common.http.Replies;
import io.stampede.loadgen.scenario.Scenarios;
import io.stampede.loadgen.stats.StatsCollector;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Warms the generator's own request path before a run, so its cold start (classes loading, the
 * JIT compiling the HTTP path while the first arrivals wait) does not show in the run's numbers:
 * the same engine sends requests to a tiny responder inside this process, on loopback, for a
 * bounded count and time; nothing goes to the target and nothing is counted. A run at a rate the
 * machine handles easily then reports from its first second what a warm run reports.
 */
public final class GeneratorWarmup {
    /** What the warm-up did. */
    public record Result(long requests, Duration took) {}

    private GeneratorWarmup() {}

    /**
     * Runs until {@code requests} answers arrived or {@code budget} passed, with the closed model
     * and, when {@code openModel}, a stretch of open-model arrivals too (a quarter of the requests,
     * at most half the budget more).
     *
     * @param threads the run's event-loop threads (0: one per core), so the same loops' code warms
     * @param http2Connections the run's HTTP/2 connections (0: HTTP/1.1); HTTP/2 warms against
     *        an h2c responder
     */
    public static Result run(int users, int threads, boolean openModel, int http2Connections, long requests, Duration budget)
            throws InterruptedException {
        long start = System.nanoTime();
        long deadline = start + budget.toNanos();
        ChannelHandler responder = new Responder();
        try (AutoCloseable service = http2Connections > 0 ? Http2Responder.start()
                : HttpService.start("swarm-warmup", new InetSocketAddress("127.0.0.1", 0), 64 * 1024, 1 << 20, () -> responder)) {
            int port = service instanceof Http2Responder h2 ? h2.port() : ((HttpService) service).address().getPort();
            String url = "http://127.0.0.1:" + port + "/warmup";
            int conns = Math.min(http2Connections, 8);
            long done = phase(url, Math.max(1, Math.min(users, 32)), threads, conns, null, requests, deadline);
            if (openModel) {
                // The open model's own path: arrivals on schedule, users taken from the free pool.
                done += phase(url, Math.max(1, Math.min(users, 32)), threads, conns, Pacer.constant(5_000), requests / 4,
                        System.nanoTime() + budget.toNanos() / 2);
            }
            return new Result(done, Duration.ofNanos(System.nanoTime() - start));
        } catch (InterruptedException | RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException("the generator's warm-up responder: " + e.getMessage(), e);
        }
    }

    private static long phase(String url, int users, int threads, int http2Connections, Pacer pacer, long requests, long deadline)
            throws InterruptedException {
        SwarmSettings settings = new SwarmSettings(Target.of(url), Map.of(), TimeUnit.SECONDS.toNanos(5), 1 << 20, users,
                1_000_000, null, Duration.ZERO, pacer, 1, threads, List.of(), null, http2Connections);
        StatsCollector collector = new StatsCollector(System::nanoTime);
        try (Swarm swarm = new Swarm(Scenarios.quick(url), settings, collector)) {
            collector.countUsers(swarm::users);
            swarm.start().join();
            while (System.nanoTime() < deadline) {
                if (collector.collect().total().requests() >= requests) {
                    break;
                }
                Thread.sleep(20);
            }
            return collector.collect().total().requests();
        }
    }

    /**
     * The h2c responder: a short 200 for every stream once the request has ended, on its own
     * event loop; it sends nothing else (no window updates), so a client must push its frames out
     * on its own.
     */
    static final class Http2Responder implements AutoCloseable {
        private final io.netty.channel.EventLoopGroup group;
        private final io.netty.channel.Channel server;

        private Http2Responder(io.netty.channel.EventLoopGroup group, io.netty.channel.Channel server) {
            this.group = group;
            this.server = server;
        }

        static Http2Responder start() throws InterruptedException {
            io.netty.channel.EventLoopGroup group = io.stampede.common.Transport.newGroup(1, "swarm-warmup");
            io.netty.channel.Channel ch = new io.netty.bootstrap.ServerBootstrap().group(group)
                    .channel(io.stampede.common.Transport.serverChannel())
                    .childOption(io.netty.channel.ChannelOption.TCP_NODELAY, true)
                    .childHandler(new io.netty.channel.ChannelInitializer<io.netty.channel.Channel>() {
                        @Override
                        protected void initChannel(io.netty.channel.Channel c) {
                            c.pipeline().addLast(io.netty.handler.codec.http2.Http2FrameCodecBuilder.forServer().build(),
                                    new StreamAnswers());
                        }
                    }).bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
            return new Http2Responder(group, ch);
        }

        int port() {
            return ((InetSocketAddress) server.localAddress()).getPort();
        }

        @Override
        public void close() {
            server.close().syncUninterruptibly();
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    /** Answers each request's end of stream; nothing else a warm-up client sends needs an answer. */
    private static final class StreamAnswers extends io.netty.channel.ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            try {
                boolean ended = msg instanceof io.netty.handler.codec.http2.Http2StreamFrame f && (
                        (f instanceof io.netty.handler.codec.http2.Http2HeadersFrame h && h.isEndStream())
                        || (f instanceof io.netty.handler.codec.http2.Http2DataFrame d && d.isEndStream()));
                if (ended) {
                    io.netty.handler.codec.http2.Http2FrameStream stream = ((io.netty.handler.codec.http2.Http2StreamFrame) msg).stream();
                    ctx.write(new io.netty.handler.codec.http2.DefaultHttp2HeadersFrame(
                            new io.netty.handler.codec.http2.DefaultHttp2Headers().status("200")).stream(stream));
                    ctx.write(new io.netty.handler.codec.http2.DefaultHttp2DataFrame(
                            io.netty.buffer.Unpooled.wrappedBuffer(OK), true).stream(stream));
                }
            } finally {
                io.netty.util.ReferenceCountUtil.release(msg);
            }
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            ctx.flush();
        }
    }

    private static final byte[] OK = "ok\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    /** Answers every request with a short 200 (the request path is what warms, not this). */
    @ChannelHandler.Sharable
    private static final class Responder extends SimpleChannelInboundHandler<FullHttpRequest> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
            Replies.send(ctx, req, Replies.text(HttpResponseStatus.OK, "ok\n"));
        }
    }
}
