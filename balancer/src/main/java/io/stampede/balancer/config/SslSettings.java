package io.stampede.balancer.config;

import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;

/**
 * The {@code ssl_*} directives of the listeners marked {@code ssl}, already read: certificates and
 * keys are loaded (and matched) when the configuration is, so a bad file stops the start, not the
 * first handshake.
 *
 * @param certificates one entry per {@code ssl_certificate} / {@code ssl_certificate_key} pair
 *        (an RSA and an ECDSA one may be given; the handshake picks what the client supports)
 * @param protocols {@code ssl_protocols}, in the JDK's spelling (TLSv1.2, TLSv1.3)
 * @param ciphers {@code ssl_ciphers}, an OpenSSL cipher string (TLS 1.2 and below)
 * @param sessionCacheSize sessions kept for resumption by session id; 0 = none
 * @param clientCas {@code ssl_client_certificate}: the CAs client certificates are checked against
 * @param verifyDepth {@code ssl_verify_depth}: intermediates allowed between the client and a CA
 * @param trustedCas {@code ssl_trusted_certificate}: more CAs to check client certificates and
 *     OCSP responders against, never named to clients
 */
public record SslSettings(List<CertifiedKey> certificates, List<String> protocols, String ciphers,
                          boolean preferServerCiphers, long sessionCacheSize, Duration sessionTimeout,
                          boolean sessionTickets, List<X509Certificate> clientCas, VerifyClient verifyClient,
                          int verifyDepth, List<X509Certificate> trustedCas) {

    /** nginx's default {@code ssl_ciphers}. */
    public static final String DEFAULT_CIPHERS = "HIGH:!aNULL:!MD5";

    /**
     * These settings as a server chosen by SNI gets them in nginx: its certificates, cipher suites,
     * tickets and client verification (nginx copies the chosen context's options), but the protocol
     * versions and the session cache size and timeout of the listener's default server
     * ({@code first}): OpenSSL settles the version before nginx's name callback swaps the context.
     * (Each chosen context keeps its own session cache here.)
     */
    public SslSettings chosenAfter(SslSettings first) {
        return new SslSettings(certificates, first.protocols, ciphers, preferServerCiphers, first.sessionCacheSize,
                first.sessionTimeout, sessionTickets, clientCas, verifyClient, verifyDepth, trustedCas);
    }

    /**
     * A certificate chain (the server's own first) and its private key.
     *
     * @param ocspResponse the DER OCSP response stapled to its handshakes ({@code ssl_stapling_file}),
     *     or null for none
     * @param ocspFetch where to ask for the response to staple ({@code ssl_stapling on} without a
     *     file), or null
     */
    public record CertifiedKey(List<X509Certificate> chain, PrivateKey key, String source, byte[] ocspResponse,
                               OcspFetch ocspFetch) {
        public CertifiedKey(List<X509Certificate> chain, PrivateKey key, String source) {
            this(chain, key, source, null, null);
        }

        /** Equal when the same certificate, key, file and stapling (a response by content), so a reload keeps their context. */
        @Override
        public boolean equals(Object o) {
            return o instanceof CertifiedKey k && chain.equals(k.chain) && key.equals(k.key) && source.equals(k.source)
                    && java.util.Arrays.equals(ocspResponse, k.ocspResponse) && java.util.Objects.equals(ocspFetch, k.ocspFetch);
        }

        @Override
        public int hashCode() {
            return java.util.Objects.hash(chain, key, source, java.util.Arrays.hashCode(ocspResponse), ocspFetch);
        }

        /** The same pair, stapling {@code response}. */
        public CertifiedKey stapling(byte[] response) {
            return new CertifiedKey(chain, key, source, response, null);
        }

        /** The same pair, stapling what {@code fetch}'s responder answers. */
        public CertifiedKey fetching(OcspFetch fetch) {
            return new CertifiedKey(chain, key, source, null, fetch);
        }

        /** Whether its handshakes may carry an OCSP response. */
        public boolean staples() {
            return ocspResponse != null || ocspFetch != null;
        }
    }

    /**
     * {@code ssl_stapling on} without a file: the responder to ask (the certificate's own, from its
     * Authority Information Access, or {@code ssl_stapling_responder}), the issuer that the request
     * names and that signs (or delegates) the answer, and whether the answer's signature is
     * checked ({@code ssl_stapling_verify}).
     */
    /**
     * @param trusted the CAs a responder's certificate must lead to with verify on, nginx's
     *     certificate store: {@code ssl_trusted_certificate}, and {@code ssl_client_certificate}
     *     when clients are verified
     * @param chain the certificates after the server's own in its {@code ssl_certificate} file
     */
    public record OcspFetch(java.net.URI responder, X509Certificate issuer, boolean verify, List<X509Certificate> trusted,
                            List<X509Certificate> chain) {

        /** The issuer came with the server's certificate (nginx trusts it as it is), not from the store. */
        public boolean issuerInChain() {
            return chain.contains(issuer);
        }
    }

    /** {@code ssl_verify_client}. */
    public enum VerifyClient {
        OFF, ON, OPTIONAL, OPTIONAL_NO_CA;

        /** Whether the handshake asks the client for a certificate. */
        public boolean asks() {
            return this != OFF;
        }
    }
}
