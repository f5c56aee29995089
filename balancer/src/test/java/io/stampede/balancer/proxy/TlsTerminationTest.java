package io.stampede.balancer.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.stampede.balancer.config.ConfigLoader;
import io.stampede.balancer.config.ProxyConfig;
import io.stampede.common.tls.Certificates;
import io.stampede.common.yaml.ConfigException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * TLS at the proxy's listener, through real handshakes on loopback: the JDK's client trusting
 * only the test CA, requests relayed with $scheme https, the ssl_* variables, protocols refused,
 * and nginx's answers to missing and untrusted client certificates.
 */
class TlsTerminationTest {
    @TempDir
    Path dir;
    private TestBackends backends;
    private ProxyServer server;
    private Certificates.Issued ca;
    private Path caFile;

    @BeforeEach
    void certificates() throws Exception {
        ca = Certificates.authority("Stampede Test CA");
        caFile = dir.resolve("ca.crt");
        Files.writeString(caFile, Certificates.pem(ca.certificate()));
        Certificates.signed(ca, "localhost", List.of("localhost", "127.0.0.1"), "EC", Duration.ofDays(2))
                .write(dir.resolve("ec.crt"), dir.resolve("ec.key"));
        Certificates.signed(ca, "localhost", List.of("localhost", "127.0.0.1"), "RSA", Duration.ofDays(2))
                .write(dir.resolve("rsa.crt"), dir.resolve("rsa.key"));
        backends = new TestBackends("a");
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
        backends.close();
    }

    private ProxyConfig config(String extra) {
        return config("127.0.0.1:0 ssl", extra);
    }

    private ProxyConfig config(String listen, String extra) {
        String yaml = "listen: [" + listen + "]\n"
                + "ssl_certificate: [" + dir.resolve("ec.crt") + ", " + dir.resolve("rsa.crt") + "]\n"
                + "ssl_certificate_key: [" + dir.resolve("ec.key") + ", " + dir.resolve("rsa.key") + "]\n"
                + extra
                + "locations:\n  /:\n    proxy_pass: http://pool\n"
                + "    proxy_set_header: {X-TLS: \"$ssl_protocol/$ssl_cipher/$ssl_server_name/$https\", "
                + "X-Client-Verify: $ssl_client_verify, X-Client-DN: $ssl_client_s_dn, X-H2: $http2}\n"
                + "upstreams:\n  pool:\n    servers: [\"" + backends.address("a") + "\"]\n";
        return ConfigLoader.parse(dir.resolve("proxy.yaml").toString(), new StringReader(yaml));
    }

    private int start(String extra) throws Exception {
        return start("127.0.0.1:0 ssl", extra);
    }

    private int start(String listen, String extra) throws Exception {
        AtomicLong seconds = new AtomicLong(1_000);
        SplittableRandom random = new SplittableRandom(1);
        server = new ProxyServer(config(listen, extra), seconds::get, random::nextLong);
        server.start();
        return server.addresses().get(0).getPort();
    }

    /** The CAs the server named in its last certificate request (what a client's key manager was offered). */
    private volatile java.security.Principal[] namedIssuers;

    private SSLContext clientContext(Certificates.Issued clientCert, String... protocols) throws Exception {
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("ca", ca.certificate());
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        javax.net.ssl.KeyManager[] keyManagers = null;
        if (clientCert != null) {
            // Offers its certificate whatever CAs the server names, as a misconfigured or hostile client would.
            keyManagers = new javax.net.ssl.KeyManager[] {new javax.net.ssl.X509ExtendedKeyManager() {
                @Override public String[] getClientAliases(String t, java.security.Principal[] i) { return new String[] {"me"}; }
                @Override public String chooseClientAlias(String[] t, java.security.Principal[] i, java.net.Socket s) {
                    namedIssuers = i;
                    return "me";
                }
                @Override public String[] getServerAliases(String t, java.security.Principal[] i) { return null; }
                @Override public String chooseServerAlias(String t, java.security.Principal[] i, java.net.Socket s) { return null; }
                @Override public X509Certificate[] getCertificateChain(String a) { return new X509Certificate[] {clientCert.certificate()}; }
                @Override public java.security.PrivateKey getPrivateKey(String a) { return clientCert.key(); }
            }};
        }
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(keyManagers, tmf.getTrustManagers(), null);
        return ctx;
    }

