package io.stampede.loadgen.engine;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.HttpRequestEncoder;
import io.netty.handler.ssl.SslHandler;
import java.util.List;
import java.util.Map;
import io.netty.util.ReferenceCountUtil;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

/**
 * One virtual user's keep-alive connection, as Locust's HttpUser keeps one session: it connects
 * on first use and again after the server closes it, and carries one request at a time. Lives
 * on its worker's event loop; nothing here is shared.
 */
final class HttpConnection implements UserConnection {

    private final Worker worker;
    private final InetSocketAddress address;
    /** The local address to connect from (a real client's own IP), or null for the kernel's choice. */
    private final InetSocketAddress source;
    private Channel channel;
    /** The HTTP codec's context: pre-encoded requests are written from here, below the encoder. */
    private io.netty.channel.ChannelHandlerContext codec;
    private ResponseReader reader;
    private Callback pending;
    private long sentNanos;
    private final io.stampede.common.LazyDeadline timeout;
    private long timeoutNanos;
    private final int maxBody;
    private boolean headRequest;
    private boolean keepHeaders;
    private boolean keepBody;
    /** TLS for an https:// target; null for http://. */
    private final ClientTls tls;
    /** This user's own key into the TLS session cache (see {@link ClientTls}). */
    private final int sessionKey = SESSION_KEYS.incrementAndGet();
    private static final java.util.concurrent.atomic.AtomicInteger SESSION_KEYS = new java.util.concurrent.atomic.AtomicInteger();

    HttpConnection(Worker worker, InetSocketAddress address, InetSocketAddress source, int maxBody) {
        this.worker = worker;
        this.address = address;
        this.source = source;
        this.maxBody = maxBody;
        this.tls = worker.settings().target().https() ? worker.settings().tls() : null;
        this.timeout = new io.stampede.common.LazyDeadline(worker.loop(), this::timedOut);
    }

