package io.stampede.loadgen.engine;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import java.io.ByteArrayOutputStream;
import io.netty.util.ReferenceCountUtil;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * One virtual user's keep-alive connection, as Locust's HttpUser keeps one session: it connects
 * on first use and again after the server closes it, and carries one request at a time. Lives
 * on its worker's event loop; nothing here is shared.
 */
final class HttpConnection {
    /** How a request ended: a response, or an error message as Locust would word it. */
    interface Callback {
        void response(Response response, long sentNanos);

        void failed(String error, long sentNanos);
    }

    private final Worker worker;
    private final InetSocketAddress address;
    private Channel channel;
    private Callback pending;
    private long sentNanos;
    private ScheduledFuture<?> timeout;
    private long deadlineNanos;
    private long timeoutNanos;
    private final int maxBody;
    private boolean keepBody;

    HttpConnection(Worker worker, InetSocketAddress address, int maxBody) {
        this.worker = worker;
        this.address = address;
        this.maxBody = maxBody;
    }

    /**
     * Sends {@code request} (a {@code FullHttpRequest}, or a pre-encoded {@code ByteBuf}; this
     * connection takes it over) and calls back exactly once.
     *
     * @param keepBody whether the callback needs the body (captures, checks)
     */
    void send(Object request, boolean keepBody, long timeoutNanos, Callback callback) {
        pending = callback;
        this.keepBody = keepBody;
        if (channel != null && channel.isActive()) {
            write(request, timeoutNanos);
            return;
        }
        long connectStart = System.nanoTime();
        Bootstrap b = new Bootstrap().group(worker.loop()).channel(worker.channelType())
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, TimeUnit.NANOSECONDS.toMillis(timeoutNanos)))
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast(new HttpClientCodec(4096, 16 * 1024, 64 * 1024), new Handler());
                    }
                });
        b.connect(address).addListener((ChannelFutureListener) f -> {
            if (!f.isSuccess()) {
                ReferenceCountUtil.release(request);
                Throwable c = f.cause();
                String why = c instanceof ConnectException ? "ConnectionRefusedError: " + address + " refused the connection"
                        : c instanceof io.netty.channel.ConnectTimeoutException ? "ConnectTimeoutError: no connection to " + address
                        : "ConnectionError: " + c.getMessage();
                finish(null, why, connectStart);
                return;
            }
            channel = f.channel();
            write(request, timeoutNanos);
        });
    }

    private void write(Object request, long timeoutNanos) {
        sentNanos = System.nanoTime();
        long sent = sentNanos;
        armTimeout(sent + timeoutNanos, timeoutNanos);
        // Pre-encoded bytes go in below the HTTP encoder (its context writes towards the socket).
        io.netty.channel.ChannelFuture written = request instanceof ByteBuf
                ? channel.pipeline().context(HttpClientCodec.class).writeAndFlush(request)
                : channel.writeAndFlush(request);
        written.addListener(f -> {
            if (!f.isSuccess()) {
                finish(null, "ConnectionError: sending the request failed: " + f.cause().getMessage(), sent);
            }
        });
    }

    /**
     * The request deadline. One lazy timer per connection: it stays scheduled across requests
     * and, firing early, re-arms for the current deadline, so a request costs no timer.
     */
    private void armTimeout(long deadline, long timeoutNanos) {
        deadlineNanos = deadline;
        this.timeoutNanos = timeoutNanos;
        if (timeout == null) {
            timeout = worker.loop().schedule(this::checkTimeout, timeoutNanos, TimeUnit.NANOSECONDS);
        }
    }

    private void checkTimeout() {
        timeout = null;
        if (pending == null || deadlineNanos == 0) {
            return;
        }
        long left = deadlineNanos - System.nanoTime();
        if (left > 0) {
            timeout = worker.loop().schedule(this::checkTimeout, left, TimeUnit.NANOSECONDS);
            return;
        }
        Channel ch = channel;
        channel = null;
        finish(null, "ReadTimeout: no response within " + TimeUnit.NANOSECONDS.toMillis(timeoutNanos) / 1000.0 + "s", sentNanos);
        if (ch != null) {
            ch.close();
        }
    }

    private void finish(Response response, String error, long sent) {
        deadlineNanos = 0;
        Callback cb = pending;
        pending = null;
        if (cb == null) {
            return;
        }
        if (response != null) {
            cb.response(response, sent);
        } else {
            cb.failed(error, sent);
        }
    }

    void close() {
        if (timeout != null) {
            timeout.cancel(false);
            timeout = null;
        }
        if (channel != null) {
            channel.close();
            channel = null;
        }
    }

    /** Reads one response at a time: the head, then the body, kept only when asked for. */
    private final class Handler extends ChannelInboundHandlerAdapter {
        private HttpResponse head;
        private long size;
        private ByteArrayOutputStream body;

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            try {
                if (msg instanceof HttpResponse r) {
                    if (r.decoderResult().isFailure()) {
                        channel = null;
                        ctx.close();
                        finish(null, "InvalidResponse: " + r.decoderResult().cause().getMessage(), sentNanos);
                        return;
                    }
                    if (r.status().code() >= 100 && r.status().code() < 200) {
                        return; // interim response; the real one follows
                    }
                    head = r;
                    size = 0;
                    body = keepBody ? new ByteArrayOutputStream() : null;
                }
                if (msg instanceof HttpContent c && head != null) {
                    ByteBuf data = c.content();
                    size += data.readableBytes();
                    if (size > maxBody) {
                        head = null;
                        channel = null;
                        ctx.close();
                        finish(null, "ResponseTooLarge: the body exceeds " + maxBody + " bytes", sentNanos);
                        return;
                    }
                    if (body != null && data.isReadable()) {
                        byte[] bytes = new byte[data.readableBytes()];
                        data.getBytes(data.readerIndex(), bytes);
                        body.writeBytes(bytes);
                    }
                    if (msg instanceof LastHttpContent) {
                        HttpResponse r = head;
                        head = null;
                        if (!HttpUtil.isKeepAlive(r)) {
                            channel = null;
                            ctx.close();
                        }
                        finish(new Response(r.status(), r.headers(), size, body == null ? null : body.toByteArray()), null, sentNanos);
                    }
                }
            } finally {
                ReferenceCountUtil.release(msg);
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            if (ctx.channel() != channel) {
                return; // an old connection; the current request (if any) is on another one
            }
            channel = null;
            finish(null, "RemoteDisconnected: the server closed the connection without a response", sentNanos);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
