package io.stampede.balancer.tls;

import io.stampede.balancer.config.SslSettings;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.ocsp.BasicOCSPResp;
import org.bouncycastle.cert.ocsp.CertificateID;
import org.bouncycastle.cert.ocsp.CertificateStatus;
import org.bouncycastle.cert.ocsp.OCSPReqBuilder;
import org.bouncycastle.cert.ocsp.OCSPResp;
import org.bouncycastle.cert.ocsp.SingleResp;
import org.bouncycastle.cert.ocsp.jcajce.JcaCertificateID;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Staples what a certificate's OCSP responder answers (nginx's {@code ssl_stapling on} without a
 * file). As nginx does, it asks lazily, at the first handshake and again when due, and never holds
 * a handshake up: until an answer is in, handshakes go without one.
 * <ul>
 *   <li>An answer is kept until its {@code nextUpdate} (for good when it has none). It is asked
 *   for again an hour after it came, or five minutes before it ends, whichever comes first.</li>
 *   <li>A failed ask is logged and tried again five minutes later. The last answer is stapled
 *   meanwhile while it is still valid.</li>
 *   <li>An answer is used only when it says "good" about this certificate, is in date and is
 *   signed by the responder it names (its certificate in the answer, or the issuer). With
 *   {@code ssl_stapling_verify on}, that signer must be the issuer or a responder the issuer
 *   delegated (with the OCSP-signing purpose). Any other answer ("revoked", "unknown") is logged
 *   and not stapled, as by nginx.</li>
 *   <li>An answer is read up to 16 KB (nginx's buffer), and an ask ends after 10 seconds.</li>
 * </ul>
 */
public final class OcspStapler {
    private static final Logger LOG = LoggerFactory.getLogger("stampede.proxy");
    private static final Duration REFRESH = Duration.ofHours(1);
    private static final Duration RETRY = Duration.ofMinutes(5);
    private static final Duration MARGIN = Duration.ofMinutes(5);
    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    /** The asks of every stapler: rare, short, off the event loops. */
    private static final ExecutorService ASKS = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "ocsp-stapling");
        t.setDaemon(true);
        return t;
    });
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(TIMEOUT).executor(ASKS)
            .version(HttpClient.Version.HTTP_1_1).build();
    private static final int SUCCESSFUL = 0;
    /** nginx reads a responder's answer into 16 KB: a bigger one is refused, not read into memory. */
    static final int MAX_ANSWER = 16 * 1024;

    record Staple(byte[] der, Instant validUntil) {}

    private final X509Certificate certificate;
    private final SslSettings.OcspFetch fetch;
    private final Clock clock;
    private final AtomicReference<Staple> staple = new AtomicReference<>();
    private final AtomicBoolean asking = new AtomicBoolean();
    private volatile Instant dueAt = Instant.MIN;

    /** @param clock the time answers are judged by (a test's own) */
    public OcspStapler(X509Certificate certificate, SslSettings.OcspFetch fetch, Clock clock) {
        this.certificate = certificate;
        this.fetch = fetch;
        this.clock = clock;
    }

    /** The answer to staple now, or null; starts an ask when one is due (on another thread). */
    public byte[] current() {
        Instant now = clock.instant();
        if (!now.isBefore(dueAt) && asking.compareAndSet(false, true)) {
            ASKS.execute(this::ask);
        }
        Staple s = staple.get();
        return s != null && now.isBefore(s.validUntil()) ? s.der() : null;
    }

    private void ask() {
        try {
            Staple fresh = fetchAndCheck();
            staple.set(fresh);
            Instant now = clock.instant();
            Instant next = now.plus(REFRESH);
            if (fresh.validUntil().minus(MARGIN).isBefore(next)) {
                next = fresh.validUntil().minus(MARGIN);
            }
            dueAt = next.isBefore(now.plus(RETRY)) ? now.plus(RETRY) : next;
        } catch (Throwable e) { // even an Error: the next ask is five minutes away, not at the next handshake
            LOG.warn("ssl_stapling: no OCSP response for \"{}\" from {}: {} (asked again in 5 minutes)",
                    certificate.getSubjectX500Principal().getName(), fetch.responder(),
                    e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName());
            dueAt = clock.instant().plus(RETRY);
        } finally {
            asking.set(false);
        }
    }

    /**
     * The ask, as nginx sends it: a GET with the request in the path, base64 then URL-escaped
     * (RFC 6960, A.1), which responders and their caches serve best; a request whose encoding
     * would pass 255 bytes goes as a POST instead, as the RFC says.
     */
    static HttpRequest.Builder askFor(java.net.URI responder, byte[] request) {
        String encoded = java.net.URLEncoder.encode(java.util.Base64.getEncoder().encodeToString(request),
                java.nio.charset.StandardCharsets.US_ASCII);
        if (encoded.length() < 255) {
            String base = responder.toString();
            return HttpRequest.newBuilder(java.net.URI.create(base + (base.endsWith("/") ? "" : "/") + encoded)).GET();
        }
        return HttpRequest.newBuilder(responder).header("Content-Type", "application/ocsp-request")
                .POST(HttpRequest.BodyPublishers.ofByteArray(request));
    }

    private Staple fetchAndCheck() throws Exception {
        CertificateID id = new JcaCertificateID(new JcaDigestCalculatorProviderBuilder().build().get(CertificateID.HASH_SHA1),
                fetch.issuer(), certificate.getSerialNumber());
        byte[] request = new OCSPReqBuilder().addRequest(id).build().getEncoded();
        java.util.concurrent.CompletableFuture<HttpResponse<java.io.InputStream>> sent = HTTP.sendAsync(
                askFor(fetch.responder(), request).timeout(TIMEOUT).header("Accept", "application/ocsp-response").build(),
                HttpResponse.BodyHandlers.ofInputStream());
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        HttpResponse<java.io.InputStream> answer;
        try {
            answer = sent.get(TIMEOUT.toNanos(), java.util.concurrent.TimeUnit.NANOSECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            sent.cancel(true);
            throw new IOException("no answer within " + TIMEOUT.toSeconds() + " s");
        } catch (java.util.concurrent.ExecutionException e) {
            throw e.getCause() instanceof Exception cause ? cause : e;
        }
        try (java.io.InputStream body = answer.body()) {
            if (answer.statusCode() != 200) {
                throw new IOException("the responder answered HTTP " + answer.statusCode());
            }
            // The body's read has no timeout of its own: a responder that stalls after its head is cut off.
            java.util.concurrent.Future<byte[]> read = ASKS.submit(() -> body.readNBytes(MAX_ANSWER + 1));
            byte[] der;
            try {
                der = read.get(Math.max(1, deadline - System.nanoTime()), java.util.concurrent.TimeUnit.NANOSECONDS);
            } catch (java.util.concurrent.TimeoutException e) {
                read.cancel(true);
                throw new IOException("the answer did not arrive within " + TIMEOUT.toSeconds() + " s");
            }
            if (der.length > MAX_ANSWER) {
                throw new IOException("an answer over " + MAX_ANSWER / 1024 + " KB");
            }
            return check(der, id);
        }
    }

    /** The answer if it may be stapled, with how long it is valid; else why not. */
    Staple check(byte[] der, CertificateID id) throws Exception {
        OCSPResp response = new OCSPResp(der);
        if (response.getStatus() != SUCCESSFUL) {
            throw new IOException("the response's status is " + response.getStatus() + ", not successful (0)");
        }
        if (!(response.getResponseObject() instanceof BasicOCSPResp basic)) {
            throw new IOException("not a basic OCSP response");
        }
        SingleResp mine = null;
        for (SingleResp single : basic.getResponses()) {
            if (sameCertificate(single.getCertID(), id)) {
                mine = single;
            }
        }
        if (mine == null) {
            throw new IOException("the response is not about this certificate (serial " + certificate.getSerialNumber().toString(16) + ")");
        }
        Instant now = clock.instant();
        if (mine.getThisUpdate().toInstant().isAfter(now.plus(MARGIN))) {
            throw new IOException("the response is from the future (thisUpdate " + mine.getThisUpdate().toInstant() + ")");
        }
        // As nginx: no nextUpdate, valid for good (asked for again hourly).
        Instant until = mine.getNextUpdate() != null ? mine.getNextUpdate().toInstant() : Instant.MAX;
        if (!now.isBefore(until)) {
            throw new IOException("the response has expired (nextUpdate " + until + ")");
        }
        if (fetch.verify() ? !signedByIssuerOrDelegate(basic) : !signedByAnyNamedSigner(basic)) {
            throw new IOException(fetch.verify() ? "the response is signed by neither the issuer nor a responder it delegated"
                    + " whose certificate leads to ssl_trusted_certificate (ssl_stapling_verify is on)"
                    : "the response's signature does not verify");
        }
        if (mine.getCertStatus() != CertificateStatus.GOOD) {
            throw new IOException("certificate status \"" + (mine.getCertStatus() instanceof org.bouncycastle.cert.ocsp.RevokedStatus
                    ? "revoked" : "unknown") + "\" in the OCSP response");
        }
        return new Staple(der, until);
    }

    /** As OpenSSL's OCSP_id_cmp: the hash, both hashes and the serial, not the algorithm's encoding. */
    private static boolean sameCertificate(CertificateID a, CertificateID b) {
        return a.getHashAlgOID().equals(b.getHashAlgOID()) && java.util.Arrays.equals(a.getIssuerNameHash(), b.getIssuerNameHash())
                && java.util.Arrays.equals(a.getIssuerKeyHash(), b.getIssuerKeyHash()) && a.getSerialNumber().equals(b.getSerialNumber());
    }

    /**
     * Without ssl_stapling_verify, as nginx's OCSP_basic_verify with OCSP_NOVERIFY: the signer is
     * found among the certificates the answer carries or those after the server's own in its file
     * (the issuer, usually), and the signature must check out with its key.
     */
    private boolean signedByAnyNamedSigner(BasicOCSPResp basic) throws Exception {
        if (fetch.issuerInChain() && signedBy(basic, fetch.issuer().getPublicKey())) {
            return true;
        }
        for (X509Certificate carried : carried(basic)) {
            if (signedBy(basic, carried.getPublicKey())) {
                return true;
            }
        }
        return false;
    }

    /**
     * With ssl_stapling_verify, as nginx's OCSP_basic_verify with OCSP_TRUSTOTHER: an issuer that
     * came with the server's certificate is trusted as it is. Any other signer must be carried by
     * the answer, be the issuer or a responder the issuer delegated (OCSP signing), and lead to a
     * CA of nginx's certificate store ({@code ssl_trusted_certificate}, and
     * {@code ssl_client_certificate} when clients are verified) through the issuer, the server's
     * chain and the answer's certificates.
     */
    private boolean signedByIssuerOrDelegate(BasicOCSPResp basic) throws Exception {
        if (fetch.issuerInChain() && signedBy(basic, fetch.issuer().getPublicKey())) {
            return true;
        }
        List<X509Certificate> carried = carried(basic);
        for (X509Certificate responder : carried) {
            if (!signedBy(basic, responder.getPublicKey())) {
                continue;
            }
            boolean issuer = responder.equals(fetch.issuer());
            if (!issuer && !delegated(responder)) {
                continue;
            }
            if (leadsToTrusted(responder, carried)) {
                return true;
            }
        }
        return false;
    }

    /** Issued by the issuer, in date, for OCSP signing (OpenSSL's OCSP_check_delegated). */
    private boolean delegated(X509Certificate responder) throws Exception {
        try {
            responder.verify(fetch.issuer().getPublicKey());
            responder.checkValidity(java.util.Date.from(clock.instant()));
        } catch (java.security.GeneralSecurityException e) {
            return false;
        }
        List<String> purposes = responder.getExtendedKeyUsage();
        return purposes != null && purposes.contains(KeyPurposeId.id_kp_OCSPSigning.getId());
    }

    private boolean leadsToTrusted(X509Certificate responder, List<X509Certificate> carried) {
        java.util.Set<java.security.cert.TrustAnchor> anchors = new java.util.HashSet<>();
        fetch.trusted().forEach(ca -> anchors.add(new java.security.cert.TrustAnchor(ca, null)));
        List<X509Certificate> path = new java.util.ArrayList<>();
        path.add(responder);
        path.add(fetch.issuer());
        path.addAll(fetch.chain());
        path.addAll(carried);
        return Chains.failure(path.toArray(X509Certificate[]::new), anchors, 100, java.util.Date.from(clock.instant())) == null;
    }

    private static List<X509Certificate> carried(BasicOCSPResp basic) throws Exception {
        List<X509Certificate> out = new java.util.ArrayList<>();
        for (X509CertificateHolder holder : basic.getCerts()) {
            out.add(new JcaX509CertificateConverter().getCertificate(holder));
        }
        return out;
    }

    private static boolean signedBy(BasicOCSPResp basic, PublicKey key) throws Exception {
        try {
            return basic.isSignatureValid(new JcaContentVerifierProviderBuilder().build(key));
        } catch (org.bouncycastle.cert.ocsp.OCSPException e) {
            return false; // another key type than the signature's
        }
    }

    /** Where it asks (for messages and tests). */
    public URI responder() {
        return fetch.responder();
    }
}
