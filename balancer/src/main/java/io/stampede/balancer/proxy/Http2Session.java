package io.stampede.balancer.proxy;

import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.util.concurrent.PromiseNotifier;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http2.DefaultHttp2GoAwayFrame;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2CodecUtil;
import io.netty.handler.codec.http2.Http2Connection;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamFrameToHttpObjectCodec;
import io.netty.handler.flush.FlushConsolidationHandler;
import io.stampede.balancer.config.ClientSettings;
import io.stampede.balancer.config.Http2Limits;
import io.stampede.balancer.tls.TlsFacts;
import io.stampede.common.LazyDeadline;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * HTTP/2 on one client connection. Each stream gets a child channel of its own with a
 * {@link ClientConnection} in stream mode on it, so a stream is balanced, retried, timed and
 * logged exactly as an HTTP/1.1 request is; the connection itself only frames.
 *
 * <p>Backpressure per stream comes from flow control: a stream's channel is read (and its window
 * reopened) only when its exchange asks for more of the body, and a response piece counts as
 * taken only once the client's window let it onto the socket.
 *
 * <p>The connection closes as nginx's does: after {@code keepalive_timeout} without a stream,
 * after {@code keepalive_requests} streams, and at shutdown, each time with GOAWAY first and the
 * streams already started allowed to finish.
 */
final class Http2Session extends ChannelInboundHandlerAdapter {
    /** The names of the HTTP/1.x handlers a connection starts with, removed when it turns out to speak HTTP/2. */
    static final String[] HTTP1_HANDLERS = {"http-decoder", "http-encoder", "client"};
    private static final Http2StreamFrameToHttpObjectCodec STREAM_CODEC = new Http2StreamFrameToHttpObjectCodec(true);
    private static final SplitWholeRequests SPLIT_WHOLE_REQUESTS = new SplitWholeRequests();
    private static final ShutInputOnClose SHUT_INPUT_ON_CLOSE = new ShutInputOnClose();
    /** The connection's receive window: HTTP/2's largest, as nginx's. */
    private static final int CONNECTION_WINDOW = Integer.MAX_VALUE;

    private final ClientSettings limits;
    private final ProxyRuntime runtime;
    private ChannelHandlerContext ctx;
    private LazyDeadline idle;
    private int active;
    private int opened;
    private boolean closing;
    /** Our GOAWAY, once sent. */
    private ChannelFuture goaway;

    private Http2Session(ProxyRuntime runtime) {
        this.runtime = runtime;
        this.limits = runtime.config().client();
    }

