package io.stampede.balancer.tls;

import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.ssl.AbstractSniHandler;
import io.netty.util.concurrent.Future;
import java.time.Duration;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Chooses a server's TLS (its certificates and settings) by the name in the client's hello
 * (SNI), as nginx picks the server block whose certificate a handshake uses: the name is matched
 * as a Host would be, and a hello without one gets the listener's default server. The chosen
 * handler (itself a {@link CertificateChooser} when that server has two certificates) takes this
 * handler's place and name and reads the same hello.
 */
public final class SniChooser extends AbstractSniHandler<ServerTls> {
    private static final int MAX_HELLO = 16 * 1024;

    private final Function<String, ServerTls> byName;
    private final Consumer<ServerTls> chosen;
    private final Duration handshakeTimeout;

    /**
     * @param byName the TLS for an SNI name (null when the hello named none)
     * @param chosen told of the choice before the handshake goes on (client certificates are judged by it)
     */
    public SniChooser(Function<String, ServerTls> byName, Consumer<ServerTls> chosen, Duration handshakeTimeout) {
        super(MAX_HELLO, handshakeTimeout.toMillis());
        this.byName = byName;
        this.chosen = chosen;
        this.handshakeTimeout = handshakeTimeout;
    }

    @Override
    protected Future<ServerTls> lookup(ChannelHandlerContext ctx, String hostname) {
        return ctx.executor().newSucceededFuture(byName.apply(hostname));
    }

    @Override
    protected void onLookupComplete(ChannelHandlerContext ctx, String hostname, Future<ServerTls> future) {
        ServerTls tls = future.getNow();
        chosen.accept(tls);
        ctx.pipeline().replace(this, ctx.name(), tls.newHandler(ctx.alloc(), handshakeTimeout));
    }
}
