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
     */
    public static Result run(int users, int threads, boolean openModel, long requests, Duration budget)
            throws InterruptedException {
        long start = System.nanoTime();
        long deadline = start + budget.toNanos();
        ChannelHandler responder = new Responder();
        try (HttpService service = HttpService.start("swarm-warmup", new InetSocketAddress("127.0.0.1", 0), 64 * 1024,
                1 << 20, () -> responder)) {
            String url = "http://127.0.0.1:" + service.address().getPort() + "/warmup";
            long done = phase(url, Math.max(1, Math.min(users, 32)), threads, null, requests, deadline);
            if (openModel) {
                // The open model's own path: arrivals on schedule, users taken from the free pool.
                done += phase(url, Math.max(1, Math.min(users, 32)), threads, Pacer.constant(5_000), requests / 4,
                        System.nanoTime() + budget.toNanos() / 2);
            }
            return new Result(done, Duration.ofNanos(System.nanoTime() - start));
        }
    }

    private static long phase(String url, int users, int threads, Pacer pacer, long requests, long deadline)
            throws InterruptedException {
        SwarmSettings settings = new SwarmSettings(Target.of(url), Map.of(), TimeUnit.SECONDS.toNanos(5), 1 << 20, users,
                1_000_000, null, Duration.ZERO, pacer, 1, threads, List.of());
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

    /** Answers every request with a short 200 (the request path is what warms, not this). */
    @ChannelHandler.Sharable
    private static final class Responder extends SimpleChannelInboundHandler<FullHttpRequest> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
            Replies.send(ctx, req, Replies.text(HttpResponseStatus.OK, "ok\n"));
        }
    }
}
