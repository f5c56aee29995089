package io.stampede.balancer.proxy;

import io.stampede.balancer.log.ProxyLog;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPromise;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.HttpRequestEncoder;
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
 */
final class BackendConnection extends ChannelInboundHandlerAdapter {
    final Channel channel;
    final InetSocketAddress address;
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

    BackendConnection(Channel channel, InetSocketAddress address, UpstreamDecoder decoder, ProxyLog log) {
        this.channel = channel;
        this.address = address;
        this.decoder = decoder;
        this.log = log;
        decoder.onIdleSurplus(this::idleSurplus);
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
        Channel ch = runtime.upstreamChannels().newChannel();
        ch.config().setOption(ChannelOption.AUTO_READ, false);
        ch.config().setOption(ChannelOption.TCP_NODELAY, true);
        ch.config().setOption(ChannelOption.CONNECT_TIMEOUT_MILLIS,
                (int) Math.min(Integer.MAX_VALUE, settings.connectTimeout().toMillis()));
        UpstreamDecoder decoder = new UpstreamDecoder(settings.bufferSize());
        ch.pipeline().addLast(decoder, new HttpRequestEncoder(), new BackendConnection(ch, address, decoder, runtime.log()));
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
                if (f.isSuccess()) {
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
        if (owner != null) {
            owner.onUpstream(this, msg);
        } else {
            ReferenceCountUtil.release(msg);
            ctx.close();
        }
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
