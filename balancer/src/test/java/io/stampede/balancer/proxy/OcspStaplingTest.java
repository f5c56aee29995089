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

    /**
     * A CA's OCSP responder on loopback (the JDK's HTTP server; OpenSSL's own responder listens on
     * every address): answers requests (GET or POST) for the serials it knows, signed by {@code signer},
     * and counts the requests.
     */
    private final class Responder implements AutoCloseable {
        final com.sun.net.httpserver.HttpServer http;
        /** By serial: the status to answer (BouncyCastle's GOOD is null, hence the Optional). */
        final java.util.Map<java.math.BigInteger, java.util.Optional<CertificateStatus>> statuses = new java.util.concurrent.ConcurrentHashMap<>();
        final java.util.concurrent.atomic.AtomicInteger asked = new java.util.concurrent.atomic.AtomicInteger();
        /** Of those, asks made with GET (nginx's way). */
        final java.util.concurrent.atomic.AtomicInteger gets = new java.util.concurrent.atomic.AtomicInteger();
        /** Answers sent whole (the proxy has then read them, a moment later). */
        final java.util.concurrent.atomic.AtomicInteger answered = new java.util.concurrent.atomic.AtomicInteger();
        volatile Certificates.Issued signer = ca;

        Responder() throws Exception {
            http = com.sun.net.httpserver.HttpServer.create(new java.net.InetSocketAddress("127.0.0.1", 0), 0);
            http.createContext("/", exchange -> {
                asked.incrementAndGet();
                try {
                    byte[] der;
                    if (exchange.getRequestMethod().equals("GET")) {
                        // RFC 6960 A.1, as nginx asks: the request base64-encoded and escaped, after the responder's path.
                        gets.incrementAndGet();
                        String raw = exchange.getRequestURI().getRawPath();
                        der = java.util.Base64.getDecoder().decode(java.net.URLDecoder.decode(raw.substring(raw.lastIndexOf('/') + 1),
                                java.nio.charset.StandardCharsets.US_ASCII));
                    } else {
                        der = exchange.getRequestBody().readAllBytes();
                    }
                    var request = new org.bouncycastle.cert.ocsp.OCSPReq(der);
                    CertificateID id = request.getRequestList()[0].getCertID();
                    byte[] body = answer(id, statuses.get(id.getSerialNumber()));
                    exchange.getResponseHeaders().set("Content-Type", "application/ocsp-response");
                    exchange.sendResponseHeaders(200, body.length);
                    exchange.getResponseBody().write(body);
                    exchange.getResponseBody().close();
                    answered.incrementAndGet();
                } catch (Exception e) {
                    exchange.sendResponseHeaders(500, -1);
                } finally {
                    exchange.close();
                }
            });
            http.start();
        }

        String url() {
            return "http://127.0.0.1:" + http.getAddress().getPort() + "/";
        }

        private byte[] answer(CertificateID id, java.util.Optional<CertificateStatus> known) throws Exception {
            if (known == null) {
                return new OCSPRespBuilder().build(OCSPRespBuilder.UNAUTHORIZED, null).getEncoded();
            }
            var digests = new JcaDigestCalculatorProviderBuilder().build();
            JcaBasicOCSPRespBuilder b = new JcaBasicOCSPRespBuilder(signer.certificate().getPublicKey(), digests.get(CertificateID.HASH_SHA1));
            Date now = new Date();
            b.addResponse(id, known.orElse(CertificateStatus.GOOD), now, new Date(now.getTime() + TimeUnit.DAYS.toMillis(1)), null);
            BasicOCSPResp basic = b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(signer.key()),
                    new X509CertificateHolder[] {new JcaX509CertificateHolder(signer.certificate())}, now);
            return new OCSPRespBuilder().build(OCSPRespBuilder.SUCCESSFUL, basic).getEncoded();
        }

        @Override
        public void close() {
            http.stop(0);
        }
    }

    private static void needOpenssl() {
        if (!Files.isExecutable(Path.of("/usr/bin/openssl"))) {
            System.err.println("SKIPPED LOUDLY: openssl is not installed; OCSP stapling was not checked from outside");
            Assumptions.abort("openssl is not installed");
        }
    }

    /** The proxy with the server's chain (its certificate, then the CA's, so the issuer is known). */
    private void startWithChain(String stapling) throws Exception {
        Files.writeString(dir.resolve("chain.crt"), Certificates.pem(leaf.certificate()) + Certificates.pem(ca.certificate()));
        ProxyConfig config = ConfigLoader.parse(dir.resolve("p.yaml").toString(), new StringReader("listen: 127.0.0.1:0 ssl\n"
                + "ssl_certificate: chain.crt\nssl_certificate_key: server.key\n" + stapling
                + "locations:\n  /:\n    proxy_pass: http://127.0.0.1:9\n"));
        AtomicLong seconds = new AtomicLong(1_000);
        SplittableRandom random = new SplittableRandom(1);
        server = new ProxyServer(config, seconds::get, random::nextLong);
        server.start();
    }

    private String status() throws Exception {
        Path out = Files.createTempFile(dir, "s_client", ".txt");
        Process p = new ProcessBuilder("openssl", "s_client", "-connect", "127.0.0.1:" + server.addresses().get(0).getPort(),
                "-servername", "localhost", "-status").redirectErrorStream(true).redirectOutput(out.toFile()).start();
        p.getOutputStream().close();
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("openssl s_client did not finish within 30 s:\n" + Files.readString(out));
        }
        return Files.readString(out);
    }

    /** Handshakes (the first one asks) until the responder has sent an answer. */
    private void handshakeUntilAnswered(Responder responder) {
        org.awaitility.Awaitility.await("the responder answered").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
                .until(() -> {
                    status();
                    return responder.answered.get() > 0;
                });
    }

    @Test
    void withoutAFileTheRespondersAnswerIsAskedForAndStapled() throws Exception {
        needOpenssl();
        try (Responder responder = new Responder()) {
            responder.statuses.put(leaf.certificate().getSerialNumber(), java.util.Optional.empty());
            startWithChain("ssl_stapling: on\nssl_stapling_verify: on\nssl_stapling_responder: " + responder.url() + "\n");
            // As nginx: the first handshake asks, and goes without an answer; the next ones carry it.
            org.awaitility.Awaitility.await("a stapled answer").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
                    .until(() -> status().contains("Cert Status: good"));
            assertThat(status()).contains("OCSP Response Status: successful (0x0)").contains("Cert Status: good");
            int asked = responder.asked.get();
            for (int i = 0; i < 3; i++) {
                status();
            }
            assertThat(responder.asked.get()).as("the answer is kept, not asked for per handshake").isEqualTo(asked);
            assertThat(responder.gets.get()).as("every ask a GET, as nginx's").isEqualTo(asked);
        }
    }

    @Test
    void theIssuerMayComeFromSslTrustedCertificateAsInNginx() throws Exception {
        needOpenssl();
        Files.writeString(dir.resolve("ca.crt"), Certificates.pem(ca.certificate()));
        try (Responder responder = new Responder()) {
            responder.statuses.put(leaf.certificate().getSerialNumber(), java.util.Optional.empty());
            // server.crt holds the server's certificate alone: the issuer is found in the trusted file.
            ProxyConfig config = config("ssl_stapling: on\nssl_stapling_verify: on\nssl_trusted_certificate: ca.crt\n"
                    + "ssl_stapling_responder: " + responder.url() + "\n");
            assertThat(config.ssl().orElseThrow().certificates().get(0).ocspFetch().issuer()).isEqualTo(ca.certificate());
            AtomicLong seconds = new AtomicLong(1_000);
            SplittableRandom random = new SplittableRandom(1);
            server = new ProxyServer(config, seconds::get, random::nextLong);
            server.start();
            org.awaitility.Awaitility.await("a stapled answer").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
                    .until(() -> status().contains("Cert Status: good"));
        }
    }

    @Test
    void aRevokedAnswerIsNotStapledAndAGoodOneStaysUntilItEnds() throws Exception {
        needOpenssl();
        try (Responder responder = new Responder()) {
            responder.statuses.put(leaf.certificate().getSerialNumber(), java.util.Optional.of(new org.bouncycastle.cert.ocsp.RevokedStatus(new Date(), 1)));
            startWithChain("ssl_stapling: on\nssl_stapling_responder: " + responder.url() + "\n");
            // As nginx: only "good" is stapled; a revoked answer is logged, the handshakes go without.
            handshakeUntilAnswered(responder);
            for (int i = 0; i < 5; i++) {
                assertThat(status()).contains("OCSP response: no response sent");
            }
        }
    }

    @Test
    void anAnswerSignedByAnotherKeyIsNotStapledWhenVerifyIsOn() throws Exception {
        needOpenssl();
        try (Responder responder = new Responder()) {
            responder.statuses.put(leaf.certificate().getSerialNumber(), java.util.Optional.empty());
            responder.signer = Certificates.authority("Not The Issuer");
            startWithChain("ssl_stapling: on\nssl_stapling_verify: on\nssl_stapling_responder: " + responder.url() + "\n");
            handshakeUntilAnswered(responder);
            // The ask has been answered; the handshakes after it still carry nothing.
            for (int i = 0; i < 5; i++) {
                assertThat(status()).contains("OCSP response: no response sent");
            }
            server.close();
            // With verification off (nginx's default) the same answer is stapled: the check above is the signature's.
            startWithChain("ssl_stapling: on\nssl_stapling_responder: " + responder.url() + "\n");
            org.awaitility.Awaitility.await("the unverified answer stapled").atMost(Duration.ofSeconds(30))
                    .pollInterval(Duration.ofMillis(200)).until(() -> status().contains("Cert Status: good"));
        }
    }

    @Test
    void aResponderThatNeverAnswersHoldsNoHandshakeUp() throws Exception {
        needOpenssl();
        try (java.net.ServerSocket silent = new java.net.ServerSocket(0, 8, java.net.InetAddress.getLoopbackAddress())) {
            java.util.concurrent.CompletableFuture<java.net.Socket> accepted = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                try {
                    return silent.accept(); // and never a byte back
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }, java.util.concurrent.Executors.newSingleThreadExecutor(r -> {
                Thread t = new Thread(r, "silent-responder");
                t.setDaemon(true);
                return t;
            }));
            startWithChain("ssl_stapling: on\nssl_stapling_responder: http://127.0.0.1:" + silent.getLocalPort() + "/\n");
            String first = status();
            // The ask is out and unanswered (its 10 s are far from over); handshakes went on meanwhile.
            try (java.net.Socket asking = accepted.get(10, TimeUnit.SECONDS)) {
                assertThat(first).contains("OCSP response: no response sent").contains("Verify return code");
                for (int i = 0; i < 3; i++) {
                    long t0 = System.nanoTime();
                    assertThat(status()).contains("OCSP response: no response sent");
                    assertThat(Duration.ofNanos(System.nanoTime() - t0)).as("a handshake while the ask hangs").isLessThan(Duration.ofSeconds(8));
                }
            }
        }
    }

    @Test
    void theResponderComesFromTheCertificatesAuthorityInformationAccess() throws Exception {
        var issuer = new org.bouncycastle.asn1.x500.X500Name("CN=OCSP Test CA");
        var kp = java.security.KeyPairGenerator.getInstance("EC");
        kp.initialize(256);
        var pair = kp.generateKeyPair();
        var b = new org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder(issuer, java.math.BigInteger.valueOf(77),
                new Date(), new Date(System.currentTimeMillis() + 86_400_000L), new org.bouncycastle.asn1.x500.X500Name("CN=aia"),
                pair.getPublic());
        b.addExtension(org.bouncycastle.asn1.x509.Extension.authorityInfoAccess, false,
                new org.bouncycastle.asn1.x509.AuthorityInformationAccess(org.bouncycastle.asn1.x509.AccessDescription.id_ad_ocsp,
                        new org.bouncycastle.asn1.x509.GeneralName(org.bouncycastle.asn1.x509.GeneralName.uniformResourceIdentifier,
                                "http://ocsp.example.test/")));
        var cert = new org.bouncycastle.cert.jcajce.JcaX509CertificateConverter()
                .getCertificate(b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(pair.getPrivate())));
        assertThat(io.stampede.balancer.config.OcspStaplingAccess.aiaOcsp(cert)).hasToString("http://ocsp.example.test/");
        assertThat(io.stampede.balancer.config.OcspStaplingAccess.aiaOcsp(leaf.certificate())).isNull();
    }

    @Test
    void anNginxConfsServersKeepTheirOwnStaplingLines() throws Exception {
        Files.writeString(dir.resolve("chain.crt"), Certificates.pem(leaf.certificate()) + Certificates.pem(ca.certificate()));
        String server = "  server { listen 127.0.0.1:%d ssl; server_name %s; ssl_certificate chain.crt; ssl_certificate_key server.key;"
                + " ssl_stapling on; ssl_stapling_verify %s; ssl_stapling_responder http://127.0.0.1:9/%s;"
                + " location / { proxy_pass http://127.0.0.1:9; } }\n";
        Path conf = dir.resolve("nginx.conf");
        Files.writeString(conf, "events {}\nhttp {\n" + String.format(server, 0, "a.test", "on", "a")
                + String.format(server, 0, "b.test", "off", "b") + "}\n");
        ProxyConfig config = ConfigLoader.load(conf, false, n -> { });
        var servers = config.routes().servers();
        assertThat(servers).hasSize(2);
        var a = servers.get(0).ssl().certificates().get(0).ocspFetch();
        var b = servers.get(1).ssl().certificates().get(0).ocspFetch();
        assertThat(List.of(a.verify(), b.verify())).isEqualTo(List.of(true, false));
        assertThat(List.of(a.responder().toString(), b.responder().toString()))
                .isEqualTo(List.of("http://127.0.0.1:9/a", "http://127.0.0.1:9/b"));
    }

    @Test
    void mistakesAreNamed() throws Exception {
        // As nginx: stapling a certificate cannot do (its issuer is not in its file; it names no
        // responder) is a warning, and its handshakes go without.
        assertThat(config("ssl_stapling: on\n").ssl().orElseThrow().certificates().get(0).staples()).isFalse();
        Files.writeString(dir.resolve("chain.crt"), Certificates.pem(leaf.certificate()) + Certificates.pem(ca.certificate()));
        assertThat(ConfigLoader.parse(dir.resolve("p.yaml").toString(), new StringReader("listen: 127.0.0.1:0 ssl\n"
                + "ssl_certificate: chain.crt\nssl_certificate_key: server.key\nssl_stapling: on\n"
                + "locations:\n  /:\n    proxy_pass: http://127.0.0.1:9\n")).ssl().orElseThrow().certificates().get(0).staples()).isFalse();
        assertThat(ConfigLoader.parse(dir.resolve("p.yaml").toString(), new StringReader("listen: 127.0.0.1:0 ssl\n"
                + "ssl_certificate: chain.crt\nssl_certificate_key: server.key\nssl_stapling: on\n"
                + "ssl_stapling_responder: http://127.0.0.1:9/\nlocations:\n  /:\n    proxy_pass: http://127.0.0.1:9\n"))
                .ssl().orElseThrow().certificates().get(0).ocspFetch().issuer()).isEqualTo(ca.certificate());
        // An https:// responder: nginx warns and staples nothing; so here.
        assertThat(ConfigLoader.parse(dir.resolve("p.yaml").toString(), new StringReader("listen: 127.0.0.1:0 ssl\n"
                + "ssl_certificate: chain.crt\nssl_certificate_key: server.key\nssl_stapling: on\n"
                + "ssl_stapling_responder: https://ocsp.example/\nlocations:\n  /:\n    proxy_pass: http://127.0.0.1:9\n"))
                .ssl().orElseThrow().certificates().get(0).staples()).isFalse();
        assertThatThrownBy(() -> config("ssl_stapling: on\nssl_stapling_file: other.der\n")).isInstanceOf(ConfigException.class)
                .hasMessageContaining("p.yaml:5: ssl_stapling_file").hasMessageContaining("not for any ssl_certificate's");
        assertThatThrownBy(() -> config("ssl_stapling: on\nssl_stapling_file: server.crt\n")).isInstanceOf(ConfigException.class)
                .hasMessageContaining("not a DER OCSP response");
    }
}