    /**
     * Turns a connection accepted as HTTP/1.x into an HTTP/2 one, once ALPN chose h2 or the
     * client's first bytes were HTTP/2's preface.
     *
     * @param protocol {@code h2} or {@code h2c}, as nginx's {@code $http2}
     */
    static void install(ChannelPipeline p, ProxyRuntime runtime, ProxyServer server, TlsFacts tls, String protocol) {
        for (String name : HTTP1_HANDLERS) {
            if (p.get(name) != null) {
                p.remove(name);
            }
        }
        Http2Limits h2 = runtime.config().http2();
        ClientSettings client = runtime.config().client();
        Http2Settings settings = Http2Settings.defaultSettings()
                .maxConcurrentStreams(h2.maxConcurrentStreams())
                // nginx's rule since 1.19.7: large_client_header_buffers bounds HTTP/2 headers too.
                .maxHeaderListSize((long) client.headerBuffers() * client.headerBufferSize());
        int window = (int) Math.max(1, h2.resetWindow().toSeconds());
        Http2Session session = new Http2Session(runtime);
        Http2FrameCodec codec = new Http2FrameCodecBuilder() {
                    {
                        connection(new GoawayTolerantConnection());
                        gracefulShutdownTimeoutMillis(0); // as forServer() has it
                    }
                }
                .initialSettings(settings)
                .validateHeaders(true)
                .decoderEnforceMaxRstFramesPerWindow(h2.maxResets(), window)
                .encoderEnforceMaxRstFramesPerWindow(h2.maxResets(), window)
                .encoderEnforceMaxQueuedControlFrames(h2.maxQueuedControlFrames())
                .decoderEnforceMaxSmallContinuationFrames(h2.maxContinuationFrames())
                // A close is a close (after a connection error, at once); our own graceful goodbye
                // is GOAWAY first and the close when the last stream is done, kept by this session.
                .decoupleCloseAndGoAway(true)
                .build();
        p.addLast("h2", codec);
        // The streams' responses are written as their upstreams' reads come in, each stream
        // flushing its own; flushing them together once the loop has handled the batch of reads
        // that brought them puts several streams' frames in one write (and one pass of the flow
        // controller). Flushes during a read of the client's frames wait for its end, as before.
        p.addLast("h2-flush", new FlushConsolidationHandler(FlushConsolidationHandler.DEFAULT_EXPLICIT_FLUSH_AFTER_FLUSHES, true));
        // A stream's window is HTTP/2's default (64 KB, nginx's http2_body_preread_size); the
        // connection's is opened wide, as nginx does, so a stream whose body waits (queued, or its
        // upstream slow) cannot hold the others' uploads back. What a client may have in flight is
        // still bounded: streams times 64 KB.
        try {
            Http2Connection connection = codec.connection();
            connection.local().flowController().incrementWindowSize(connection.connectionStream(),
                    CONNECTION_WINDOW - Http2CodecUtil.DEFAULT_WINDOW_SIZE);
        } catch (Http2Exception e) {
            throw new IllegalStateException("HTTP/2 connection window: " + e.getMessage(), e);
        }
        p.addLast("h2-streams", new Http2MultiplexHandler(new ChannelInitializer<Http2StreamChannel>() {
            @Override
            protected void initChannel(Http2StreamChannel ch) {
                session.streamOpened(ch);
                ch.config().setAutoRead(false);
                // Each stream runs on the configuration current when it opens (a reload may come between two).
                ch.pipeline().addLast(STREAM_CODEC, SPLIT_WHOLE_REQUESTS, new WholeBodilessResponses(),
                        ClientConnection.forStream(server.runtime(), server, tls, protocol));
            }
        }));
        p.addLast("h2-session", session);
        p.addFirst("h2-close", SHUT_INPUT_ON_CLOSE);
        p.flush(); // the WINDOW_UPDATE, with the codec's SETTINGS
        // Frames other than a stream's data (SETTINGS, PING, WINDOW_UPDATE, RST_STREAM) must be read
        // whatever the streams are doing; flow control, not the socket, holds the clients' bodies back.
        p.channel().config().setAutoRead(true);
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        this.idle = new LazyDeadline(ctx.executor(), this::idleTimedOut);
        armIdle();
    }

    /** keepalive_timeout without a stream; 0 (keep-alive off) gives a connection one stream's worth of waiting. */
    private void armIdle() {
        long millis = limits.keepaliveTimeout().isZero() ? limits.headerTimeout().toMillis() : limits.keepaliveTimeout().toMillis();
        idle.arm(TimeUnit.MILLISECONDS.toNanos(Math.max(1, millis)));
    }

    private void streamOpened(Http2StreamChannel stream) {
        active++;
        opened++;
        idle.disarm();
        stream.closeFuture().addListener(f -> streamClosed());
        if ((limits.keepaliveRequests() > 0 && opened >= limits.keepaliveRequests()) || limits.keepaliveTimeout().isZero()) {
            shutdown(); // the last stream (keep-alive off: this one) is served, then GOAWAY and the close
        }
    }

    private void streamClosed() {
        if (--active == 0 && ctx.channel().isActive()) {
            if (closing) {
                closeAfterGoaway();
            } else {
                armIdle();
            }
        }
    }

    private void idleTimedOut() {
        if (active == 0) {
            shutdown();
        }
    }

    /**
     * Graceful close: GOAWAY names the last stream taken (later ones are ignored, and the client
     * retries them elsewhere), and the connection closes when the streams in hand are done.
     */
    void shutdown() {
        if (closing) {
            return;
        }
        closing = true;
        idle.cancel();
        goaway = ctx.writeAndFlush(new DefaultHttp2GoAwayFrame(Http2Error.NO_ERROR));
        if (active == 0) {
            closeAfterGoaway();
        }
    }

    /**
     * Closes once the GOAWAY is on the wire, or after send_timeout if a client that stopped
     * reading keeps it from getting there.
     */
    private void closeAfterGoaway() {
        if (goaway.isDone()) {
            ctx.channel().close();
            return;
        }
        ScheduledFuture<?> timer = ctx.executor().schedule(() -> ctx.channel().close(),
                limits.sendTimeout().toMillis(), TimeUnit.MILLISECONDS);
        goaway.addListener(f -> {
            timer.cancel(false);
            ctx.channel().close();
        });
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // The HTTP/2 codec has already answered (RST_STREAM or GOAWAY and a close); nginx logs a
        // client's protocol errors at info level, and so do we.
        runtime.log().clientInfo("HTTP/2: " + cause.getMessage(), remoteAddress(ctx));
    }

