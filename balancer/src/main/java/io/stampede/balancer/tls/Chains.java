package io.stampede.balancer.tls;

import java.security.GeneralSecurityException;
import java.security.InvalidAlgorithmParameterException;
import java.security.cert.CertPathBuilder;
import java.security.cert.CertPathBuilderException;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertStore;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.CollectionCertStoreParameters;
import java.security.cert.PKIXBuilderParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509CertSelector;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.Set;

/**
 * Checks a peer's certificate as OpenSSL does for nginx ({@code ssl_verify_depth},
 * {@code proxy_ssl_verify_depth}): a path is built from the peer's certificate through the
 * certificates it sent (in any order, extras ignored) to a trusted CA, with at most {@code depth}
 * intermediate CAs between them (OpenSSL's count: depth 1 takes leaf, intermediate, trusted CA).
 * Reasons are worded as OpenSSL's, which nginx logs.
 */
final class Chains {
    private Chains() {}

    /** Null when the chain is good now, else why not. */
    static String failure(X509Certificate[] chain, Set<TrustAnchor> anchors, int depth) {
        return failure(chain, anchors, depth, new java.util.Date());
    }

    /** Null when the chain is good at {@code at} (the caller's clock), else why not. */
    static String failure(X509Certificate[] chain, Set<TrustAnchor> anchors, int depth, java.util.Date at) {
        if (chain == null || chain.length == 0) {
            return "no certificate";
        }
        if (anchors.isEmpty()) {
            return "unable to get local issuer certificate";
        }
        X509Certificate peer = chain[0];
        for (TrustAnchor a : anchors) {
            if (peer.equals(a.getTrustedCert())) {
                return validity(at, peer); // a trusted certificate, self-signed most likely: no path to build
            }
        }
        try {
            build(chain, anchors, depth, at);
            return null;
        } catch (CertPathBuilderException e) {
            String expired = validity(at, chain);
            if (expired != null) {
                return expired;
            }
            try {
                build(chain, anchors, -1, at);
                return "certificate chain too long"; // a path exists, only longer than the depth allows
            } catch (CertPathBuilderException longer) {
                return e.getCause() instanceof CertPathValidatorException v
                        && v.getReason() == CertPathValidatorException.BasicReason.INVALID_SIGNATURE
                        ? "certificate signature failure" : "unable to get local issuer certificate";
            } catch (GeneralSecurityException other) {
                return String.valueOf(other.getMessage());
            }
        } catch (GeneralSecurityException e) {
            return String.valueOf(e.getMessage());
        }
    }

    private static void build(X509Certificate[] chain, Set<TrustAnchor> anchors, int maxIntermediates, java.util.Date at)
            throws GeneralSecurityException {
        X509CertSelector target = new X509CertSelector();
        target.setCertificate(chain[0]);
        PKIXBuilderParameters p;
        try {
            p = new PKIXBuilderParameters(anchors, target);
        } catch (InvalidAlgorithmParameterException e) {
            throw new IllegalStateException(e);
        }
        p.setRevocationEnabled(false);
        p.setDate(at);
        p.setMaxPathLength(maxIntermediates);
        p.addCertStore(CertStore.getInstance("Collection", new CollectionCertStoreParameters(Arrays.asList(chain))));
        CertPathBuilder.getInstance("PKIX").build(p);
    }

    /** OpenSSL's words for a certificate out of its dates, among those sent; null when all are in them. */
    private static String validity(java.util.Date at, X509Certificate... certificates) {
        for (X509Certificate c : certificates) {
            try {
                c.checkValidity(at);
            } catch (CertificateExpiredException e) {
                return "certificate has expired";
            } catch (CertificateNotYetValidException e) {
                return "certificate is not yet valid";
            }
        }
        return null;
    }
}
