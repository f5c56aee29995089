package io.stampede.balancer.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.util.ReferenceCountUtil;
import io.stampede.balancer.config.ClientSettings;
import io.stampede.balancer.config.LocationConfig;
import io.stampede.common.LazyDeadline;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.Optional;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * One client connection: requests are taken one at a time and answered in order. Anything the
 * decoder produced for later (pipelined) requests waits in {@code backlog}, owned by this
 * connection and released if it closes. The socket is read only when the current request needs
 * more bytes or the connection is idle (AUTO_READ is off).
 *
 * <p>Deadlines, as nginx names them: {@code client_header_timeout} for a whole request head (408),
 * {@code client_body_timeout} between two pieces of a body (408), {@code keepalive_timeout} for an
 * idle connection (closed silently), {@code keepalive_requests} per connection.
 */
final class ClientConnection extends ChannelInboundHandlerAdapter {
    private final ProxyRuntime runtime;
    private final ProxyServer server;
    private final ClientSettings limits;
    private ChannelHandlerContext ctx;
    private Exchange current;
    private final ArrayDeque<Object> backlog = new ArrayDeque<>();
    private int requests;
    private boolean closing;
    private boolean headStarted;
    private LazyDeadline headDeadline;
    private ScheduledFuture<?> bodyTimer;
    private long bodyStartNanos;
    private long bodyBytes;

    ClientConnection(ProxyRuntime runtime, ProxyServer server) {
        this.runtime = runtime;
        this.server = server;
        this.limits = runtime.config().client();
    }

    /** Sits in front of the decoder and tells the connection that bytes of a head arrived. */
    static final class RawActivity extends ChannelInboundHandlerAdapter {
        private final ClientConnection connection;

