package io.stampede.balancer.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.stampede.balancer.config.ConfigLoader;
import io.stampede.common.tls.Certificates;
import io.stampede.common.yaml.ConfigException;
import java.io.InputStream;
import java.io.StringReader;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A certificate per server_name, chosen by the client's SNI name as nginx chooses it: exact and
 * wildcard names, the default server's for no name or an unknown one, a server's own pair of
 * ECDSA and RSA certificates, and requests routed by Host afterwards. The same handshakes go to a
 * real nginx with the same server blocks, and must get the same certificates.
 */
class SniCertificatesTest {
    @TempDir
    Path dir;
    private Certificates.Issued ca;

    @BeforeEach
    void certificates() throws Exception {
        ca = Certificates.authority("Stampede SNI CA");
        issue("default.test", "EC", "default");
        issue("a.test", "EC", "a-ec");
        issue("a.test", "RSA", "a-rsa");
        issue("*.b.test", "EC", "b");
        Files.writeString(dir.resolve("ca.crt"), Certificates.pem(ca.certificate()));
    }

    private void issue(String name, String algorithm, String file) throws Exception {
        Certificates.signed(ca, name, List.of(name), algorithm, Duration.ofDays(2)).write(dir.resolve(file + ".crt"), dir.resolve(file + ".key"));
    }

    private String f(String name) {
        return dir.resolve(name).toString();
    }

    /** The handshakes both must answer alike: SNI name (null: none), the client's protocol, the one suite it offers (null: all). */
    private record Ask(String sni, String protocol, String suite) {
        @Override
        public String toString() {
            return (sni == null ? "no SNI" : sni) + " " + protocol + (suite == null ? "" : " " + suite);
        }
    }

    private static final String RSA_SUITE = "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256";
    private static final String ECDSA_128 = "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256";
    private static final String ECDSA_256 = "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384";

    private static final List<Ask> ASKED = List.of(new Ask("a.test", "TLSv1.3", null), new Ask("a.test", "TLSv1.2", RSA_SUITE),
            new Ask("x.b.test", "TLSv1.3", null), new Ask("X.B.TEST", "TLSv1.3", null), new Ask("b.test", "TLSv1.3", null),
            new Ask(null, "TLSv1.3", null), new Ask("other.test", "TLSv1.2", null), new Ask("default.test", "TLSv1.3", null),
            // *.b.test asks for TLS 1.3 and one AES-256 suite only: as in nginx, its suites hold, but the default
            // server's protocols decide the version of every handshake on the address.
            new Ask("x.b.test", "TLSv1.2", ECDSA_128), new Ask("x.b.test", "TLSv1.2", ECDSA_256),
            new Ask("default.test", "TLSv1.1", null));

