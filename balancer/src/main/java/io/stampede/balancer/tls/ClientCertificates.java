package io.stampede.balancer.tls;

import io.stampede.balancer.config.SslSettings;
import java.security.GeneralSecurityException;
import java.security.cert.CertPathValidator;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import javax.net.ssl.X509TrustManager;

/**
 * {@code ssl_verify_client}: the handshake asks for a certificate and takes any (advertising the
 * {@code ssl_client_certificate} CAs); the chain is then checked here, against those CAs and
 * {@code ssl_verify_depth}, and the verdict becomes {@code $ssl_client_verify} and, for
 * {@code on} and {@code optional}, nginx's 400 answers.
 */
final class ClientCertificates {
    private final List<X509Certificate> cas;
    private final SslSettings.VerifyClient mode;
    private final int depth;
    private final Set<TrustAnchor> anchors = new HashSet<>();

    ClientCertificates(List<X509Certificate> cas, SslSettings.VerifyClient mode, int depth) {
        this.cas = cas;
        this.mode = mode;
        this.depth = depth;
        for (X509Certificate ca : cas) {
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
        if (chain.length - 1 > depth) {
            return "FAILED:certificate chain too long";
        }
        try {
            PKIXParameters p = new PKIXParameters(anchors);
            p.setRevocationEnabled(false);
            CertificateFactory cf = CertificateFactory.getInstance("X.509");
            CertPathValidator.getInstance("PKIX").validate(cf.generateCertPath(Arrays.asList(chain)), p);
            return "SUCCESS";
        } catch (java.security.cert.CertPathValidatorException e) {
            return "FAILED:" + reason(e);
        } catch (GeneralSecurityException e) {
            return "FAILED:" + e.getMessage();
        }
    }

    private static String reason(java.security.cert.CertPathValidatorException e) {
        var r = e.getReason();
        if (r == java.security.cert.CertPathValidatorException.BasicReason.EXPIRED) {
            return "certificate has expired";
        }
        if (r == java.security.cert.CertPathValidatorException.BasicReason.NOT_YET_VALID) {
            return "certificate is not yet valid";
        }
        if (r == java.security.cert.PKIXReason.NO_TRUST_ANCHOR) {
            return "unable to get local issuer certificate";
        }
        if (r == java.security.cert.CertPathValidatorException.BasicReason.INVALID_SIGNATURE) {
            return "certificate signature failure";
        }
        return String.valueOf(e.getMessage());
    }
}