        RawActivity(ClientConnection connection) {
            this.connection = connection;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof ByteBuf b && b.isReadable()) {
                connection.bytesArrived();
            }
            ctx.fireChannelRead(msg);
        }
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        this.headDeadline = new LazyDeadline(ctx.executor(), this::headTimedOut);
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        if (server.stopping()) {
            ctx.close();
            return;
        }
        armHeadTimer(limits.headerTimeout().toMillis());
        ctx.read();
    }

    boolean isIdle() {
        return current == null && backlog.isEmpty();
    }

    /** Graceful stop: an idle connection closes now, a busy one after its current response. */
    void shutdown() {
        if (isIdle()) {
            ctx.close();
        }
    }

    private void bytesArrived() {
        if (current == null && !headStarted) {
            headStarted = true;
            armHeadTimer(limits.headerTimeout().toMillis());
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (closing) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (current != null) {
            if (msg instanceof HttpContent content && !(msg instanceof HttpRequest)
                    && content.decoderResult().isFailure() && backlog.isEmpty()) {
                // A framing error in the body (bad chunk): the request can't be forwarded faithfully.
                content.release();
                refuse(current, 400);
                return;
            }
            if (msg instanceof HttpContent content && current.wantsBody() && backlog.isEmpty()) {
                current.onBody(content);
            } else {
                backlog.addLast(msg);
            }
            return;
        }
        dispatch(msg);
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (current == null && backlog.isEmpty() && !closing) {
            ctx.read();
        }
    }

    private void dispatch(Object msg) {
        if (!(msg instanceof HttpRequest request)) {
            // The tail of a request that was refused: nothing more is read from this connection.
            ReferenceCountUtil.release(msg);
            return;
        }
        headDeadline.disarm();
        headStarted = false;
        requests++;
        AccessRecord record = new AccessRecord();
        record.keep = runtime.logsAccess();
        InetSocketAddress remote = (InetSocketAddress) ctx.channel().remoteAddress();
        if (runtime.logsAccess()) {
            record.remoteAddr = remote.getAddress().getHostAddress();
        }
        if (request.decoderResult().isFailure()) {
            ReferenceCountUtil.release(request);
            refuse(record, statusFor(request.decoderResult().cause()), HttpVersion.HTTP_1_1);
            return;
        }
        if (runtime.logsAccess()) {
            record.requestLine = request.method().name() + " " + request.uri() + " " + request.protocolVersion().text();
            record.referer = request.headers().get(HttpHeaderNames.REFERER);
            record.userAgent = request.headers().get(HttpHeaderNames.USER_AGENT);
        }
        RequestGuard.Refusal refusal = RequestGuard.check(request);
        if (refusal != null) {
            refuse(record, refusal.status(), request.protocolVersion());
            return;
        }
        RequestGuard.Target target = RequestGuard.target(request);
        Optional<LocationConfig> location = runtime.config().locate(RequestGuard.pathOf(target.uri()));
        if (location.isEmpty()) {
            refuse(record, 404, request.protocolVersion());
            return;
        }
        current = new Exchange(this, ctx, runtime, request, target, location.get(), record);
        current.start();
    }

    private static int statusFor(Throwable cause) {
        if (cause instanceof RequestDecoder.Refused r) {
            return r.status;
        }
        if (cause instanceof TooLongHttpLineException) {
            return 414;
        }
        if (cause instanceof IllegalArgumentException && String.valueOf(cause.getMessage()).contains("transfer coding")) {
            // A coding list not ending in chunked: nginx answers 501 Not Implemented.
            return 501;
        }
        if (cause instanceof TooLongHttpHeaderException || cause instanceof TooLongFrameException) {
            return 400;
        }
        return 400;
    }

    /** Answers a request the proxy refused itself, then closes: nothing after it is read. */
    private void refuse(AccessRecord record, int status, HttpVersion version) {
        record.status = status;
        runtime.access(record);
        closing = true;
        releaseBacklog();
        ctx.writeAndFlush(ErrorPages.page(ctx.alloc(), version, status, false)).addListener(ChannelFutureListener.CLOSE);
    }

    /** The exchange's request is refused (413): answer, and close without reading further. */
    void refuse(Exchange exchange, int status) {
        if (exchange == current) {
            current = null;
            stopBodyTimer();
            boolean started = exchange.responseStarted();
            exchange.discard();
            if (started) {
                // A response is already on its way: an error page can't follow it; just close.
                closing = true;
                releaseBacklog();
                runtime.access(exchange.record);
                ctx.close();
                return;
            }
            refuse(exchange.record, status, HttpVersion.HTTP_1_1);
        }
    }

    /** Whether the connection may serve another request after this one. */
    boolean keepAliveAfter(HttpRequest request, boolean bodyRead) {
        // keepalive_timeout 0 turns client keep-alive off, as in nginx.
        return bodyRead && HttpUtil.isKeepAlive(request) && !closing && !server.stopping()
                && !limits.keepaliveTimeout().isZero()
                && (limits.keepaliveRequests() == 0 || requests < limits.keepaliveRequests());
    }

    void exchangeDone(Exchange exchange, ChannelFuture written, boolean keepAlive, boolean bodyRead) {
        if (exchange != current) {
            return;
        }
        current = null;
        stopBodyTimer();
        runtime.access(exchange.record);
        if (!keepAlive || !ctx.channel().isActive()) {
            closing = true;
            releaseBacklog();
            written.addListener(ChannelFutureListener.CLOSE);
            return;
        }
        while (current == null && !backlog.isEmpty() && !closing) {
            dispatch(backlog.pollFirst());
            while (current != null && current.wantsBody() && backlog.peekFirst() instanceof HttpContent c) {
                backlog.pollFirst();
                current.onBody(c);
            }
        }
        if (current == null && !closing) {
            armHeadTimer(limits.keepaliveTimeout().toMillis());
            ctx.read();
        }
    }

    void startBodyTimer() {
        bodyStartNanos = System.nanoTime();
        bodyBytes = 0;
        armBodyTimer();
    }

    /**
     * A piece of body arrived. Beyond nginx's gap timeout, a body that has taken longer than the
     * grace period must average {@code client_body_min_rate}: a client trickling a byte every
     * few seconds is cut off instead of holding the connection for minutes.
     */
    void bodyProgress(int bytes) {
        bodyBytes += bytes;
        long minRate = limits.bodyMinRate();
        long elapsed = System.nanoTime() - bodyStartNanos;
        if (minRate > 0 && current != null && elapsed > limits.bodyRateGrace().toNanos()
                && bodyBytes * 1_000_000_000L / elapsed < minRate) {
            refuse(current, 408);
            return;
        }
        armBodyTimer();
    }

    /**
     * A streamed body: the proxy is reading the client again, so client_body_timeout runs until
     * the next piece arrives (it is stopped while the proxy itself waits on the upstream).
     */
    void awaitBody() {
        armBodyTimer();
    }

    void stopBodyTimer() {
        cancel(bodyTimer);
        bodyTimer = null;
    }

    private void armBodyTimer() {
        cancel(bodyTimer);
        bodyTimer = ctx.executor().schedule(() -> {
            bodyTimer = null;
            if (current != null) {
                refuse(current, 408);
            }
        }, limits.bodyTimeout().toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Sets the deadline for the next request head (lazy: keep-alive requests cost no timer each). */
    private void armHeadTimer(long millis) {
        headDeadline.arm(TimeUnit.MILLISECONDS.toNanos(millis));
    }

    private void headTimedOut() {
        if (current != null || closing) {
            return;
        }
        if (headStarted) {
            AccessRecord r = new AccessRecord();
            r.remoteAddr = ((InetSocketAddress) ctx.channel().remoteAddress()).getAddress().getHostAddress();
            refuse(r, 408, HttpVersion.HTTP_1_1);
        } else {
            ctx.close();
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        headDeadline.cancel();
        stopBodyTimer();
        if (current != null) {
            Exchange e = current;
            e.clientClosed();
        }
        releaseBacklog();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close();
    }

    private void releaseBacklog() {
        Object o;
        while ((o = backlog.pollFirst()) != null) {
            ReferenceCountUtil.release(o);
        }
    }

    private static void cancel(ScheduledFuture<?> f) {
        if (f != null) {
            f.cancel(false);
        }
    }
}
