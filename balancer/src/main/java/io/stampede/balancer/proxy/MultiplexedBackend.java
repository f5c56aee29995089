package io.stampede.balancer.proxy;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPromise;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http2.DefaultHttp2GoAwayFrame;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2GoAwayFrame;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamChannelBootstrap;
import io.netty.handler.codec.http2.Http2StreamFrameToHttpObjectCodec;
import io.netty.handler.flush.FlushConsolidationHandler;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.ScheduledFuture;
import io.stampede.balancer.config.ProxySettings;
import io.stampede.balancer.config.UpstreamConfig;
import io.stampede.balancer.log.ProxyLog;
import io.stampede.balancer.tls.UpstreamTls;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

/**
 * One HTTP/2 connection to one upstream server, shared by the exchanges of its event loop: each
 * request is a stream of its own ({@link #openStream}), as many at once as the server's
 * SETTINGS_MAX_CONCURRENT_STREAMS allows; past that, {@link MultiplexedPool} opens another
 * connection. Its streams are read only when their exchanges ask (flow control holds the server
 * back per stream), while the connection itself is always read, for its SETTINGS, PINGs and
 * window updates.
 *
 * <p>It takes no new stream after the server's GOAWAY, after the upstream's
 * {@code keepalive_requests} streams, or once older than {@code keepalive_time}; it closes when its
 * last stream ends then, after {@code keepalive_timeout} without a stream, or at once when the
 * upstream keeps no idle connections ({@code keepalive 0}).
 */
final class MultiplexedBackend extends ChannelInboundHandlerAdapter {
    private static final Http2StreamFrameToHttpObjectCodec STREAM_CODEC = new Http2StreamFrameToHttpObjectCodec(false);
    /**
     * A stream's receive window. What a stream may have unread while its client is slow is bounded
     * by it; the connection's window is opened wide, so one slow client never holds up the others.
     */
    private static final int STREAM_WINDOW = 256 * 1024;
    /**
     * The largest response head the connection takes. It is a connection's limit in HTTP/2 (a
     * block well past it ends the connection, every stream on it), so it is set far above any
     * location's proxy_buffer_size, which each response is held to on its own stream.
     */
    private static final int MAX_HEADER_LIST = 1024 * 1024;
    /**
     * Streams taken on a connection before the server's SETTINGS say how many it allows: a common
     * server limit (nginx 128, most others 100), so a burst at connect time is not refused.
     */
    private static final int STREAMS_BEFORE_SETTINGS = 100;
    /**
     * A connection's own stream ids (odd, below 2^31) run out after 2^30 streams; the connection
     * is retired well before, whatever keepalive_requests allows, rather than have the codec
     * refuse a stream mid-request.
     */
    private static final long MAX_STREAMS = 1L << 29;

    final Channel channel;
    final InetSocketAddress address;
    /**
     * Completes when the connection (and its TLS handshake) is up and the server's SETTINGS came:
     * only then is its stream limit known, so no stream goes out that the server would refuse.
     */
    ChannelPromise ready;
    private final Http2FrameCodec codec;
    private final UpstreamConfig upstream;
    private final ProxyLog log;
    private final long createdNanos = System.nanoTime();
    /** Streams handed out and not yet closed. */
    private int streams;
    private int opened;
    private boolean goingAway;
    private ScheduledFuture<?> idleTimer;
    private boolean settingsSeen;

    private MultiplexedBackend(Channel channel, InetSocketAddress address, Http2FrameCodec codec,
                               UpstreamConfig upstream, ProxyLog log) {
        this.channel = channel;
        this.address = address;
        this.codec = codec;
        this.upstream = upstream;
        this.log = log;
    }

    /** Opens a connection to {@code address} on {@code loop}; streams may be asked for before it is up. */
    static MultiplexedBackend open(ProxyRuntime runtime, EventLoop loop, InetSocketAddress address, ProxySettings settings,
                                   UpstreamTls tls, UpstreamConfig upstream) {
        Channel ch = BackendConnection.newChannel(runtime, settings);
        Http2FrameCodec codec = Http2FrameCodecBuilder.forClient()
                .initialSettings(Http2Settings.defaultSettings().pushEnabled(false).initialWindowSize(STREAM_WINDOW)
                        .maxHeaderListSize(MAX_HEADER_LIST))
                .validateHeaders(true)
                // Streams past the server's limit wait in the encoder (the limit is only known
                // once its SETTINGS came) rather than fail.
                .encoderEnforceMaxConcurrentStreams(true)
                .gracefulShutdownTimeoutMillis(0)
                .build();
        ch.pipeline().addLast("h2", codec);
        // Requests of several clients read in one batch go out in one write (see Http2Session).
        ch.pipeline().addLast("h2-flush", new FlushConsolidationHandler(FlushConsolidationHandler.DEFAULT_EXPLICIT_FLUSH_AFTER_FLUSHES, true));
        ch.pipeline().addLast("h2-streams", new Http2MultiplexHandler(new ChannelInboundHandlerAdapter()));
        MultiplexedBackend backend = new MultiplexedBackend(ch, address, codec, upstream, runtime.log());
        ch.pipeline().addLast("h2-connection", backend);
        ChannelPromise ready = ch.newPromise();
        backend.ready = ready;
        long started = System.nanoTime();
        ch.closeFuture().addListener(f -> ready.tryFailure(new java.io.IOException(
                "the server closed the connection before its HTTP/2 SETTINGS")));
        BackendConnection.connect(ch, loop, address, settings, tls).addListener(f -> {
            if (!f.isSuccess()) {
                ready.tryFailure(f.cause());
                ch.close(); // leaves the pool's list with its close
            } else {
                // The SETTINGS must come within what proxy_connect_timeout left.
                long left = settings.connectTimeout().toNanos() - (System.nanoTime() - started);
                ScheduledFuture<?> timer = loop.schedule(() -> {
                    if (ready.tryFailure(new io.netty.channel.ConnectTimeoutException(
                            "no HTTP/2 SETTINGS from the server within proxy_connect_timeout"))) {
                        ch.close();
                    }
                }, Math.max(1, left), TimeUnit.NANOSECONDS);
                ready.addListener(r -> timer.cancel(false));
                codec.connection().local().flowController().incrementWindowSize(codec.connection().connectionStream(),
                        Integer.MAX_VALUE - 65_535);
                ch.config().setAutoRead(true);
                ch.flush();
            }
        });
        return backend;
    }

