package io.stampede.balancer.tls;

import io.stampede.balancer.config.SslSettings;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import javax.net.ssl.X509TrustManager;

/**
 * {@code ssl_verify_client}: the handshake asks for a certificate and takes any (advertising the
 * {@code ssl_client_certificate} CAs); the chain is then checked here, against those CAs and
 * the {@code ssl_trusted_certificate} ones (which, as in nginx, are never named to clients)
 * within {@code ssl_verify_depth}, and the verdict becomes {@code $ssl_client_verify} and, for
 * {@code on} and {@code optional}, nginx's 400 answers.
 */
final class ClientCertificates {
    private final List<X509Certificate> cas;
    private final SslSettings.VerifyClient mode;
    private final int depth;
    private final Set<TrustAnchor> anchors = new HashSet<>();

    ClientCertificates(List<X509Certificate> cas, List<X509Certificate> trusted, SslSettings.VerifyClient mode, int depth) {
        this.cas = cas;
        this.mode = mode;
        this.depth = depth;
        for (X509Certificate ca : cas) {
            anchors.add(new TrustAnchor(ca, null));
        }
        for (X509Certificate ca : trusted) {
            anchors.add(new TrustAnchor(ca, null));
        }
    }

    SslSettings.VerifyClient mode() {
        return mode;
    }

    /** Takes every chain; names the configured CAs so that clients offer a matching certificate. */
    X509TrustManager trustManager() {
        X509Certificate[] issuers = cas.toArray(X509Certificate[]::new);
        return new X509TrustManager() {
            @Override
            public void checkClientTrusted(X509Certificate[] chain, String authType) {
                // judged after the handshake: see verdict()
            }

            @Override
            public void checkServerTrusted(X509Certificate[] chain, String authType) {
                throw new UnsupportedOperationException("a server-side trust manager");
            }

            @Override
            public X509Certificate[] getAcceptedIssuers() {
                return issuers.clone();
            }
        };
    }

    /** {@code NONE}, {@code SUCCESS} or {@code FAILED:reason}, as nginx's {@code $ssl_client_verify}. */
    String verdict(X509Certificate[] chain) {
        if (chain == null || chain.length == 0) {
            return "NONE";
        }
        if (mode == SslSettings.VerifyClient.OPTIONAL_NO_CA && anchors.isEmpty()) {
            return "FAILED:unable to get local issuer certificate";
        }
        String failure = Chains.failure(chain, anchors, depth);
        return failure == null ? "SUCCESS" : "FAILED:" + failure;
    }
}
