package io.stampede.balancer.tls;

import io.netty.handler.ssl.OpenSsl;
import io.netty.internal.tcnative.SSL;
import io.netty.internal.tcnative.SSLContext;
import java.util.List;

/**
 * Turns an OpenSSL cipher string ({@code ssl_ciphers HIGH:!aNULL:!MD5}) into the cipher suites it
 * selects, by asking the TLS library itself, so the string means here exactly what it means to
 * the library nginx would use. TLS 1.3's suites are not chosen by the string (as in nginx) and
 * are added when TLS 1.3 is on.
 */
final class CipherList {
    static final List<String> TLS13 = List.of("TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256");

    private CipherList() {}

    /** The TLS 1.2-and-below suites the string selects, in the library's order of preference. */
    static List<String> expand(String cipherString) {
        if (!OpenSsl.isAvailable()) {
            throw new IllegalStateException("the native TLS library is not loaded");
        }
        long ctx = 0;
        long ssl = 0;
        try {
            ctx = SSLContext.make(SSL.SSL_PROTOCOL_TLSV1_2, SSL.SSL_MODE_SERVER);
            if (!SSLContext.setCipherSuite(ctx, cipherString, false)) {
                throw new IllegalArgumentException("selects no cipher");
            }
            ssl = SSL.newSSL(ctx, true);
            String[] names = SSL.getCiphers(ssl);
            if (names == null || names.length == 0) {
                throw new IllegalArgumentException("selects no cipher");
            }
            return List.of(names);
        } catch (IllegalArgumentException e) {
            throw e;
        } catch (Exception e) {
            // tcnative reports a string it cannot parse as a plain Exception.
            throw new IllegalArgumentException(e.getMessage() == null ? "not a cipher string" : e.getMessage(), e);
        } finally {
            if (ssl != 0) {
                SSL.freeSSL(ssl);
            }
            if (ctx != 0) {
                SSLContext.free(ctx);
            }
        }
    }
}
