package io.stampede.common.tls;

import io.netty.handler.ssl.OpenSsl;
import io.netty.internal.tcnative.SSL;
import io.netty.internal.tcnative.SSLContext;
import java.util.List;

/**
 * Turns an OpenSSL cipher string ({@code ssl_ciphers HIGH:!aNULL:!MD5}) into the cipher suites it
 * selects, by asking the TLS library itself, so the string means here exactly what it means to
 * the library nginx would use. TLS 1.3's suites are not chosen by the string (as in nginx) and
 * are added when TLS 1.3 is on.
 *
 * <p>With the JDK's engine (no native library) there is nothing to ask: a string is then taken
 * only as a ':'-separated list of IANA suite names, and nginx's default string as the JDK's own
 * strong defaults.
 */
public final class CipherList {
    public static final List<String> TLS13 = List.of("TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256");

    private CipherList() {}

    /**
     * The suites to configure for this engine, or null for the engine's defaults.
     *
     * @throws IllegalArgumentException saying why the string cannot be used
     */
    public static List<String> forEngine(String cipherString, String defaultString, boolean nativeEngine) {
        if (nativeEngine) {
            return expand(cipherString);
        }
        if (cipherString.equals(defaultString)) {
            return null;
        }
        List<String> names = List.of(cipherString.split(":"));
        for (String n : names) {
            if (!n.startsWith("TLS_")) {
                throw new IllegalArgumentException("the JDK's TLS engine runs here (the native library did not load), and it"
                        + " takes only a ':'-separated list of IANA suite names (TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, ...),"
                        + " not an OpenSSL cipher string");
            }
        }
        return names;
    }

    /** The TLS 1.2-and-below suites the string selects, in the library's order of preference. */
    public static List<String> expand(String cipherString) {
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