    @Test
    void sslCiphersDecidesWhatTls12Offers() throws Exception {
        int port = start("ssl_protocols: TLSv1.2\nssl_ciphers: ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384\n");
        assertThat(handshakeWith(port, "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384")).isEqualTo("TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384");
        // A suite the server's library has but the list leaves out (in nginx's default HIGH:!aNULL:!MD5) is refused.
        assertThat(handshakeWith(port, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA")).isEqualTo("refused");
        assertThat(handshakeWith(port, "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256")).isEqualTo("refused");
    }

    /** The suite a TLS 1.2 handshake offering only {@code suite} settles on, or "refused". */
    private String handshakeWith(int port, String suite) throws Exception {
        try (SSLSocket s = (SSLSocket) clientContext(null).getSocketFactory().createSocket("127.0.0.1", port)) {
            s.setSoTimeout(10_000);
            s.setEnabledProtocols(new String[] {"TLSv1.2"});
            s.setEnabledCipherSuites(new String[] {suite});
            s.startHandshake();
            return s.getSession().getCipherSuite();
        } catch (javax.net.ssl.SSLException | java.net.SocketException e) {
            return "refused";
        }
    }

    /** One request over a fresh TLS connection; returns the raw response. */
    private String exchange(int port, SSLContext ctx, String protocol, String sni) throws Exception {
        try (SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket("127.0.0.1", port)) {
            s.setSoTimeout(10_000);
            SSLParameters p = s.getSSLParameters();
            if (protocol != null) {
                p.setProtocols(new String[] {protocol});
            }
            p.setEndpointIdentificationAlgorithm("HTTPS");
            p.setServerNames(List.of(new SNIHostName(sni)));
            s.setSSLParameters(p);
            OutputStream out = s.getOutputStream();
            out.write(("GET /hello HTTP/1.1\r\nHost: " + sni + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = s.getInputStream();
            return new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
        }
    }

    @Test
    void relaysOverTlsWithTheSchemeAndVariablesOfTheHandshake() throws Exception {
        int port = start("");
        String tls13 = exchange(port, clientContext(null), "TLSv1.3", "localhost");
        assertThat(tls13).startsWith("HTTP/1.1 200");
        TestBackends.Seen seen = backends.drainSeen().get(0);
        assertThat(seen.header("X-Forwarded-Proto")).isEqualTo("https");
        assertThat(seen.header("X-TLS")).matches("TLSv1\\.3/TLS_(AES|CHACHA20)\\w+/localhost/on");
        assertThat(seen.header("X-Client-Verify")).isEqualTo("NONE");

        String tls12 = exchange(port, clientContext(null), "TLSv1.2", "localhost");
        assertThat(tls12).startsWith("HTTP/1.1 200");
        // OpenSSL's names for TLS 1.2 suites, as nginx reports them (ECDHE-ECDSA-..., ECDHE-RSA-...).
        assertThat(backends.drainSeen().get(0).header("X-TLS")).matches("TLSv1\\.2/ECDHE-(ECDSA|RSA)-[A-Z0-9-]+/localhost/on");
    }

    @Test
    void servesTheRsaCertificateOnlyToAClientThatTakesNoEcdsa() throws Exception {
        int port = start("");
        SSLContext ctx = clientContext(null);
        String[][] cases = {
            {"TLSv1.2", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "RSA"},
            {"TLSv1.2", "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "EC"},
            {"TLSv1.3", "TLS_AES_128_GCM_SHA256", "EC"},
        };
        for (String[] c : cases) {
            try (SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket("127.0.0.1", port)) {
                s.setEnabledProtocols(new String[] {c[0]});
                s.setEnabledCipherSuites(new String[] {c[1]});
                s.startHandshake();
                assertThat(((X509Certificate) s.getSession().getPeerCertificates()[0]).getPublicKey().getAlgorithm())
                        .as(c[1]).isEqualTo(c[2]);
            }
        }
    }

    @Test
    void alpnChoosesHttp2WhereTheListenerOffersItAndHttp11Elsewhere() throws Exception {
        start("127.0.0.1:0 ssl http2, 127.0.0.1:0 ssl", "ssl_client_certificate: " + caFile + "\nssl_verify_client: optional\n");
        java.net.http.HttpClient client = java.net.http.HttpClient.newBuilder().sslContext(clientContext(null))
                .version(java.net.http.HttpClient.Version.HTTP_2).build();
        int h2Port = server.addresses().get(0).getPort();
        int h1Port = server.addresses().get(1).getPort();
        for (int i = 0; i < 3; i++) { // several streams on the client's one connection
            java.net.http.HttpResponse<String> r = client.send(java.net.http.HttpRequest.newBuilder(
                    java.net.URI.create("https://127.0.0.1:" + h2Port + "/h2/" + i)).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.version()).isEqualTo(java.net.http.HttpClient.Version.HTTP_2);
        }
        List<TestBackends.Seen> seen = backends.drainSeen();
        assertThat(seen).hasSize(3).allSatisfy(s -> {
            assertThat(s.header("X-H2")).isEqualTo("h2");
            assertThat(s.header("X-Forwarded-Proto")).isEqualTo("https");
            assertThat(s.header("X-TLS")).matches("TLSv1\\.3/TLS_\\w+//on"); // the JDK sends no SNI for an IP address
            assertThat(s.header("X-Client-Verify")).isEqualTo("NONE");
        });
        java.net.http.HttpResponse<String> r = client.send(java.net.http.HttpRequest.newBuilder(
                java.net.URI.create("https://127.0.0.1:" + h1Port + "/h1")).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.version()).isEqualTo(java.net.http.HttpClient.Version.HTTP_1_1);
        assertThat(backends.drainSeen().get(0).header("X-H2")).isNull(); // empty: a header nginx would not send
    }

    @Test
    void aRequiredClientCertificateIsAskedForOnHttp2StreamsToo() throws Exception {
        int port = start("127.0.0.1:0 ssl http2", "ssl_client_certificate: " + caFile + "\nssl_verify_client: on\n");
        java.net.http.HttpClient client = java.net.http.HttpClient.newBuilder().sslContext(clientContext(null))
                .version(java.net.http.HttpClient.Version.HTTP_2).build();
        java.net.http.HttpResponse<String> r = client.send(java.net.http.HttpRequest.newBuilder(
                java.net.URI.create("https://127.0.0.1:" + port + "/needs-cert")).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        assertThat(r.version()).isEqualTo(java.net.http.HttpClient.Version.HTTP_2);
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(r.body()).contains("No required SSL certificate was sent");
        assertThat(backends.drainSeen()).isEmpty();
    }

    @Test
    void refusesProtocolsThatAreNotListed() throws Exception {
        int port = start("ssl_protocols: TLSv1.3\n");
        assertThatThrownBy(() -> exchange(port, clientContext(null), "TLSv1.2", "localhost"))
                .isInstanceOfAny(SSLHandshakeException.class, java.net.SocketException.class);
        assertThat(exchange(port, clientContext(null), "TLSv1.3", "localhost")).startsWith("HTTP/1.1 200");
    }

    @Test
    void clientCertificatesAreJudgedAsNginxDoes() throws Exception {
        int port = start("ssl_client_certificate: " + caFile + "\nssl_verify_client: on\n");
        String none = exchange(port, clientContext(null), null, "localhost");
        assertThat(none).startsWith("HTTP/1.1 400 Bad Request").contains("No required SSL certificate was sent");

        Certificates.Issued stranger = Certificates.signed(Certificates.authority("Someone Else"), "mallory", List.of(),
                "EC", Duration.ofDays(1));
        String untrusted = exchange(port, clientContext(stranger), null, "localhost");
        assertThat(untrusted).startsWith("HTTP/1.1 400 Bad Request").contains("The SSL certificate error");
        assertThat(backends.drainSeen()).isEmpty();

        Certificates.Issued alice = Certificates.signed(ca, "alice", List.of(), "EC", Duration.ofDays(1));
        assertThat(exchange(port, clientContext(alice), null, "localhost")).startsWith("HTTP/1.1 200");
        TestBackends.Seen seen = backends.drainSeen().get(0);
        assertThat(seen.header("X-Client-Verify")).isEqualTo("SUCCESS");
        assertThat(seen.header("X-Client-DN")).isEqualTo("CN=alice");
    }

    @Test
    void trustedCertificateCasVerifyClientsButAreNeverNamedToThem() throws Exception {
        Certificates.Issued quiet = Certificates.authority("Quiet CA");
        Path trustedFile = dir.resolve("trusted.crt");
        Files.writeString(trustedFile, Certificates.pem(quiet.certificate()));
        String tls = "ssl_client_certificate: " + caFile + "\nssl_trusted_certificate: " + trustedFile + "\nssl_verify_client: on\n";
        int port = start(tls);
        Certificates.Issued bob = Certificates.signed(quiet, "bob", List.of(), "EC", Duration.ofDays(1));
        assertThat(exchange(port, clientContext(bob), "TLSv1.2", "localhost")).startsWith("HTTP/1.1 200");
        assertThat(backends.drainSeen().get(0).header("X-Client-Verify")).isEqualTo("SUCCESS");
        assertThat(namedIssuers).extracting(java.security.Principal::getName)
                .containsExactly(ca.certificate().getSubjectX500Principal().getName());
        Certificates.Issued alice = Certificates.signed(ca, "alice", List.of(), "EC", Duration.ofDays(1));
        assertThat(exchange(port, clientContext(alice), null, "localhost")).startsWith("HTTP/1.1 200");
        Certificates.Issued mallory = Certificates.signed(Certificates.authority("Someone Else"), "mallory", List.of(),
                "EC", Duration.ofDays(1));
        assertThat(exchange(port, clientContext(mallory), null, "localhost")).startsWith("HTTP/1.1 400 Bad Request");
        backends.drainSeen();
        if (NginxRunner.binary() == null) {
            System.err.println("SKIPPED LOUDLY: nginx is not installed (apt-get install nginx); ssl_trusted_certificate not compared with nginx");
            return;
        }
        try (NginxRunner nginx = NginxRunner.withSslServer("", "    ssl_certificate " + dir.resolve("ec.crt") + ";\n"
                + "    ssl_certificate_key " + dir.resolve("ec.key") + ";\n"
                + "    ssl_client_certificate " + caFile + ";\n    ssl_trusted_certificate " + trustedFile + ";\n"
                + "    ssl_verify_client on;\n    location / { return 200 \"ok\\n\"; }")) {
            int nginxPort = nginx.address().getPort();
            for (Certificates.Issued client : List.of(bob, alice, mallory)) {
                String ours = exchange(port, clientContext(client), "TLSv1.2", "localhost");
                java.security.Principal[] oursNamed = namedIssuers;
                namedIssuers = null;
                String theirs = exchange(nginxPort, clientContext(client), "TLSv1.2", "localhost");
                assertThat(ours.lines().findFirst()).as(client.certificate().getSubjectX500Principal().getName())
                        .isEqualTo(theirs.lines().findFirst());
                assertThat(oursNamed).as("the CA names sent, as nginx's").isNotNull().isEqualTo(namedIssuers);
            }
        }
    }

    @Test
    void optionalLetsAClientWithoutACertificateThrough() throws Exception {
        int port = start("ssl_client_certificate: " + caFile + "\nssl_verify_client: optional\n");
        assertThat(exchange(port, clientContext(null), null, "localhost")).startsWith("HTTP/1.1 200");
        assertThat(backends.drainSeen().get(0).header("X-Client-Verify")).isEqualTo("NONE");
    }

    /** Writes raw bytes on a plain socket and reads until the peer closes. */
    private static String raw(int port, String bytes) throws Exception {
        try (java.net.Socket s = new java.net.Socket("127.0.0.1", port)) {
            s.setSoTimeout(10_000);
            s.getOutputStream().write(bytes.getBytes(StandardCharsets.ISO_8859_1));
            return new String(s.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
        }
    }

    private static String statusAndDetail(String response) {
        String status = response.lines().findFirst().orElse("");
        String detail = response.lines().filter(l -> l.startsWith("<center>") && !l.contains("<h1>")
                && !l.contains("nginx") && !l.contains("stampede")).findFirst().orElse("");
        return status + " | " + detail;
    }

    @Test
    void plainHttpToTheTlsPortAndMissingCertificatesAreAnsweredAsByNginx() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(NginxRunner.binary() != null,
                "SKIPPED LOUDLY: nginx is not installed (apt-get install nginx); the differential TLS checks did not run");
        int port = start("ssl_client_certificate: " + caFile + "\nssl_verify_client: on\n");
        String request = "GET /hello HTTP/1.1\r\nHost: localhost\r\n\r\n";
        try (NginxRunner nginx = NginxRunner.withSslServer("", "    ssl_certificate " + dir.resolve("ec.crt") + ";\n"
                + "    ssl_certificate_key " + dir.resolve("ec.key") + ";\n"
                + "    ssl_client_certificate " + caFile + ";\n    ssl_verify_client on;\n"
                + "    location / { return 200 \"ok\\n\"; }")) {
            int nginxPort = nginx.address().getPort();
            // Plain HTTP to a TLS port: nginx reads the request and answers 400, then closes.
            String ours = raw(port, request);
            String theirs = raw(nginxPort, request);
            assertThat(statusAndDetail(ours)).isEqualTo(statusAndDetail(theirs))
                    .isEqualTo("HTTP/1.1 400 Bad Request | <center>The plain HTTP request was sent to HTTPS port</center>");
            // A handshake without the required certificate completes; the request gets 400.
            String oursNoCert = exchange(port, clientContext(null), null, "localhost");
            String theirsNoCert = exchange(nginxPort, clientContext(null), null, "localhost");
            assertThat(statusAndDetail(oursNoCert)).isEqualTo(statusAndDetail(theirsNoCert))
                    .isEqualTo("HTTP/1.1 400 Bad Request | <center>No required SSL certificate was sent</center>");
            // A certificate from a CA neither trusts: the same 400, with nginx's other detail.
            Certificates.Issued stranger = Certificates.signed(Certificates.authority("Someone Else"), "mallory", List.of(),
                    "EC", Duration.ofDays(1));
            assertThat(statusAndDetail(exchange(port, clientContext(stranger), null, "localhost")))
                    .isEqualTo(statusAndDetail(exchange(nginxPort, clientContext(stranger), null, "localhost")))
                    .isEqualTo("HTTP/1.1 400 Bad Request | <center>The SSL certificate error</center>");
        }
        assertThat(backends.drainSeen()).isEmpty();
    }

    @Test
    void aTlsRecordSplitAcrossReadsStillHandshakes() throws Exception {
        int port = start("");
        // The detector needs five bytes to tell TLS from HTTP: a client that sends them one by one
        // must still get its handshake, and a plain request sent byte by byte its 400.
        try (java.net.Socket s = new java.net.Socket("127.0.0.1", port)) {
            s.setSoTimeout(10_000);
            for (byte b : "GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1)) {
                s.getOutputStream().write(b);
                s.getOutputStream().flush();
            }
            assertThat(new String(s.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1))
                    .startsWith("HTTP/1.1 400 Bad Request").contains("The plain HTTP request was sent to HTTPS port");
        }
        // A ClientHello whose record header arrives in two pieces (3 bytes, then the rest).
        javax.net.ssl.SSLEngine engine = clientContext(null).createSSLEngine("localhost", port);
        engine.setUseClientMode(true);
        java.nio.ByteBuffer hello = java.nio.ByteBuffer.allocate(engine.getSession().getPacketBufferSize());
        engine.beginHandshake();
        engine.wrap(java.nio.ByteBuffer.allocate(0), hello);
        hello.flip();
        byte[] bytes = new byte[hello.remaining()];
        hello.get(bytes);
        try (java.net.Socket s = new java.net.Socket("127.0.0.1", port)) {
            s.setSoTimeout(10_000);
            s.setTcpNoDelay(true);
            s.getOutputStream().write(bytes, 0, 3);
            s.getOutputStream().flush();
            s.getOutputStream().write(bytes, 3, bytes.length - 3);
            s.getOutputStream().flush();
            byte[] head = s.getInputStream().readNBytes(3);
            // 22 = a handshake record: the ServerHello, not an HTTP answer.
            assertThat(head[0]).isEqualTo((byte) 22);
            assertThat(head[1]).isEqualTo((byte) 3);
        }
    }

    @Test
    void badFilesAndValuesAreNamedAtLoad() throws Exception {
        Files.writeString(dir.resolve("junk.crt"), "not a certificate\n");
        assertThatThrownBy(() -> ConfigLoader.parse(dir.resolve("p.yaml").toString(), new StringReader(
                "listen: 127.0.0.1:0 ssl\nssl_certificate: " + dir.resolve("junk.crt") + "\nssl_certificate_key: "
                        + dir.resolve("ec.key") + "\nlocations: {/: {proxy_pass: http://p}}\nupstreams: {p: {servers: [\"127.0.0.1:1\"]}}\n")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("p.yaml:2").hasMessageContaining("junk.crt");
        assertThatThrownBy(() -> ConfigLoader.parse(dir.resolve("p.yaml").toString(), new StringReader(
                "listen: 127.0.0.1:0 ssl\nssl_certificate: " + dir.resolve("ec.crt") + "\nssl_certificate_key: "
                        + dir.resolve("rsa.key") + "\nlocations: {/: {proxy_pass: http://p}}\nupstreams: {p: {servers: [\"127.0.0.1:1\"]}}\n")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("is not the key of");
        assertThatThrownBy(() -> ConfigLoader.parse(dir.resolve("p.yaml").toString(), new StringReader(
                "listen: 127.0.0.1:0 ssl\nlocations: {/: {proxy_pass: http://p}}\nupstreams: {p: {servers: [\"127.0.0.1:1\"]}}\n")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("ssl_certificate is missing");
        assertThatThrownBy(() -> config("ssl_protocols: SSLv3 TLSv1.2\n"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("'SSLv3' is broken");
        assertThatThrownBy(() -> config("ssl_ciphers: NO-SUCH-CIPHER\n"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("proxy.yaml:4: ssl_ciphers: 'NO-SUCH-CIPHER'");
        assertThatThrownBy(() -> ConfigLoader.parse(dir.resolve("p.yaml").toString(), new StringReader(
                "listen: 127.0.0.1:0 ssl\nssl_certificate: " + dir.resolve("ec.crt") + "\nssl_certificate_key: "
                        + dir.resolve("gone.key") + "\nlocations: {/: {proxy_pass: http://p}}\nupstreams: {p: {servers: [\"127.0.0.1:1\"]}}\n")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("p.yaml:3: ssl_certificate_key: ")
                .hasMessageContaining("gone.key: no such file");
    }
}
