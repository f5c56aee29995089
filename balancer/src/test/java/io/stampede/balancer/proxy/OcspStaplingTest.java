package io.stampede.balancer.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.stampede.balancer.config.ConfigLoader;
import io.stampede.balancer.config.ProxyConfig;
import io.stampede.common.tls.Certificates;
import io.stampede.common.yaml.ConfigException;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Date;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateHolder;
import org.bouncycastle.cert.ocsp.BasicOCSPResp;
import org.bouncycastle.cert.ocsp.CertificateID;
import org.bouncycastle.cert.ocsp.CertificateStatus;
import org.bouncycastle.cert.ocsp.OCSPRespBuilder;
import org.bouncycastle.cert.ocsp.jcajce.JcaBasicOCSPRespBuilder;
import org.bouncycastle.cert.ocsp.jcajce.JcaCertificateID;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** ssl_stapling with ssl_stapling_file: the response reaches a client that asks, as openssl s_client sees it. */
class OcspStaplingTest {
    @TempDir
    Path dir;
    private Certificates.Issued ca;
    private Certificates.Issued leaf;
    private ProxyServer server;

    @BeforeEach
    void certificates() throws Exception {
        ca = Certificates.authority("OCSP Test CA");
        leaf = Certificates.signed(ca, "localhost", List.of("localhost", "127.0.0.1"), "EC", Duration.ofDays(2));
        leaf.write(dir.resolve("server.crt"), dir.resolve("server.key"));
        Files.write(dir.resolve("good.der"), ocspResponse(leaf));
        Files.write(dir.resolve("other.der"), ocspResponse(Certificates.signed(ca, "other", List.of("other"), "EC", Duration.ofDays(2))));
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    /** A "good" answer for {@code cert}, signed by the CA, as a CA's responder gives it. */
    private byte[] ocspResponse(Certificates.Issued cert) throws Exception {
        var digests = new JcaDigestCalculatorProviderBuilder().build();
        CertificateID id = new JcaCertificateID(digests.get(CertificateID.HASH_SHA1), ca.certificate(), cert.certificate().getSerialNumber());
        JcaBasicOCSPRespBuilder b = new JcaBasicOCSPRespBuilder(ca.certificate().getPublicKey(), digests.get(CertificateID.HASH_SHA1));
        Date now = new Date();
        b.addResponse(id, CertificateStatus.GOOD, now, new Date(now.getTime() + TimeUnit.DAYS.toMillis(1)), null);
        BasicOCSPResp basic = b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(ca.key()),
                new X509CertificateHolder[] {new JcaX509CertificateHolder(ca.certificate())}, now);
        return new OCSPRespBuilder().build(OCSPRespBuilder.SUCCESSFUL, basic).getEncoded();
    }

    private ProxyConfig config(String stapling) {
        return ConfigLoader.parse(dir.resolve("p.yaml").toString(), new StringReader("listen: 127.0.0.1:0 ssl\n"
                + "ssl_certificate: server.crt\nssl_certificate_key: server.key\n" + stapling
                + "locations:\n  /:\n    proxy_pass: http://127.0.0.1:9\n"));
    }

    private String sClient(String stapling) throws Exception {
        AtomicLong seconds = new AtomicLong(1_000);
        SplittableRandom random = new SplittableRandom(1);
        server = new ProxyServer(config(stapling), seconds::get, random::nextLong);
        server.start();
        Process p = new ProcessBuilder("openssl", "s_client", "-connect", "127.0.0.1:" + server.addresses().get(0).getPort(),
                "-servername", "localhost", "-status").redirectErrorStream(true).start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        server.close();
        server = null;
        return out;
    }

    @Test
    void theResponseIsStapledForClientsThatAsk() throws Exception {
        Path openssl = Path.of("/usr/bin/openssl");
        if (!Files.isExecutable(openssl)) {
            System.err.println("SKIPPED LOUDLY: openssl is not installed; OCSP stapling was not checked from outside");
            Assumptions.abort("openssl is not installed");
        }
        assertThat(sClient("ssl_stapling: on\nssl_stapling_file: good.der\n"))
                .contains("OCSP Response Status: successful (0x0)").contains("Cert Status: good");
        assertThat(sClient("")).contains("OCSP response: no response sent");
    }

    @Test
    void mistakesAreNamed() {
        assertThatThrownBy(() -> config("ssl_stapling: on\n")).isInstanceOf(ConfigException.class)
                .hasMessageContaining("p.yaml:4: ssl_stapling").hasMessageContaining("needs ssl_stapling_file");
        assertThatThrownBy(() -> config("ssl_stapling: on\nssl_stapling_file: other.der\n")).isInstanceOf(ConfigException.class)
                .hasMessageContaining("p.yaml:5: ssl_stapling_file").hasMessageContaining("not for any ssl_certificate's");
        assertThatThrownBy(() -> config("ssl_stapling: on\nssl_stapling_file: server.crt\n")).isInstanceOf(ConfigException.class)
                .hasMessageContaining("not a DER OCSP response");
    }
}
