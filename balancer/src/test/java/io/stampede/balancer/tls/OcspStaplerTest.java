package io.stampede.balancer.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.stampede.balancer.config.SslSettings;
import io.stampede.common.tls.Certificates;
import java.io.IOException;
import java.math.BigInteger;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Date;
import java.util.List;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.cert.ocsp.BasicOCSPResp;
import org.bouncycastle.cert.ocsp.CertificateID;
import org.bouncycastle.cert.ocsp.CertificateStatus;
import org.bouncycastle.cert.ocsp.OCSPRespBuilder;
import org.bouncycastle.cert.ocsp.RevokedStatus;
import org.bouncycastle.cert.ocsp.UnknownStatus;
import org.bouncycastle.cert.ocsp.jcajce.JcaBasicOCSPRespBuilder;
import org.bouncycastle.cert.ocsp.jcajce.JcaCertificateID;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Which responder answers get stapled, judged at a fixed time: nginx's rules. */
class OcspStaplerTest {
    /**
     * The fixed clock the stapler judges answers by: the time the test starts, so certificates
     * made for the test (valid from an hour before they are made) are in date by it too.
     */
    static final Instant NOW = Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
    static Certificates.Issued ca;
    static Certificates.Issued leaf;
    static Certificates.Issued stranger;
    static CertificateID id;

    @BeforeAll
    static void certificates() throws Exception {
        ca = Certificates.authority("Stapler CA");
        leaf = Certificates.signed(ca, "localhost", List.of("localhost"), "EC", Duration.ofDays(400));
        stranger = Certificates.authority("Someone Else");
        id = idOf(leaf.certificate().getSerialNumber());
    }

    static CertificateID idOf(BigInteger serial) throws Exception {
        return new JcaCertificateID(new JcaDigestCalculatorProviderBuilder().build().get(CertificateID.HASH_SHA1),
                ca.certificate(), serial);
    }

    static OcspStapler stapler(boolean verify) {
        return stapler(verify, List.of());
    }

    /** @param trusted ssl_trusted_certificate's CAs (and ssl_client_certificate's); the issuer follows the server's certificate */
    static OcspStapler stapler(boolean verify, List<java.security.cert.X509Certificate> trusted) {
        return stapler(verify, trusted, List.of(ca.certificate()));
    }

    /** @param chain what follows the server's certificate in its file (empty: the issuer came from the trusted CAs) */
    static OcspStapler stapler(boolean verify, List<java.security.cert.X509Certificate> trusted,
                               List<java.security.cert.X509Certificate> chain) {
        return new OcspStapler(leaf.certificate(), new SslSettings.OcspFetch(URI.create("http://127.0.0.1:9/"), ca.certificate(), verify,
                trusted, chain), Clock.fixed(NOW, ZoneOffset.UTC));
    }