    /** A pre-encoded request is a {@code ByteBuf}, written below the HTTP encoder. */
    @Override
    public void send(Object request, boolean headRequest, boolean keepHeaders, boolean keepBody, long timeoutNanos, Callback callback) {
        pending = callback;
        this.headRequest = headRequest;
        this.keepHeaders = keepHeaders;
        this.keepBody = keepBody;
        if (channel != null && channel.isActive()) {
            write(request, timeoutNanos);
            return;
        }
        long connectStart = System.nanoTime();
        channel = null; // a dead channel's late close must not fail this request
        Callback forThis = callback;
        Bootstrap b = worker.bootstrap(timeoutNanos)
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        if (tls != null) {
                            ch.pipeline().addLast(tls.newHandler(ch.alloc(), worker.settings().target(), sessionKey,
                                    TimeUnit.NANOSECONDS.toMillis(timeoutNanos)));
                        }
                        ch.pipeline().addLast(new HttpRequestEncoder(), new ResponseReader(new Events(ch), maxBody));
                    }
                });
        (source == null ? b.connect(address) : b.connect(address, source)).addListener((ChannelFutureListener) f -> {
            if (pending != forThis) {
                // The request was given up (timed out) while connecting.
                ReferenceCountUtil.release(request);
                f.channel().close();
                return;
            }
            if (!f.isSuccess()) {
                ReferenceCountUtil.release(request);
                finish(null, connectError(f.cause(), address), connectStart);
                return;
            }
            if (tls == null) {
                use(f.channel(), request, timeoutNanos);
            } else {
                afterHandshake(f.channel(), request, timeoutNanos, forThis, connectStart);
            }
        });
    }

    /** A failed connect in Python's words, as the failures table shows it. */
    static String connectError(Throwable c, InetSocketAddress address) {
        String message = String.valueOf(c.getMessage());
        // Netty's native transports give strerror's words (English on an English locale); its
        // errno stays inside the exception, so the text is all there is to tell causes apart.
        if (message.contains("Cannot assign requested address")) {
            // Every local port to this address is taken (about 28,000 on Linux's default range):
            // the generator's limit, not the target's.
            boolean loopback = address.getAddress() != null && address.getAddress().isLoopbackAddress();
            return "OSError: [Errno 99] Cannot assign requested address: no local port left to connect to " + address
                    + (loopback ? " (spread the users over more source addresses: --source-ips)"
                            : " (fewer connections from this machine to this address)");
        }
        if (c instanceof io.netty.channel.ConnectTimeoutException) {
            return "ConnectTimeoutError: no connection to " + address;
        }
        if (c instanceof ConnectException && !message.contains("unreachable")) {
            return "ConnectionRefusedError: " + address + " refused the connection";
        }
        return "ConnectionError: " + c.getMessage();
    }

    private void use(Channel ch, Object request, long timeoutNanos) {
        channel = ch;
        codec = channel.pipeline().context(HttpRequestEncoder.class);
        reader = channel.pipeline().get(ResponseReader.class);
        write(request, timeoutNanos);
    }

    /**
     * Sends once the TLS handshake is done, recording its time (from the TCP connection to the
     * end of the handshake) and whether it resumed a session; a failed one fails the request with
     * its cause.
     */
    private void afterHandshake(Channel ch, Object request, long timeoutNanos, Callback forThis, long connectStart) {
        SslHandler handler = ch.pipeline().get(SslHandler.class);
        long started = System.nanoTime();
        handler.handshakeFuture().addListener(h -> {
            if (pending != forThis) {
                ReferenceCountUtil.release(request);
                ch.close();
                return;
            }
            if (!h.isSuccess()) {
                ReferenceCountUtil.release(request);
                ch.close();
                finish(null, ClientTls.describe(h.cause(), worker.settings().target().host()), connectStart);
                return;
            }
            worker.recording().handshake(System.nanoTime() - started, tls.resumed(handler.engine()));
            use(ch, request, timeoutNanos);
        });
    }

    private void write(Object request, long timeoutNanos) {
        reader.expect(headRequest, keepHeaders, keepBody);
        sentNanos = System.nanoTime();
        long sent = sentNanos;
        armTimeout(sent + timeoutNanos, timeoutNanos);
        // Pre-encoded bytes go in below the HTTP encoder (its context writes towards the socket).
        // A void promise: a failed write closes the channel, which fails the request through the
        // reader's closed() event, so no listener is needed per request.
        if (request instanceof ByteBuf) {
            codec.writeAndFlush(request, codec.voidPromise());
        } else {
            channel.writeAndFlush(request, channel.voidPromise());
        }
    }

    /** The request deadline: lazy, so a request costs a field write, not a timer. */
    private void armTimeout(long deadlineNanos, long timeoutNanos) {
        this.timeoutNanos = timeoutNanos;
        timeout.arm(deadlineNanos - System.nanoTime());
    }

    private void timedOut() {
        if (pending == null) {
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
        timeout.disarm();
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

    @Override
    public void close() {
        timeout.cancel();
        if (channel != null) {
            channel.close();
            channel = null;
        }
    }

    /** Receives what the connection's {@link ResponseReader} makes of the bytes. */
    private final class Events implements ResponseReader.Sink {
        private final Channel ch;

        Events(Channel ch) {
            this.ch = ch;
        }

        @Override
        public void complete(int status, String reason, List<Map.Entry<String, String>> headers, long size, byte[] body,
                             boolean keepAlive) {
            if (ch != channel) {
                return;
            }
            if (!keepAlive) {
                channel = null;
                ch.close();
            }
            finish(new Response(status, reason, headers, size, body), null, sentNanos);
        }

        @Override
        public void malformed(String error) {
            if (ch == channel) {
                channel = null;
                finish(null, error, sentNanos);
            }
        }

        @Override
        public void closed() {
            if (ch != channel) {
                return; // an old connection; the current request (if any) is on another one
            }
            channel = null;
            finish(null, "RemoteDisconnected: the server closed the connection without a response", sentNanos);
        }
    }
}
