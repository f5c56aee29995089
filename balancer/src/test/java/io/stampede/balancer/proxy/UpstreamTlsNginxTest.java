package io.stampede.balancer.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.stampede.common.tls.Certificates;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * TLS to upstreams beside nginx's: a real nginx is the HTTPS server and says what it saw of each
 * connection ($ssl_session_reused, $ssl_server_name, $ssl_protocol, the client certificate); our
 * proxy and an nginx proxy with the same proxy_ssl_* directives must make it see the same.
 */
class UpstreamTlsNginxTest {
    @TempDir
    Path dir;
    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @BeforeEach
    void needsNginx() throws Exception {
        if (NginxRunner.binary() == null) {
            System.err.println("SKIPPED LOUDLY: nginx is not installed (apt-get install nginx); UpstreamTlsNginxTest did not run");
            Assumptions.abort("nginx is not installed");
        }
        Certificates.Issued ca = Certificates.authority("Upstream CA");
        Files.writeString(dir.resolve("ca.crt"), Certificates.pem(ca.certificate()));
        Certificates.signed(ca, "api.internal", List.of("api.internal"), "EC", Duration.ofDays(1))
                .write(dir.resolve("server.crt"), dir.resolve("server.key"));
        Certificates.signed(ca, "alice", List.of(), "EC", Duration.ofDays(1)).write(dir.resolve("alice.crt"), dir.resolve("alice.key"));
        Certificates.Issued intermediate = Certificates.intermediate(ca, "Issuing CA");
        Certificates.signed(intermediate, "api.internal", List.of("api.internal"), "EC", Duration.ofDays(1))
                .write(dir.resolve("chained.crt"), dir.resolve("chained.key"));
        // As servers send it: their certificate, then the intermediate.
        Files.writeString(dir.resolve("chained.crt"), Files.readString(dir.resolve("chained.crt")) + Certificates.pem(intermediate.certificate()));
    }

    private NginxRunner tlsServer() throws Exception {
        return tlsServer("server");
    }

    private NginxRunner tlsServer(String identity) throws Exception {
        return NginxRunner.withSslServer("", "    ssl_certificate " + dir.resolve(identity + ".crt") + ";\n"
                + "    ssl_certificate_key " + dir.resolve(identity + ".key") + ";\n"
                + "    ssl_protocols TLSv1.2 TLSv1.3;\n    ssl_session_cache shared:S:1m;\n    ssl_verify_client optional_no_ca;\n"
                + "    location / { return 200 \"reused=$ssl_session_reused sni=$ssl_server_name $ssl_protocol "
                + "client=$ssl_client_s_dn\\n\"; }");
    }

    /** What the HTTPS server saw of three requests, each on a new connection (no upstream keepalive). */
    private List<String> throughOurs(int backendPort, String directives) throws Exception {
        String yaml = "locations:\n  /:\n    proxy_pass: https://tlspool\n"
                + directives.lines().map(l -> "    " + l.replaceFirst(" ", ": ") + "\n").reduce("", String::concat)
                + "upstreams:\n  tlspool:\n    keepalive: 0\n    servers: [127.0.0.1:" + backendPort + "]\n";
        try (TestProxy ours = new TestProxy(yaml)) {
            return three(ours.url("/"));
        }
    }

    private List<String> throughNginx(int backendPort, String directives) throws Exception {
        if (!directives.contains("proxy_ssl_protocols")) {
            // nginx 1.23.4's default, ours; Debian's nginx 1.22 would leave TLS 1.3 out.
            directives = "proxy_ssl_protocols TLSv1.2 TLSv1.3\n" + directives;
        }
        String server = "    location / {\n      proxy_pass https://tlspool;\n"
                + directives.lines().map(l -> "      " + l + ";\n").reduce("", String::concat) + "    }\n";
        try (NginxRunner nginx = NginxRunner.withServer("  upstream tlspool { server 127.0.0.1:" + backendPort + "; }", server)) {
            return three("http://127.0.0.1:" + nginx.address().getPort() + "/");
        }
    }

    private List<String> three(String url) throws Exception {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).build(),
                    HttpResponse.BodyHandlers.ofString());
            // An error page says who made it (nginx/1.x or stampede): its status is what is compared.
            out.add(r.statusCode() == 200 ? r.statusCode() + " " + r.body().trim() : String.valueOf(r.statusCode()));
        }
        return out;
    }

    private void sameAsNginx(String directives, String... expected) throws Exception {
        sameAsNginxServing("server", directives, expected);
    }

    private void sameAsNginxServing(String identity, String directives, String... expected) throws Exception {
        try (NginxRunner backend = tlsServer(identity)) {
            int port = backend.address().getPort();
            List<String> theirs = throughNginx(port, directives);
            List<String> ours = throughOurs(port, directives);
            assertThat(ours).as("ours vs nginx with\n" + directives).isEqualTo(theirs).containsExactly(expected);
        }
    }

    @Test
    void sessionsAreResumedAsNginxResumesThem() throws Exception {
        sameAsNginx("proxy_ssl_server_name on\nproxy_ssl_name api.internal",
                "200 reused=. sni=api.internal TLSv1.3 client=",
                "200 reused=r sni=api.internal TLSv1.3 client=",
                "200 reused=r sni=api.internal TLSv1.3 client=");
    }

    @Test
    void sessionsAreResumedOverTls12Too() throws Exception {
        sameAsNginx("proxy_ssl_protocols TLSv1.2\nproxy_ssl_server_name on\nproxy_ssl_name api.internal",
                "200 reused=. sni=api.internal TLSv1.2 client=",
                "200 reused=r sni=api.internal TLSv1.2 client=",
                "200 reused=r sni=api.internal TLSv1.2 client=");
    }

    @Test
    void sessionReuseOffResumesNothing() throws Exception {
        sameAsNginx("proxy_ssl_session_reuse off",
                "200 reused=. sni= TLSv1.3 client=",
                "200 reused=. sni= TLSv1.3 client=",
                "200 reused=. sni= TLSv1.3 client=");
    }

    @Test
    void verifiedWithAClientCertificate() throws Exception {
        sameAsNginx("proxy_ssl_verify on\nproxy_ssl_trusted_certificate " + dir.resolve("ca.crt")
                        + "\nproxy_ssl_name api.internal\nproxy_ssl_certificate " + dir.resolve("alice.crt")
                        + "\nproxy_ssl_certificate_key " + dir.resolve("alice.key"),
                "200 reused=. sni= TLSv1.3 client=CN=alice",
                "200 reused=r sni= TLSv1.3 client=CN=alice",
                "200 reused=r sni= TLSv1.3 client=CN=alice");
    }

    @Test
    void anIntermediateCountsTowardTheVerifyDepthAsInNginx() throws Exception {
        String verify = "proxy_ssl_verify on\nproxy_ssl_trusted_certificate " + dir.resolve("ca.crt") + "\nproxy_ssl_name api.internal";
        sameAsNginxServing("chained", verify + "\nproxy_ssl_verify_depth 0", "502", "502", "502");
        sameAsNginxServing("chained", verify,
                "200 reused=. sni= TLSv1.3 client=",
                "200 reused=r sni= TLSv1.3 client=",
                "200 reused=r sni= TLSv1.3 client=");
    }

    @Test
    void aNameTheCertificateDoesNotCarryIsRefusedByBoth() throws Exception {
        sameAsNginx("proxy_ssl_verify on\nproxy_ssl_trusted_certificate " + dir.resolve("ca.crt") + "\nproxy_ssl_name evil.example",
                "502", "502", "502");
    }
}