    /** An answer about {@code about}, signed by {@code signer} carrying {@code carried}. */
    static byte[] answer(CertificateID about, CertificateStatus status, Instant thisUpdate, Instant nextUpdate,
                         Certificates.Issued signer, java.security.cert.X509Certificate carried) throws Exception {
        var digests = new JcaDigestCalculatorProviderBuilder().build();
        JcaBasicOCSPRespBuilder b = new JcaBasicOCSPRespBuilder(signer.certificate().getPublicKey(), digests.get(CertificateID.HASH_SHA1));
        b.addResponse(about, status, Date.from(thisUpdate), nextUpdate == null ? null : Date.from(nextUpdate), null);
        BasicOCSPResp basic = b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(signer.key()),
                new X509CertificateHolder[] {new JcaX509CertificateHolder(carried)}, Date.from(thisUpdate));
        return new OCSPRespBuilder().build(OCSPRespBuilder.SUCCESSFUL, basic).getEncoded();
    }

    static byte[] good(Instant nextUpdate) throws Exception {
        return answer(id, CertificateStatus.GOOD, NOW.minusSeconds(60), nextUpdate, ca, ca.certificate());
    }

    @Test
    void theAskIsAGetWithTheRequestInThePathAsNginxSendsIt() throws Exception {
        byte[] request = new byte[90];
        for (int i = 0; i < request.length; i++) {
            request[i] = (byte) (i * 37); // base64 of these has '+' and '/', which must be escaped
        }
        String encoded = java.net.URLEncoder.encode(java.util.Base64.getEncoder().encodeToString(request),
                java.nio.charset.StandardCharsets.US_ASCII);
        assertThat(encoded).contains("%2F").contains("%2B");
        var withPath = OcspStapler.askFor(URI.create("http://127.0.0.1:9/ocsp"), request).build();
        assertThat(withPath.method()).isEqualTo("GET");
        assertThat(withPath.uri().toString()).isEqualTo("http://127.0.0.1:9/ocsp/" + encoded);
        assertThat(OcspStapler.askFor(URI.create("http://127.0.0.1:9/"), request).build().uri().toString())
                .isEqualTo("http://127.0.0.1:9/" + encoded);
        // An encoding of 255 bytes or more goes as a POST (RFC 6960, A.1).
        var large = OcspStapler.askFor(URI.create("http://127.0.0.1:9/ocsp"), new byte[300]).build();
        assertThat(large.method()).isEqualTo("POST");
        assertThat(large.uri().toString()).isEqualTo("http://127.0.0.1:9/ocsp");
        assertThat(large.headers().firstValue("Content-Type")).contains("application/ocsp-request");
    }

    @Test
    void aGoodAnswerIsKeptUntilItsNextUpdateOrForGoodWithoutOne() throws Exception {
        Instant next = NOW.plus(Duration.ofDays(1));
        assertThat(stapler(true).check(good(next), id).validUntil()).isEqualTo(next);
        assertThat(stapler(false).check(good(null), id).validUntil()).isEqualTo(Instant.MAX);
    }

    @Test
    void onlyGoodIsStapled() throws Exception {
        byte[] revoked = answer(id, new RevokedStatus(Date.from(NOW.minusSeconds(3600)), 1), NOW.minusSeconds(60),
                NOW.plusSeconds(3600), ca, ca.certificate());
        byte[] unknown = answer(id, new UnknownStatus(), NOW.minusSeconds(60), NOW.plusSeconds(3600), ca, ca.certificate());
        assertThatThrownBy(() -> stapler(false).check(revoked, id)).isInstanceOf(IOException.class)
                .hasMessageContaining("certificate status \"revoked\"");
        assertThatThrownBy(() -> stapler(false).check(unknown, id)).isInstanceOf(IOException.class)
                .hasMessageContaining("certificate status \"unknown\"");
    }

    @Test
    void anAnswerOutOfDateOrAboutAnotherCertificateIsRefused() throws Exception {
        assertThatThrownBy(() -> stapler(false).check(good(NOW.minusSeconds(1)), id)).hasMessageContaining("has expired");
        byte[] future = answer(id, CertificateStatus.GOOD, NOW.plus(Duration.ofMinutes(10)), null, ca, ca.certificate());
        assertThatThrownBy(() -> stapler(false).check(future, id)).hasMessageContaining("from the future");
        // Five minutes ahead is clock skew, taken as nginx takes it.
        byte[] skewed = answer(id, CertificateStatus.GOOD, NOW.plus(Duration.ofMinutes(4)), null, ca, ca.certificate());
        assertThat(stapler(false).check(skewed, id)).isNotNull();
        byte[] other = answer(idOf(BigInteger.valueOf(12345)), CertificateStatus.GOOD, NOW.minusSeconds(60), null, ca, ca.certificate());
        assertThatThrownBy(() -> stapler(false).check(other, id)).hasMessageContaining("not about this certificate");
    }

    @Test
    void theSignatureIsCheckedAlwaysAndItsSignerWithVerifyOn() throws Exception {
        // Signed by a key whose certificate it carries, but not the issuer's nor a delegate's.
        byte[] byStranger = answer(id, CertificateStatus.GOOD, NOW.minusSeconds(60), null, stranger, stranger.certificate());
        assertThat(stapler(false).check(byStranger, id)).as("verify off: a valid signature by a carried signer").isNotNull();
        assertThatThrownBy(() -> stapler(true).check(byStranger, id)).hasMessageContaining("neither the issuer nor a responder");
        // A signature that matches no key it could be checked with.
        byte[] forged = answer(id, CertificateStatus.GOOD, NOW.minusSeconds(60), null, stranger, ca.certificate());
        assertThatThrownBy(() -> stapler(false).check(forged, id)).hasMessageContaining("signature does not verify");
        assertThatThrownBy(() -> stapler(true).check(forged, id)).hasMessageContaining("neither the issuer");
    }

    @Test
    void aResponderTheIssuerDelegatedMaySignWithVerifyOnWhenItLeadsToATrustedCa() throws Exception {
        var kp = java.security.KeyPairGenerator.getInstance("EC");
        kp.initialize(256);
        var keys = kp.generateKeyPair();
        var b = new JcaX509v3CertificateBuilder(new X500Name(ca.certificate().getSubjectX500Principal().getName()), BigInteger.valueOf(99),
                Date.from(NOW.minus(Duration.ofDays(1))), Date.from(NOW.plus(Duration.ofDays(30))), new X500Name("CN=OCSP Responder"),
                keys.getPublic());
        b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
        b.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_OCSPSigning));
        var delegate = new JcaX509CertificateConverter().getCertificate(b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(ca.key())));
        byte[] byDelegate = answer(id, CertificateStatus.GOOD, NOW.minusSeconds(60), null,
                new Certificates.Issued(delegate, keys.getPrivate()), delegate);
        assertThat(stapler(true, List.of(ca.certificate())).check(byDelegate, id)).isNotNull();
        // As nginx: a delegate is checked against the certificate store, so without ssl_trusted_certificate
        // (or with other CAs in it) its answers are not stapled; the issuer's own signature needs no store.
        assertThatThrownBy(() -> stapler(true).check(byDelegate, id)).hasMessageContaining("leads to ssl_trusted_certificate");
        assertThatThrownBy(() -> stapler(true, List.of(stranger.certificate())).check(byDelegate, id))
                .hasMessageContaining("neither the issuer nor a responder");
        assertThat(stapler(false).check(byDelegate, id)).as("verify off: a carried signer").isNotNull();
        assertThat(stapler(true).check(good(null), id)).as("the issuer's own answer, no store needed").isNotNull();
    }

    @Test
    void anIssuerFoundOnlyAmongTheTrustedCasMustBeCarriedByTheAnswer() throws Exception {
        List<java.security.cert.X509Certificate> store = List.of(ca.certificate());
        // As nginx: the issuer is not after the server's certificate, so the signer is looked for in the answer.
        byte[] carriesIssuer = good(null);
        assertThat(stapler(true, store, List.of()).check(carriesIssuer, id)).isNotNull();
        assertThat(stapler(false, store, List.of()).check(carriesIssuer, id)).isNotNull();
        byte[] carriesAnother = answer(id, CertificateStatus.GOOD, NOW.minusSeconds(60), null, ca, stranger.certificate());
        assertThatThrownBy(() -> stapler(true, store, List.of()).check(carriesAnother, id)).hasMessageContaining("neither the issuer");
        assertThatThrownBy(() -> stapler(false, store, List.of()).check(carriesAnother, id))
                .hasMessageContaining("signature does not verify");
        // With the issuer after the server's certificate, the same answer is taken (nginx's OCSP_TRUSTOTHER).
        assertThat(stapler(true, List.of(), List.of(ca.certificate())).check(carriesAnother, id)).isNotNull();
    }
}
