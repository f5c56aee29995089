package io.stampede.loadgen.engine;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.stampede.loadgen.scenario.Step;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.stampede.common.Transport;
import io.stampede.loadgen.stats.Recording;
import java.util.ArrayDeque;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One event loop's share of the swarm: its users, its recording sink, its randomness, and a probe
 * that measures how late the loop runs scheduled work (a saturated generator shows up here first).
 */
final class Worker {
    private static final long PROBE_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

    private final EventLoop loop;
    private final Recording recording;
    private final SwarmSettings settings;
    private final SplittableRandom random;
    final ArrayDeque<VirtualUser> idle = new ArrayDeque<>();
    final AtomicLong maxLagNanos = new AtomicLong();
    private long expectedProbe;

    Worker(EventLoop loop, Recording recording, SwarmSettings settings, long seed) {
        this.loop = loop;
        this.recording = recording;
        this.settings = settings;
        this.random = new SplittableRandom(seed);
        loop.execute(this::startProbe);
    }

    private void startProbe() {
        expectedProbe = System.nanoTime() + PROBE_NANOS;
        loop.schedule(this::probe, PROBE_NANOS, TimeUnit.NANOSECONDS);
    }

    private void probe() {
        long now = System.nanoTime();
        long lag = now - expectedProbe;
        maxLagNanos.accumulateAndGet(lag, Math::max);
        expectedProbe = now + PROBE_NANOS;
        loop.schedule(this::probe, PROBE_NANOS, TimeUnit.NANOSECONDS);
    }

    EventLoop loop() {
        return loop;
    }

    Recording recording() {
        return recording;
    }

    SwarmSettings settings() {
        return settings;
    }

    SplittableRandom random() {
        return random;
    }

    private static final io.netty.buffer.UnpooledByteBufAllocator UNTRACKED =
            new io.netty.buffer.UnpooledByteBufAllocator(true, true);
    private final java.util.Map<Step.Request, ByteBuf> encoded = new java.util.HashMap<>();

    /** Whether a request step always produces the same bytes (no variables, no body templates, not HEAD). */
    boolean encodable(Step.Request step) {
        return encodable.computeIfAbsent(step, Worker::constant);
    }

    private final java.util.Map<Step.Request, Boolean> encodable = new java.util.HashMap<>();
    private final java.util.Map<Step.Request, Boolean> headerCaptures = new java.util.HashMap<>();

    /** Whether a step captures a header, so the response's headers must all be kept. */
    boolean capturesHeaders(Step.Request step) {
        return headerCaptures.computeIfAbsent(step, s -> s.captures().values().stream()
                .anyMatch(c -> c instanceof io.stampede.loadgen.scenario.Capture.Header));
    }

    private static boolean constant(Step.Request step) {
        if (step.method().equals("HEAD") || !step.path().isConstant()) {
            return false;
        }
        for (var t : step.headers().values()) {
            if (!t.isConstant()) {
                return false;
            }
        }
        return step.body() == null || (step.body() instanceof Step.TextBody t && t.text().isConstant());
    }

    /** The step's request bytes, encoded once on this worker. */
    ByteBuf encoded(Step.Request step, String path) {
        ByteBuf b = encoded.get(step);
        if (b == null) {
            io.netty.handler.codec.http.FullHttpRequest r = RequestBuilder.build(step, n -> null, settings.target(),
                    settings.target().uri(path), settings.headers(), null, io.netty.buffer.UnpooledByteBufAllocator.DEFAULT);
            io.netty.channel.embedded.EmbeddedChannel ch = new io.netty.channel.embedded.EmbeddedChannel(
                    new io.netty.handler.codec.http.HttpRequestEncoder());
            ch.writeOutbound(r);
            io.netty.buffer.CompositeByteBuf all = io.netty.buffer.Unpooled.compositeBuffer();
            ByteBuf part;
            while ((part = ch.readOutbound()) != null) {
                all.addComponent(true, part);
            }
            ch.finishAndReleaseAll();
            // Direct, so each write goes to the socket without a copy into a direct buffer first.
            // Owned by this worker for its whole life (never released), so it is allocated
            // outside leak tracking: its shared duplicates are not leaks.
            ByteBuf direct = UNTRACKED.directBuffer(all.readableBytes());
            direct.writeBytes(all);
            b = io.netty.buffer.Unpooled.unreleasableBuffer(direct);
            all.release();
            encoded.put(step, b);
        }
        return b;
    }

    private final java.util.List<SharedHttp2Connection> http2Connections = new java.util.ArrayList<>();
    private int nextHttp2;
    private final java.util.Map<Step.Request, Http2Request> http2Requests = new java.util.HashMap<>();

    void addHttp2Connection(SharedHttp2Connection c) {
        http2Connections.add(c);
    }

    /** The HTTP/2 connection for this worker's next user: round robin over the worker's share. */
    SharedHttp2Connection nextHttp2Connection() {
        return http2Connections.get(nextHttp2++ % http2Connections.size());
    }

    /** A constant step's HTTP/2 request, made once on this worker and shared by its users (never changed). */
    Http2Request http2Request(Step.Request step, String path) {
        Http2Request r = http2Requests.get(step);
        if (r == null) {
            io.netty.handler.codec.http.FullHttpRequest full = RequestBuilder.build(step, n -> null, settings.target(),
                    settings.target().uri(path), settings.headers(), null, io.netty.buffer.UnpooledByteBufAllocator.DEFAULT);
            try {
                ByteBuf body = UNTRACKED.directBuffer(full.content().readableBytes());
                body.writeBytes(full.content());
                r = new Http2Request(Http2Request.headers(full, settings.target()), io.netty.buffer.Unpooled.unreleasableBuffer(body));
            } finally {
                full.release();
            }
            http2Requests.put(step, r);
        }
        return r;
    }

    /** A client bootstrap on this worker's loop: no Nagle, connects given up after {@code timeoutNanos}. */
    io.netty.bootstrap.Bootstrap bootstrap(long timeoutNanos) {
        return new io.netty.bootstrap.Bootstrap().group(loop()).channel(channelType())
                .option(io.netty.channel.ChannelOption.TCP_NODELAY, true)
                .option(io.netty.channel.ChannelOption.CONNECT_TIMEOUT_MILLIS,
                        (int) Math.min(Integer.MAX_VALUE, java.util.concurrent.TimeUnit.NANOSECONDS.toMillis(timeoutNanos)));
    }

    Class<? extends Channel> channelType() {
        return Transport.clientChannel();
    }

    ByteBufAllocator alloc() {
        return PooledByteBufAllocator.DEFAULT;
    }
}
