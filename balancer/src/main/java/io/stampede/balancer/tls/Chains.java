package io.stampede.balancer.tls;

import java.security.GeneralSecurityException;
import java.security.cert.CertPathValidator;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.PKIXReason;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Checks a presented certificate chain against trusted CAs and a verify depth, with OpenSSL's
 * meaning of depth (nginx's {@code ssl_verify_depth}, {@code proxy_ssl_verify_depth}): the peer's
 * certificate is level 0, each CA above it one more, and the CA that ends the chain must be at a
 * level no deeper than the depth. Reasons are worded as OpenSSL's, which nginx logs.
 */
final class Chains {
    private Chains() {}

    /** Null when the chain is good, else why not. */
    static String failure(X509Certificate[] chain, Set<TrustAnchor> anchors, int depth) {
        if (chain == null || chain.length == 0) {
            return "no certificate";
        }
        if (anchors.isEmpty()) {
            return "unable to get local issuer certificate";
        }
        // The path to validate stops before a trusted CA the peer may have sent along.
        List<X509Certificate> path = new ArrayList<>();
        for (X509Certificate c : chain) {
            if (!path.isEmpty() && isAnchor(c, anchors)) {
                break;
            }
            path.add(c);
        }
        if (path.size() > depth && !(path.size() == 1 && isAnchor(path.get(0), anchors))) {
            return "certificate chain too long";
        }
        try {
            PKIXParameters p = new PKIXParameters(anchors);
            p.setRevocationEnabled(false);
            CertificateFactory cf = CertificateFactory.getInstance("X.509");
            CertPathValidator.getInstance("PKIX").validate(cf.generateCertPath(path), p);
            return null;
        } catch (CertPathValidatorException e) {
            return reason(e);
        } catch (GeneralSecurityException e) {
            return String.valueOf(e.getMessage());
        }
    }

    private static boolean isAnchor(X509Certificate c, Set<TrustAnchor> anchors) {
        for (TrustAnchor a : anchors) {
            if (c.equals(a.getTrustedCert())) {
                return true;
            }
        }
        return false;
    }

    private static String reason(CertPathValidatorException e) {
        var r = e.getReason();
        if (r == CertPathValidatorException.BasicReason.EXPIRED) {
            return "certificate has expired";
        }
        if (r == CertPathValidatorException.BasicReason.NOT_YET_VALID) {
            return "certificate is not yet valid";
        }
        if (r == PKIXReason.NO_TRUST_ANCHOR) {
            return "unable to get local issuer certificate";
        }
        if (r == CertPathValidatorException.BasicReason.INVALID_SIGNATURE) {
            return "certificate signature failure";
        }
        return String.valueOf(e.getMessage());
    }
}
