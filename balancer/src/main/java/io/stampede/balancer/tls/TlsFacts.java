package io.stampede.balancer.tls;

import io.netty.handler.ssl.ReferenceCountedOpenSslEngine;
import io.stampede.balancer.config.SslSettings;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.net.ssl.ExtendedSSLSession;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SNIServerName;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;

/**
 * What one connection's handshake settled, read once when it completes: nginx's
 * {@code $ssl_protocol}, {@code $ssl_cipher} (OpenSSL's name), {@code $ssl_server_name},
 * {@code $ssl_session_reused}, {@code $ssl_client_verify}, {@code $ssl_client_s_dn} and
 * {@code $ssl_client_i_dn}; and whether a request on it must be refused for its certificate.
 */
public record TlsFacts(String protocol, String cipher, String serverName, boolean reused, String clientVerify,
                       String clientSubject, String clientIssuer, SslSettings.VerifyClient verifyMode) {

    static TlsFacts of(SSLEngine engine, ClientCertificates clients) {
        SSLSession s = engine.getSession();
        String sni = "";
        if (s instanceof ExtendedSSLSession ext) {
            for (SNIServerName n : ext.getRequestedServerNames()) {
                if (n instanceof SNIHostName h) {
                    sni = h.getAsciiName();
                }
            }
        }
        boolean reused = engine instanceof ReferenceCountedOpenSslEngine o && sessionReused(o);
        X509Certificate[] chain = null;
        if (clients != null) {
            try {
                Certificate[] peer = s.getPeerCertificates();
                chain = java.util.Arrays.stream(peer).map(X509Certificate.class::cast).toArray(X509Certificate[]::new);
            } catch (SSLPeerUnverifiedException e) {
                chain = null; // no certificate sent
            }
        }
        String verify = clients == null ? "NONE" : clients.verdict(chain);
        String subject = chain == null ? "" : chain[0].getSubjectX500Principal().getName();
        String issuer = chain == null ? "" : chain[0].getIssuerX500Principal().getName();
        return new TlsFacts(s.getProtocol(), openSslName(s.getCipherSuite()), sni, reused, verify, subject, issuer,
                clients == null ? SslSettings.VerifyClient.OFF : clients.mode());
    }

    /**
     * nginx's 400 for this connection's requests, as the page's detail line, or null when they
     * may pass: a missing certificate under {@code on}, a failed check under {@code on} or
     * {@code optional}.
     */
    /** The same facts judged by {@code mode} (the request's server's ssl_verify_client, which its Host chose). */
    public TlsFacts judgedAs(SslSettings.VerifyClient mode) {
        return mode == verifyMode ? this
                : new TlsFacts(protocol, cipher, serverName, reused, clientVerify, clientSubject, clientIssuer, mode);
    }

    public String refusal() {
        if (verifyMode == SslSettings.VerifyClient.ON && clientVerify.equals("NONE")) {
            return "No required SSL certificate was sent";
        }
        if ((verifyMode == SslSettings.VerifyClient.ON || verifyMode == SslSettings.VerifyClient.OPTIONAL)
                && clientVerify.startsWith("FAILED")) {
            return "The SSL certificate error";
        }
        return null;
    }

    /** The variables this offers, by name (without {@code $}); null for a name it does not hold. */
    public String variable(String name) {
        return switch (name) {
            case "ssl_protocol" -> protocol;
            case "ssl_cipher" -> cipher;
            case "ssl_server_name" -> serverName;
            case "ssl_session_reused" -> reused ? "r" : ".";
            case "ssl_client_verify" -> clientVerify;
            case "ssl_client_s_dn" -> clientSubject;
            case "ssl_client_i_dn" -> clientIssuer;
            default -> null;
        };
    }

    /** The names {@link #variable} answers, for checking a configuration's templates. */
    public static final List<String> NAMES = List.of("ssl_protocol", "ssl_cipher", "ssl_server_name", "ssl_session_reused",
            "ssl_client_verify", "ssl_client_s_dn", "ssl_client_i_dn");

    @SuppressWarnings("deprecation") // sslPointer: Netty keeps its own isSessionReused package-private
    private static boolean sessionReused(ReferenceCountedOpenSslEngine engine) {
        long ssl = engine.sslPointer();
        return ssl != 0 && io.netty.internal.tcnative.SSL.isSessionReused(ssl);
    }

    /** OpenSSL's name for a suite, as nginx reports it (TLS 1.3 suites keep their IANA names there too). */
    private static String openSslName(String javaName) {
        if (javaName == null) {
            return "";
        }
        String n = io.netty.handler.ssl.CipherSuiteConverter.toOpenSsl(javaName, true);
        return n == null || javaName.startsWith("TLS_AES") || javaName.startsWith("TLS_CHACHA20") ? javaName : n;
    }
}
