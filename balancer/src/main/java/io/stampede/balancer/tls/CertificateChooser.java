package io.stampede.balancer.tls;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.ssl.SslClientHelloHandler;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.concurrent.Future;
import java.util.function.Function;

/**
 * Chooses between an ECDSA and an RSA certificate from the client's hello, as nginx's OpenSSL
 * does when both are configured: BoringSSL holds one certificate per connection, so the choice is
 * made before the handshake starts. A client that speaks TLS 1.3 (every such client must accept
 * ECDSA P-256) or offers an ECDHE-ECDSA suite gets the ECDSA certificate; any other, the RSA one.
 * The chosen context's {@link SslHandler} then takes this handler's place (and its name).
 */
final class CertificateChooser extends SslClientHelloHandler<Boolean> {
    private static final int SUPPORTED_VERSIONS = 43;
    private static final int MAX_HELLO = 16 * 1024;

    /** Builds the handler for the answer: true for ECDSA. */
    private final Function<Boolean, SslHandler> handlerFor;

    CertificateChooser(Function<Boolean, SslHandler> handlerFor) {
        super(MAX_HELLO);
        this.handlerFor = handlerFor;
    }

    @Override
    protected Future<Boolean> lookup(ChannelHandlerContext ctx, ByteBuf hello) {
        return ctx.executor().newSucceededFuture(hello == null || takesEcdsa(hello));
    }

    @Override
    protected void onLookupComplete(ChannelHandlerContext ctx, Future<Boolean> future) {
        SslHandler chosen = handlerFor.apply(future.getNow());
        String name = ctx.name();
        ctx.pipeline().replace(this, name, chosen);
    }

    /** Reads the ClientHello body (from client_version on); a hello it cannot read gets ECDSA. */
    static boolean takesEcdsa(ByteBuf hello) {
        int at = hello.readerIndex();
        int end = hello.writerIndex();
        at += 2 + 32; // client_version, random
        if (at >= end) {
            return true;
        }
        at += 1 + hello.getUnsignedByte(at); // session_id
        if (at + 2 > end) {
            return true;
        }
        int suitesLength = hello.getUnsignedShort(at);
        at += 2;
        boolean ecdsaSuite = false;
        for (int i = 0; i + 1 < suitesLength && at + i + 2 <= end; i += 2) {
            ecdsaSuite |= isEcdsaSuite(hello.getUnsignedShort(at + i));
        }
        if (ecdsaSuite) {
            return true;
        }
        at += suitesLength;
        if (at >= end) {
            return false;
        }
        at += 1 + hello.getUnsignedByte(at); // compression_methods
        if (at + 2 > end) {
            return false;
        }
        int extensionsEnd = Math.min(end, at + 2 + hello.getUnsignedShort(at));
        at += 2;
        while (at + 4 <= extensionsEnd) {
            int type = hello.getUnsignedShort(at);
            int length = hello.getUnsignedShort(at + 2);
            at += 4;
            if (type == SUPPORTED_VERSIONS && length >= 1 && at + length <= extensionsEnd) {
                int listEnd = at + 1 + hello.getUnsignedByte(at);
                for (int v = at + 1; v + 2 <= Math.min(listEnd, at + length); v += 2) {
                    if (hello.getUnsignedShort(v) == 0x0304) {
                        return true;
                    }
                }
            }
            at += length;
        }
        return false;
    }

    /** The ECDHE-ECDSA and ECDH-ECDSA suites of TLS 1.2 and below (IANA numbers). */
    private static boolean isEcdsaSuite(int suite) {
        return (suite >= 0xC001 && suite <= 0xC00A) // ECDH(E)_ECDSA with NULL, RC4, 3DES, AES-CBC
                || suite == 0xC023 || suite == 0xC024 || suite == 0xC025 || suite == 0xC026 // AES-CBC-SHA256/384
                || suite == 0xC02B || suite == 0xC02C || suite == 0xC02D || suite == 0xC02E // AES-GCM
                || (suite >= 0xC0AC && suite <= 0xC0AF) // AES-CCM
                || suite == 0xCCA9; // CHACHA20-POLY1305
    }
}
