package io.stampede.balancer.tls;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.ByteBuffer;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.Size;

/** The certificate choice read from real and from hostile ClientHello bodies. */
class CertificateChooserTest {
    /** The body of a ClientHello the JDK would send (record and handshake headers stripped). */
    private static ByteBuf hello(String protocol, String... suites) throws Exception {
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, null, null);
        SSLEngine e = ctx.createSSLEngine("localhost", 443);
        e.setUseClientMode(true);
        e.setEnabledProtocols(new String[] {protocol});
        e.setEnabledCipherSuites(suites);
        ByteBuffer out = ByteBuffer.allocate(e.getSession().getPacketBufferSize());
        e.beginHandshake();
        e.wrap(ByteBuffer.allocate(0), out);
        out.flip();
        ByteBuf b = Unpooled.wrappedBuffer(out);
        return b.skipBytes(5 + 4);
    }

    @org.junit.jupiter.api.Test
    void choosesByWhatTheClientOffers() throws Exception {
        assertThat(CertificateChooser.takesEcdsa(hello("TLSv1.2", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"))).isFalse();
        assertThat(CertificateChooser.takesEcdsa(hello("TLSv1.2", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
                "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"))).isTrue();
        assertThat(CertificateChooser.takesEcdsa(hello("TLSv1.3", "TLS_AES_128_GCM_SHA256"))).isTrue();
    }

    @Property(tries = 2000)
    void anyBytesGetAnAnswerAndNeverAnException(@ForAll @Size(max = 300) byte[] junk) {
        ByteBuf b = Unpooled.wrappedBuffer(junk);
        CertificateChooser.takesEcdsa(b);
        assertThat(b.readerIndex()).isZero();
    }
}