    /** Whether a new stream may go on this connection now (or once it is up). */
    boolean canTake(long nowNanos) {
        int limit = codec.connection().local().maxActiveStreams();
        return !goingAway && (!ready.isDone() || (ready.isSuccess() && channel.isActive()))
                && streams < (settingsSeen ? limit : Math.min(limit, STREAMS_BEFORE_SETTINGS))
                && opened < Math.min(upstream.keepaliveRequests(), MAX_STREAMS)
                && nowNanos - createdNanos < upstream.keepaliveTime().toNanos();
    }

    /**
     * Counts a stream as taken now, before it is opened, so the next exchange sees the
     * connection's true load.
     *
     * @return whether the connection was up and had carried streams before: a failure on it may
     *     be the server letting an old connection go rather than the server failing (nginx gives
     *     such a try back)
     */
    boolean reserve() {
        boolean reused = ready != null && ready.isSuccess() && opened > 0;
        streams++;
        opened++;
        if (idleTimer != null) {
            idleTimer.cancel(false);
            idleTimer = null;
        }
        return reused;
    }

    /**
     * Opens the stream {@link #reserve reserved} for one exchange (the connection must be up); its
     * channel carries a {@link BackendConnection} in stream mode. A failure gives the reservation back.
     */
    Future<Http2StreamChannel> openStream() {
        Future<Http2StreamChannel> f = new Http2StreamChannelBootstrap(channel).option(ChannelOption.AUTO_READ, false).open();
        f.addListener(done -> {
            if (!done.isSuccess()) {
                streamClosed();
                return;
            }
            Http2StreamChannel stream = f.getNow();
            stream.pipeline().addLast(STREAM_CODEC, new BackendConnection(stream, address, null, log));
            stream.closeFuture().addListener(closed -> {
                forgetIfQueued(stream);
                streamClosed();
            });
        });
        return f;
    }

    /**
     * A stream closed while it still waited in the codec for a slot under the server's limit (its
     * id given, nothing sent): the codec drops the RST_STREAM its close writes for such a stream,
     * so it is taken out of the waiting ones here. Otherwise the request would go out later, with
     * nobody waiting for its answer.
     */
    private void forgetIfQueued(Http2StreamChannel stream) {
        int id = stream.stream().id();
        if (io.netty.handler.codec.http2.Http2CodecUtil.isStreamIdValid(id) && !codec.connection().streamMayHaveExisted(id)
                && channel.isActive()) {
            ChannelHandlerContext ctx = channel.pipeline().context(codec);
            codec.encoder().writeRstStream(ctx, id, Http2Error.CANCEL.code(), ctx.newPromise());
        }
    }

    /** Gives back a reservation that will not be opened (the exchange went elsewhere or away). */
    void unreserve() {
        streamClosed();
    }

    private void streamClosed() {
        if (--streams > 0 || !channel.isActive()) {
            return;
        }
        if (goingAway || opened >= upstream.keepaliveRequests() || upstream.keepalive() == 0
                || System.nanoTime() - createdNanos >= upstream.keepaliveTime().toNanos()) {
            goodbye();
            return;
        }
        long timeout = upstream.keepaliveTimeout().toNanos();
        idleTimer = channel.eventLoop().schedule(() -> {
            idleTimer = null;
            if (streams == 0) {
                goodbye();
            }
        }, timeout, TimeUnit.NANOSECONDS);
    }

    /** Takes no new stream from now; closes when the last one ends (its server left the configuration). */
    void retire() {
        goingAway = true;
        if (streams == 0) {
            goodbye();
        }
    }

    /** Closes an idle connection politely: GOAWAY (no stream of the server's to keep), then the close. */
    private void goodbye() {
        goingAway = true;
        if (channel.isActive()) {
            channel.writeAndFlush(new DefaultHttp2GoAwayFrame(Http2Error.NO_ERROR)).addListener(f -> channel.close());
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof io.netty.handler.codec.http2.Http2SettingsFrame) {
            settingsSeen = true; // the codec applied them already: maxActiveStreams is the server's
            ready.trySuccess();
        }
        if (msg instanceof Http2GoAwayFrame) {
            // Streams above its last one hear of it themselves (and are retried elsewhere);
            // the ones below finish here, and nothing new starts.
            goingAway = true;
            if (streams == 0) {
                ctx.close();
            }
        }
        ReferenceCountUtil.release(msg);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        goingAway = true;
        if (idleTimer != null) {
            idleTimer.cancel(false);
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (ready.isSuccess()) {
            // After a connection error the codec has sent GOAWAY and closes; the streams hear of it.
            log.connectionError("upstream " + address.getHostString() + ":" + address.getPort() + " (HTTP/2)", cause);
        }
        ctx.close();
    }
}
