package io.stampede.balancer.tls;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.ssl.SslHandler;
import java.util.List;

/**
 * Sits in front of a TLS listener's {@link SslHandler} (named {@link ServerTls#HANDLER}) and looks at the first five bytes once: a
 * TLS record goes on to the handshake; anything else is a client speaking plain HTTP to the TLS
 * port, and nginx reads that request and answers 400 "The plain HTTP request was sent to HTTPS
 * port". So the TLS handler steps aside, the bytes go to the HTTP decoder, and {@code onPlain}
 * marks the connection for that answer. Either way this handler then leaves the pipeline.
 */
public final class PlainHttpDetector extends ByteToMessageDecoder {
    private static final int RECORD_HEADER = 5;
    private final Runnable onPlain;

    public PlainHttpDetector(Runnable onPlain) {
        this.onPlain = onPlain;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (in.readableBytes() < RECORD_HEADER) {
            return; // ByteToMessageDecoder reads again when auto-read is off
        }
        if (!SslHandler.isEncrypted(in, false)) {
            onPlain.run();
            ctx.pipeline().remove(ServerTls.HANDLER);
        }
        // Removal hands the bytes held so far to the next handler.
        ctx.pipeline().remove(this);
    }
}