    @Test
    void eachServerNameGetsItsCertificateAsFromNginx() throws Exception {
        String yaml = "ssl_certificate: " + f("default.crt") + "\nssl_certificate_key: " + f("default.key") + "\n"
                + "servers:\n"
                + "  - listen: 127.0.0.1:0 ssl\n    server_name: default.test\n    return: 200 default\n"
                + "  - listen: 127.0.0.1:0 ssl\n    server_name: a.test\n"
                + "    ssl_certificate: [" + f("a-ec.crt") + ", " + f("a-rsa.crt") + "]\n"
                + "    ssl_certificate_key: [" + f("a-ec.key") + ", " + f("a-rsa.key") + "]\n    return: 200 a\n"
                + "  - listen: 127.0.0.1:0 ssl\n    server_name: '*.b.test'\n"
                + "    ssl_certificate: " + f("b.crt") + "\n    ssl_certificate_key: " + f("b.key") + "\n"
                + "    ssl_protocols: TLSv1.3\n    ssl_ciphers: ECDHE-ECDSA-AES256-GCM-SHA384\n    return: 200 b\n"
                + "  - listen: 127.0.0.1:0 ssl\n    server_name: c.test\n    ssl_verify_client: 'on'\n"
                + "    ssl_client_certificate: " + f("ca.crt") + "\n    return: 200 c\n";
        List<String> ours = new ArrayList<>();
        ProxyServer server = new ProxyServer(ConfigLoader.parse(f("proxy.yaml"), new StringReader(yaml)), new AtomicLong(1)::get,
                new SplittableRandom(1)::nextLong);
        try {
            server.start();
            InetSocketAddress at = server.addresses().get(0);
            for (Ask a : ASKED) {
                ours.add(a + " -> " + handshake(at, a));
            }
            // After the handshake the Host routes the request, as in nginx.
            assertThat(get(at, "a.test", "a.test")).isEqualTo("a");
            assertThat(get(at, "x.b.test", "x.b.test")).isEqualTo("b");
            assertThat(get(at, null, "default.test")).isEqualTo("default");
            // Client certificates are asked for where the SNI server asks (c.test), as nginx: 400 without one.
            assertThat(status(at, "c.test", "c.test")).isEqualTo(400);
            assertThat(status(at, "a.test", "a.test")).isEqualTo(200);
        } finally {
            server.close();
        }
        assertThat(ours).containsExactly(
                "a.test TLSv1.3 -> CN=a.test EC",
                "a.test TLSv1.2 " + RSA_SUITE + " -> CN=a.test RSA",
                "x.b.test TLSv1.3 -> CN=*.b.test EC",
                "X.B.TEST TLSv1.3 -> CN=*.b.test EC",
                "b.test TLSv1.3 -> CN=default.test EC",
                "no SNI TLSv1.3 -> CN=default.test EC",
                "other.test TLSv1.2 -> CN=default.test EC",
                "default.test TLSv1.3 -> CN=default.test EC",
                "x.b.test TLSv1.2 " + ECDSA_128 + " -> refused",
                "x.b.test TLSv1.2 " + ECDSA_256 + " -> CN=*.b.test EC",
                "default.test TLSv1.1 -> refused");
        // The same http block read by the proxy from an nginx.conf: each server keeps its ssl_* lines.
        Path conf = Files.writeString(dir.resolve("nginx.conf"), "events {}\nhttp {\n" + nginxHttp(0) + "}\n");
        List<String> fromConf = new ArrayList<>();
        ProxyServer fromNginxConf = new ProxyServer(ConfigLoader.load(conf, false, n -> { }), new AtomicLong(1)::get,
                new SplittableRandom(1)::nextLong);
        try {
            fromNginxConf.start();
            for (Ask a : ASKED) {
                fromConf.add(a + " -> " + handshake(fromNginxConf.addresses().get(0), a));
            }
        } finally {
            fromNginxConf.close();
        }
        assertThat(fromConf).isEqualTo(ours);
        if (NginxRunner.binary() == null) {
            System.err.println("SKIPPED LOUDLY: nginx is not installed; the nginx half of SniCertificatesTest did not run");
            return;
        }
        List<String> theirs = new ArrayList<>();
        try (NginxRunner nginx = NginxRunner.withHttp(this::nginxHttp)) {
            for (Ask a : ASKED) {
                theirs.add(a + " -> " + handshake(nginx.address(), a));
            }
            assertThat(status(nginx.address(), "c.test", "c.test")).isEqualTo(400);
            assertThat(status(nginx.address(), "a.test", "a.test")).isEqualTo(200);
        }
        assertThat(ours).isEqualTo(theirs);
    }

    /** The same servers as nginx's http block, listening on {@code port}. */
    private String nginxHttp(int port) {
        return "  ssl_protocols TLSv1.2 TLSv1.3;\n"
                + "  ssl_certificate " + f("default.crt") + ";\n  ssl_certificate_key " + f("default.key") + ";\n"
                + "  server {\n    listen 127.0.0.1:" + port + " ssl;\n    server_name default.test;\n    return 200 default;\n  }\n"
                + "  server {\n    listen 127.0.0.1:" + port + " ssl;\n    server_name a.test;\n"
                + "    ssl_certificate " + f("a-ec.crt") + ";\n    ssl_certificate_key " + f("a-ec.key") + ";\n"
                + "    ssl_certificate " + f("a-rsa.crt") + ";\n    ssl_certificate_key " + f("a-rsa.key") + ";\n    return 200 a;\n  }\n"
                + "  server {\n    listen 127.0.0.1:" + port + " ssl;\n    server_name *.b.test;\n"
                + "    ssl_certificate " + f("b.crt") + ";\n    ssl_certificate_key " + f("b.key") + ";\n"
                + "    ssl_protocols TLSv1.3;\n    ssl_ciphers ECDHE-ECDSA-AES256-GCM-SHA384;\n    return 200 b;\n  }\n"
                + "  server {\n    listen 127.0.0.1:" + port + " ssl;\n    server_name c.test;\n    ssl_verify_client on;\n"
                + "    ssl_client_certificate " + f("ca.crt") + ";\n    return 200 c;\n  }\n";
    }

