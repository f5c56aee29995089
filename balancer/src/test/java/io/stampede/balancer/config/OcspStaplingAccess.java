package io.stampede.balancer.config;

/** The package's OCSP helpers, for the proxy's stapling tests in another package. */
public final class OcspStaplingAccess {
    private OcspStaplingAccess() {}

    public static java.net.URI aiaOcsp(java.security.cert.X509Certificate cert) {
        return OcspStapling.aiaOcsp(cert);
    }
}
