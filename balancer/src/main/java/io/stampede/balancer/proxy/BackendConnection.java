package io.stampede.balancer.proxy;

import io.stampede.balancer.log.ProxyLog;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPromise;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpRequestEncoder;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2GoAwayFrame;
import io.netty.handler.codec.http2.Http2ResetFrame;
import io.netty.handler.codec.http2.HttpConversionUtil;
import io.netty.handler.ssl.SslCloseCompletionEvent;
import io.netty.handler.ssl.SslHandler;
import io.stampede.balancer.tls.UpstreamTls;
import io.stampede.balancer.config.ProxySettings;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import java.net.InetSocketAddress;

/**
 * One connection to an upstream server, living on its client's event loop. While an exchange owns
 * it, everything it reads goes to that exchange; while idle in a {@link BackendPool} it expects
 * nothing: a close removes it, and any byte from the server (the {@link UpstreamDecoder} sees
 * those) closes it, since it could only be read as the answer to the next request sent on it.
 *
 * <p>With HTTP/2 to the servers, it is one stream of a {@link MultiplexedBackend} instead (its
 * channel the stream's, {@code decoder} null): used for one request, never pooled, closed (and
 * reset, if the stream is still open) when its exchange is done with it.
 */
final class BackendConnection extends ChannelInboundHandlerAdapter {
    final Channel channel;
    final InetSocketAddress address;
    /** HTTP/1.1's response decoder; null on an HTTP/2 stream, whose frames mark every end themselves. */
    final UpstreamDecoder decoder;
    private final ProxyLog log;
    final long createdNanos = System.nanoTime();
    int requests;
    /** Interim (1xx) responses seen for the current request. */
    int interimResponses;
    /** Whether the last response let the connection be reused (HTTP/1.1, no Connection: close). */
    boolean keepAliveAllowed;
    /** The exchange using it; null while idle. */
    Exchange owner;
    /** Set while idle in a pool, to remove itself when the server closes it. */
    BackendPool.IdleList idleIn;
    /** When it went idle into a pool (System.nanoTime()), for keepalive_timeout. */
    long idleSince;
    /**
     * An HTTP/2 stream the server refused (REFUSED_STREAM, or above the last stream of its
     * GOAWAY): it never processed the request, so a retry is safe whatever the method.
     */
    boolean unprocessed;
    /** The error code of an RST_STREAM the server sent on this stream, for the log; null if none. */
    Http2Error resetBy;

    BackendConnection(Channel channel, InetSocketAddress address, UpstreamDecoder decoder, ProxyLog log) {
        this.channel = channel;
        this.address = address;
        this.decoder = decoder;
        this.log = log;
        if (decoder != null) {
            decoder.onIdleSurplus(this::idleSurplus);
        }
    }

    /**
     * Opens a connection to {@code address} on {@code loop} (the client's: both ends of a request
     * stay on one thread). No Bootstrap: addresses were resolved when the configuration was
     * loaded, and a channel made by hand also runs on an embedded loop in tests.
     *
     * <p>With {@code tls}, the future completes when the TLS handshake has, which must end within
     * proxy_connect_timeout of the connect (as nginx times it); a failed handshake fails it.
     *
     * @return the connect future; its channel carries a BackendConnection
     */
    static ChannelFuture open(ProxyRuntime runtime, EventLoop loop, InetSocketAddress address, ProxySettings settings,
                              UpstreamTls tls) {
        Channel ch = newChannel(runtime, settings);
        UpstreamDecoder decoder = new UpstreamDecoder(settings.bufferSize());
        ch.pipeline().addLast(decoder, new HttpRequestEncoder(), new BackendConnection(ch, address, decoder, runtime.log()));
        return connect(ch, loop, address, settings, tls);
    }

    /** A channel to a server, not yet registered: read only when asked, no Nagle, nginx's connect timeout. */
    static Channel newChannel(ProxyRuntime runtime, ProxySettings settings) {
        Channel ch = runtime.upstreamChannels().newChannel();
        ch.config().setOption(ChannelOption.AUTO_READ, false);
        ch.config().setOption(ChannelOption.TCP_NODELAY, true);
        ch.config().setOption(ChannelOption.CONNECT_TIMEOUT_MILLIS,
                (int) Math.min(Integer.MAX_VALUE, settings.connectTimeout().toMillis()));
        return ch;
    }