    @Test
    void aReloadGivesAServerItsNewCertificateAndKeepsTheOthers() throws Exception {
        issue("b.test", "EC", "b2");
        String before = "ssl_certificate: " + f("default.crt") + "\nssl_certificate_key: " + f("default.key") + "\nservers:\n"
                + "  - listen: 127.0.0.1:0 ssl\n    server_name: default.test\n    return: 200 default\n"
                + "  - listen: 127.0.0.1:0 ssl\n    server_name: '*.b.test'\n    ssl_certificate: " + f("b.crt")
                + "\n    ssl_certificate_key: " + f("b.key") + "\n    return: 200 b\n";
        ProxyServer server = new ProxyServer(ConfigLoader.parse(f("proxy.yaml"), new StringReader(before)), new AtomicLong(1)::get,
                new SplittableRandom(1)::nextLong);
        try {
            server.start();
            InetSocketAddress at = server.addresses().get(0);
            Ask b = new Ask("x.b.test", "TLSv1.3", null);
            assertThat(handshake(at, b)).isEqualTo("CN=*.b.test EC");
            String after = before.replace(f("b.crt"), f("b2.crt")).replace(f("b.key"), f("b2.key"));
            assertThat(server.reload(ConfigLoader.parse(f("proxy.yaml"), new StringReader(after)))).isNull();
            assertThat(handshake(at, b)).isEqualTo("CN=b.test EC");
            assertThat(handshake(at, new Ask(null, "TLSv1.3", null))).isEqualTo("CN=default.test EC");
        } finally {
            server.close();
        }
    }

    @Test
    void onlyTheDefaultServerNeedsACertificateAndTheOthersWithoutOneUseItsOwn() throws Exception {
        // As nginx: c.test has no certificate anywhere, so its handshakes use the default server's.
        String yaml = "servers:\n  - listen: 127.0.0.1:0 ssl\n    server_name: a.test\n    ssl_certificate: " + f("a-ec.crt")
                + "\n    ssl_certificate_key: " + f("a-ec.key") + "\n    return: 200 a\n"
                + "  - listen: 127.0.0.1:0 ssl\n    server_name: c.test\n    return: 200 c\n";
        ProxyServer server = new ProxyServer(ConfigLoader.parse(f("proxy.yaml"), new StringReader(yaml)), new AtomicLong(1)::get,
                new SplittableRandom(1)::nextLong);
        try {
            server.start();
            InetSocketAddress at = server.addresses().get(0);
            assertThat(handshake(at, new Ask("c.test", "TLSv1.3", null))).isEqualTo("CN=a.test EC");
            assertThat(get(at, "c.test", "c.test")).isEqualTo("c");
        } finally {
            server.close();
        }
        // The default server (the first) without one anywhere is refused, naming its listen line.
        String noDefault = "servers:\n  - listen: 127.0.0.1:0 ssl\n    server_name: c.test\n    return: 200 c\n"
                + "  - listen: 127.0.0.1:0 ssl\n    server_name: a.test\n    ssl_certificate: " + f("a-ec.crt")
                + "\n    ssl_certificate_key: " + f("a-ec.key") + "\n    return: 200 a\n";
        assertThatThrownBy(() -> ConfigLoader.parse(f("proxy.yaml"), new StringReader(noDefault))).isInstanceOf(ConfigException.class)
                .hasMessageContaining("proxy.yaml:2: servers[0].listen").hasMessageContaining("no ssl_certificate is defined for its default server");
    }

    @Test
    void aHostThatAsksForAServerThatVerifiesClientsIsJudgedByThatServerAsNginx() throws Exception {
        String yaml = "ssl_certificate: " + f("default.crt") + "\nssl_certificate_key: " + f("default.key") + "\nservers:\n"
                + "  - listen: 127.0.0.1:0 ssl\n    server_name: default.test\n    return: 200 default\n"
                + "  - listen: 127.0.0.1:0 ssl\n    server_name: c.test\n    ssl_verify_client: 'on'\n"
                + "    ssl_client_certificate: " + f("ca.crt") + "\n    return: 200 c\n";
        List<Integer> ours = new ArrayList<>();
        onProxy(yaml, at -> ours.addAll(misdirections(at)));
        // SNI default.test with Host c.test: 421; no SNI with Host c.test: 400 (no certificate); SNI c.test, Host default.test: served.
        assertThat(ours).containsExactly(421, 400, 200, 400);
        if (NginxRunner.binary() == null) {
            System.err.println("SKIPPED LOUDLY: nginx is not installed; the nginx half of the misdirection test did not run");
            return;
        }
        try (NginxRunner nginx = NginxRunner.withHttp(port -> "  ssl_certificate " + f("default.crt") + ";\n  ssl_certificate_key "
                + f("default.key") + ";\n  server {\n    listen 127.0.0.1:" + port + " ssl;\n    server_name default.test;\n"
                + "    return 200 default;\n  }\n  server {\n    listen 127.0.0.1:" + port + " ssl;\n    server_name c.test;\n"
                + "    ssl_verify_client on;\n    ssl_client_certificate " + f("ca.crt") + ";\n    return 200 c;\n  }\n")) {
            assertThat(misdirections(nginx.address())).isEqualTo(ours);
        }
    }

