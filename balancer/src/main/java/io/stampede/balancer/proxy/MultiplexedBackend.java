package io.stampede.balancer.proxy;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
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

    final Channel channel;
    final InetSocketAddress address;
    /** Completes when the connection (and its TLS handshake) is up. */
    ChannelFuture ready;
    private final Http2FrameCodec codec;
    private final UpstreamConfig upstream;
    private final ProxyLog log;
    private final long createdNanos = System.nanoTime();
    /** Streams handed out and not yet closed. */
    private int streams;
    private int opened;
    private boolean goingAway;
    private ScheduledFuture<?> idleTimer;

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
                        .maxHeaderListSize(settings.bufferSize()))
                .validateHeaders(true)
                // Streams past the server's limit wait in the encoder (the limit is only known
                // once its SETTINGS came) rather than fail.
                .encoderEnforceMaxConcurrentStreams(true)
                .gracefulShutdownTimeoutMillis(0)
                .build();
        ch.pipeline().addLast("h2", codec);
        ch.pipeline().addLast("h2-streams", new Http2MultiplexHandler(new ChannelInboundHandlerAdapter()));
        MultiplexedBackend backend = new MultiplexedBackend(ch, address, codec, upstream, runtime.log());
        ch.pipeline().addLast("h2-connection", backend);
        backend.ready = BackendConnection.connect(ch, loop, address, settings, tls);
        backend.ready.addListener(f -> {
            if (f.isSuccess()) {
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
        return !goingAway && (ready.isDone() ? channel.isActive() : true)
                && streams < codec.connection().local().maxActiveStreams()
                && opened < upstream.keepaliveRequests()
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
            stream.closeFuture().addListener(closed -> streamClosed());
        });
        return f;
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

    /** Closes an idle connection politely: GOAWAY (no stream of the server's to keep), then the close. */
    private void goodbye() {
        goingAway = true;
        if (channel.isActive()) {
            channel.writeAndFlush(new DefaultHttp2GoAwayFrame(Http2Error.NO_ERROR)).addListener(f -> channel.close());
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
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