    /**
     * Registers {@code ch} (its pipeline set up) on {@code loop} and connects it to
     * {@code address}, with a TLS handshake first when {@code tls} is set.
     *
     * @return completes when the connection (and handshake) is ready for requests
     */
    static ChannelFuture connect(Channel ch, EventLoop loop, InetSocketAddress address, ProxySettings settings,
                                 UpstreamTls tls) {
        ChannelPromise connected = ch.newPromise();
        ChannelPromise ready = connected;
        if (tls != null) {
            SslHandler handshake = tls.newHandler(ch.alloc(), address, settings.connectTimeout());
            ch.pipeline().addFirst("tls", handshake);
            ChannelPromise secured = ch.newPromise();
            long started = System.nanoTime();
            connected.addListener(f -> {
                if (!f.isSuccess()) {
                    secured.tryFailure(f.cause());
                } else {
                    // nginx times the connect and the handshake with one proxy_connect_timeout: the
                    // handshake gets what the connect left (the promise completes before
                    // channelActive, where the handshake and its timer start).
                    long left = settings.connectTimeout().toMillis() - (System.nanoTime() - started) / 1_000_000;
                    handshake.setHandshakeTimeoutMillis(Math.max(1, left));
                }
            });
            handshake.handshakeFuture().addListener(f -> {
                if (f.isSuccess() && tls.http2() && !"h2".equals(handshake.applicationProtocol())) {
                    // HTTP/2 over TLS is only ever agreed by ALPN (RFC 9113 3.2).
                    secured.tryFailure(new UpstreamTlsException("the server did not choose h2 by ALPN ("
                            + (handshake.applicationProtocol() == null ? "it chose no protocol"
                                    : "it chose " + handshake.applicationProtocol()) + ")", null));
                    ch.close();
                } else if (f.isSuccess()) {
                    secured.trySuccess();
                } else {
                    secured.tryFailure(new UpstreamTlsException(UpstreamTls.describe(f.cause()), f.cause()));
                    ch.close();
                }
            });
            ready = secured;
        }
        loop.register(ch).addListener((ChannelFutureListener) registered -> {
            if (registered.isSuccess()) {
                ch.connect(address, connected);
            } else {
                ch.unsafe().closeForcibly();
                connected.setFailure(registered.cause());
            }
        });
        return ready;
    }

    /** A TLS handshake with an upstream server that failed; its message is what nginx would log. */
    static final class UpstreamTlsException extends java.io.IOException {
        UpstreamTlsException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    private void idleSurplus() {
        log.upstreamError("upstream sent " + decoder.surplusBytes() + " unexpected bytes on an idle keepalive "
                + "connection; closed", address.getHostString() + ":" + address.getPort());
        channel.close();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (owner != null && decoder == null) {
            fromStream(msg);
        } else if (owner != null) {
            owner.onUpstream(this, msg);
        } else {
            ReferenceCountUtil.release(msg);
            ctx.close();
        }
    }

    /**
     * What an HTTP/2 stream's converter made of its frames, as HTTP/1.1's decoder would give it: a
     * HEADERS frame that ended the stream comes as one whole response, here split into its head
     * and an empty end, and Netty's own {@code x-http2-*} headers are taken off (they are not the
     * server's).
     */
    private void fromStream(Object msg) {
        if (msg instanceof HttpResponse response) {
            for (HttpConversionUtil.ExtensionHeaderNames n : HttpConversionUtil.ExtensionHeaderNames.values()) {
                response.headers().remove(n.text());
            }
        }
        if (msg instanceof FullHttpResponse whole) {
            Exchange exchange = owner;
            exchange.onUpstream(this, new DefaultHttpResponse(whole.protocolVersion(), whole.status(), whole.headers()));
            exchange.onUpstream(this, new DefaultLastHttpContent(whole.content(), whole.trailingHeaders()));
        } else {
            owner.onUpstream(this, msg);
        }
    }

    /** Whether this is one stream of a {@link MultiplexedBackend} rather than a connection of its own. */
    boolean multiplexed() {
        return decoder == null;
    }

    /** A request goes out now; HTTP/1.1 expects exactly one response (without a body when it answers HEAD). */
    void expectResponse(boolean head) {
        if (decoder != null) {
            decoder.expect(head);
        }
    }

    /** Whether the server sent more than the response it framed (never on a stream, which cannot). */
    boolean sawSurplus() {
        return decoder != null && decoder.sawSurplus();
    }

    /**
     * A server's close_notify: the TLS session is over even if the socket stays open, so an idle
     * connection is closed (it could carry nothing more); an owned one is closed by the server
     * in a moment, and its exchange hears of that as of any close.
     */
    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof SslCloseCompletionEvent && owner == null) {
            ctx.close();
            return;
        }
        if (evt instanceof Http2ResetFrame reset) {
            // The stream closes right after (and the exchange hears of it then).
            resetBy = Http2Error.valueOf(reset.errorCode());
            unprocessed |= reset.errorCode() == Http2Error.REFUSED_STREAM.code();
            return;
        }
        if (evt instanceof Http2GoAwayFrame goaway) {
            // Sent only to streams above the GOAWAY's last one: the server never saw them.
            unprocessed = true;
            goaway.release();
            return;
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (owner != null) {
            owner.onUpstreamClosed(this);
        } else if (idleIn != null) {
            idleIn.remove(this);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        SslHandler tls = ctx.pipeline().get(SslHandler.class);
        if (tls != null && !tls.handshakeFuture().isSuccess()) {
            ctx.close(); // a failed handshake: the exchange that waits for it logs why, in nginx's words
            return;
        }
        log.connectionError("upstream " + address.getHostString() + ":" + address.getPort(), cause);
        ctx.close();
    }
}