    @Test
    void aServerThatTurnsVerificationOffCannotLeadToOneThatInheritsItOn() throws Exception {
        String yaml = "ssl_certificate: " + f("default.crt") + "\nssl_certificate_key: " + f("default.key") + "\n"
                + "ssl_verify_client: 'on'\nssl_client_certificate: " + f("ca.crt") + "\nservers:\n"
                + "  - listen: 127.0.0.1:0 ssl\n    server_name: open.test\n    ssl_verify_client: 'off'\n    return: 200 open\n"
                + "  - listen: 127.0.0.1:0 ssl\n    server_name: c.test\n    return: 200 c\n";
        onProxy(yaml, at -> {
            assertThat(status(at, "open.test", "open.test")).isEqualTo(200);
            assertThat(status(at, "open.test", "c.test")).isEqualTo(421);
            assertThat(status(at, null, "c.test")).isEqualTo(400);
        });
    }

    /** What a proxy made from {@code yaml} does, on its first listener's address; it is closed after. */
    private interface OnProxy {
        void run(InetSocketAddress at) throws Exception;
    }

    private void onProxy(String yaml, OnProxy body) throws Exception {
        ProxyServer server = new ProxyServer(ConfigLoader.parse(f("proxy.yaml"), new StringReader(yaml)), new AtomicLong(1)::get,
                new SplittableRandom(1)::nextLong);
        try {
            server.start();
            body.run(server.addresses().get(0));
        } finally {
            server.close();
        }
    }

    private List<Integer> misdirections(InetSocketAddress at) throws Exception {
        return List.of(status(at, "default.test", "c.test"), status(at, null, "c.test"), status(at, "c.test", "default.test"),
                status(at, "c.test", "c.test"));
    }

    /** The certificate the server presents: its subject's CN and key type, or why the handshake failed. */
    private String handshake(InetSocketAddress at, Ask a) throws Exception {
        try (SSLSocket s = socket(at, a.sni())) {
            s.setEnabledProtocols(new String[] {a.protocol()});
            if (a.suite() != null) {
                s.setEnabledCipherSuites(new String[] {a.suite()});
            }
            s.startHandshake();
            X509Certificate cert = (X509Certificate) s.getSession().getPeerCertificates()[0];
            return cert.getSubjectX500Principal().getName() + " " + cert.getPublicKey().getAlgorithm();
        } catch (javax.net.ssl.SSLException e) {
            return "refused";
        }
    }

    /** A GET over TLS naming {@code sni} in the hello and {@code host} in the request; the body. */
    private String get(InetSocketAddress at, String sni, String host) throws Exception {
        String answer = exchange(at, sni, host);
        return answer.substring(answer.indexOf("\r\n\r\n") + 4);
    }

    private int status(InetSocketAddress at, String sni, String host) throws Exception {
        return Integer.parseInt(exchange(at, sni, host).substring(9, 12));
    }

    private String exchange(InetSocketAddress at, String sni, String host) throws Exception {
        try (SSLSocket s = socket(at, sni)) {
            s.getOutputStream().write(("GET / HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            InputStream in = s.getInputStream();
            return new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
        }
    }

    private SSLSocket socket(InetSocketAddress at, String sni) throws Exception {
        SSLSocket s = (SSLSocket) io.stampede.common.testing.Trusting.only(ca.certificate()).getSocketFactory().createSocket(at.getHostString(), at.getPort());
        s.setSoTimeout(10_000);
        SSLParameters p = s.getSSLParameters();
        // The names are checked here by what the server sent, not by the JDK against the address.
        p.setEndpointIdentificationAlgorithm(null);
        p.setServerNames(sni == null ? List.of() : List.of(new SNIHostName(sni)));
        s.setSSLParameters(p);
        return s;
    }
}