    private static String remoteAddress(ChannelHandlerContext ctx) {
        return ctx.channel().remoteAddress() instanceof java.net.InetSocketAddress a ? a.getAddress().getHostAddress() : "?";
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        idle.cancel();
        ctx.fireChannelInactive();
    }

    /**
     * A HEADERS frame that ends its stream comes from the converter as one whole request; the
     * connection takes a head and then the end of its (empty) body, as HTTP/1.1's decoder gives them.
     */
    @ChannelHandler.Sharable
    private static final class SplitWholeRequests extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof FullHttpRequest whole) {
                HttpRequest head = new DefaultHttpRequest(whole.protocolVersion(), whole.method(), whole.uri(), whole.headers());
                whole.release(); // an empty body: DATA frames would have come apart from it
                ctx.fireChannelRead(head);
                ctx.fireChannelRead(LastHttpContent.EMPTY_LAST_CONTENT);
            } else if (msg instanceof io.netty.handler.codec.http.HttpObject) {
                ctx.fireChannelRead(msg);
            } else {
                // A frame of a type HTTP/2 does not define reaches the stream as it is; RFC 9113
                // (5.5) says to ignore it. The read that brought it was asked for by the request
                // (for more of its body), so it is asked again, or the body would wait for ever.
                io.netty.util.ReferenceCountUtil.release(msg);
                ctx.read();
            }
        }
    }

    /**
     * A response head followed at once by the end of an empty body goes as one HEADERS frame that
     * ends the stream, not as HEADERS and an empty DATA frame. It saves a frame for every 204, 304
     * and answer to HEAD, and it is the only form of gRPC's "Trailers-Only" response (an error
     * status in the head, no message) that gRPC clients accept. A head is held until the next
     * write or a flush; nothing else is.
     */
    static final class WholeBodilessResponses extends io.netty.channel.ChannelOutboundHandlerAdapter {
        private HttpResponse held;
        private io.netty.channel.ChannelPromise heldPromise;

        @Override
        public void write(ChannelHandlerContext ctx, Object msg, io.netty.channel.ChannelPromise promise) {
            if (held == null) {
                if (msg instanceof HttpResponse r && !(msg instanceof FullHttpResponse) && r.status().code() >= 200) {
                    held = r;
                    heldPromise = promise;
                    return;
                }
                ctx.write(msg, promise);
                return;
            }
            HttpResponse head = held;
            io.netty.channel.ChannelPromise headPromise = heldPromise;
            held = null;
            heldPromise = null;
            if (msg instanceof LastHttpContent end && !end.content().isReadable() && end.trailingHeaders().isEmpty()) {
                end.release();
                FullHttpResponse whole = new DefaultFullHttpResponse(head.protocolVersion(), head.status(),
                        Unpooled.EMPTY_BUFFER, head.headers(), EmptyHttpHeaders.INSTANCE);
                ctx.write(whole).addListener(new PromiseNotifier<>(headPromise.unvoid(), promise.unvoid()));
                return;
            }
            ctx.write(head, headPromise);
            ctx.write(msg, promise);
        }

        @Override
        public void flush(ChannelHandlerContext ctx) {
            if (held != null) {
                ctx.write(held, heldPromise);
                held = null;
                heldPromise = null;
            }
            ctx.flush();
        }

        @Override
        public void close(ChannelHandlerContext ctx, io.netty.channel.ChannelPromise promise) {
            flush(ctx);
            ctx.close(promise);
        }
    }

    /**
     * Shuts the socket's input before it is closed. With io_uring, a connection closed by the
     * HTTP/2 codec after a client's protocol error while the client was still sending (a
     * CONTINUATION flood, say) kept its socket open, fd closed, until the client sent more or
     * left; a shut input ends the receive in flight, and the close goes through. Harmless elsewhere.
     */
    @ChannelHandler.Sharable
    private static final class ShutInputOnClose extends io.netty.channel.ChannelOutboundHandlerAdapter {
        @Override
        public void close(ChannelHandlerContext ctx, io.netty.channel.ChannelPromise promise) {
            if (ctx.channel() instanceof io.netty.channel.socket.DuplexChannel d && d.isActive() && !d.isInputShutdown()) {
                d.shutdownInput();
            }
            ctx.close(promise);
        }
    }
}
