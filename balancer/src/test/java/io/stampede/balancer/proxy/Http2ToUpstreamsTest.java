package io.stampede.balancer.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.stampede.common.tls.Certificates;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code proxy_http_version 2}, with a real nginx as the HTTP/2 server: it says in each answer
 * which protocol and which of its connections (nginx's {@code $connection}) the request came on.
 */
class Http2ToUpstreamsTest {
    private static final Pattern CONNECTION = Pattern.compile("conn=(\\d+)");
    private static final String ANSWER = "    location / { return 200 \"$server_protocol conn=$connection host=$host "
            + "te=$http_te scheme=$scheme ssl=$ssl_protocol len=$http_content_length\\n\"; }\n";

    @TempDir
    Path dir;

    @BeforeEach
    void needsNginx() {
        if (NginxRunner.binary() == null) {
            System.err.println("SKIPPED LOUDLY: nginx is not installed (apt-get install nginx); Http2ToUpstreamsTest did not run");
            Assumptions.abort("nginx is not installed");
        }
    }

    private static String proxyTo(String scheme, int port, String upstreamExtra, String locationExtra) {
        return "locations:\n  /:\n    proxy_pass: " + scheme + "://h2pool\n    proxy_http_version: 2\n" + locationExtra
                + "upstreams:\n  h2pool:\n    servers: [127.0.0.1:" + port + "]\n" + upstreamExtra;
    }

    @Test
    void requestsGoAsStreamsOfFewConnections() throws Exception {
        try (NginxRunner nginx = NginxRunner.withListen("http2", ANSWER);
             TestProxy proxy = new TestProxy(proxyTo("http", nginx.port, "", ""))) {
            List<CompletableFuture<HttpResponse<String>>> all = new ArrayList<>();
            for (int i = 0; i < 60; i++) {
                all.add(proxy.client.sendAsync(HttpRequest.newBuilder(URI.create(proxy.url("/x?i=" + i)))
                        .timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString()));
            }
            Set<String> connections = new HashSet<>();
            for (CompletableFuture<HttpResponse<String>> f : all) {
                HttpResponse<String> r = f.get();
                assertThat(r.statusCode()).isEqualTo(200);
                assertThat(r.body()).startsWith("HTTP/2.0 ").contains("host=h2pool", "scheme=http", "te= ");
                connections.add(connection(r.body()));
            }
            // One connection per event loop of the proxy (two or fewer here), however many requests.
            assertThat(connections).hasSizeLessThanOrEqualTo(Runtime.getRuntime().availableProcessors());
            HttpResponse<String> post = proxy.post("/p", "x".repeat(100_000));
            assertThat(post.statusCode()).isEqualTo(200);
            assertThat(post.body()).startsWith("HTTP/2.0 ").contains("len=100000");
        }
    }

    @Test
    void aServersGoawayAfterItsKeepaliveRequestsLosesNothing() throws Exception {
        // nginx ends an HTTP/2 connection with GOAWAY after keepalive_requests streams.
        try (NginxRunner nginx = NginxRunner.withListen("http2", "    keepalive_requests 3;\n" + ANSWER);
             TestProxy proxy = new TestProxy(proxyTo("http", nginx.port, "", ""))) {
            Set<String> connections = new HashSet<>();
            for (int i = 0; i < 20; i++) {
                HttpResponse<String> r = proxy.get("/seq" + i);
                assertThat(r.statusCode()).as("request %d", i).isEqualTo(200);
                connections.add(connection(r.body()));
            }
            assertThat(connections).hasSizeGreaterThanOrEqualTo(7);
        }
    }

    @Test
    void ourKeepaliveRequestsRetireAConnection() throws Exception {
        try (NginxRunner nginx = NginxRunner.withListen("http2", ANSWER);
             TestProxy proxy = new TestProxy(proxyTo("http", nginx.port, "    keepalive_requests: 4\n", ""))) {
            Set<String> connections = new HashSet<>();
            for (int i = 0; i < 12; i++) {
                HttpResponse<String> r = proxy.get("/k" + i);
                assertThat(r.statusCode()).isEqualTo(200);
                connections.add(connection(r.body()));
            }
            assertThat(connections).hasSizeGreaterThanOrEqualTo(3);
        }
    }

    @Test
    void h2OverTlsIsAgreedByAlpn() throws Exception {
        Certificates.Issued ca = Certificates.authority("Upstream CA");
        Certificates.signed(ca, "api.internal", List.of("api.internal"), "EC", Duration.ofDays(1))
                .write(dir.resolve("server.crt"), dir.resolve("server.key"));
        String tls = "    ssl_certificate " + dir.resolve("server.crt") + ";\n    ssl_certificate_key "
                + dir.resolve("server.key") + ";\n    ssl_protocols TLSv1.2 TLSv1.3;\n";
        try (NginxRunner h2 = NginxRunner.withListen("ssl http2", tls + ANSWER);
             TestProxy proxy = new TestProxy(proxyTo("https", h2.port, "", ""))) {
            HttpResponse<String> r = proxy.get("/tls");
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.body()).startsWith("HTTP/2.0 ").contains("scheme=https", "ssl=TLSv1.3");
        }
        // A TLS server that does not speak HTTP/2 agrees on nothing by ALPN: no request is sent as
        // HTTP/1.1 to a location configured for HTTP/2.
        try (NginxRunner http1 = NginxRunner.withListen("ssl", tls + ANSWER);
             TestProxy proxy = new TestProxy(proxyTo("https", http1.port, "", ""))) {
            assertThat(proxy.get("/tls").statusCode()).isEqualTo(502);
        }
    }

    @Test
    void healthChecksSpeakHttp2Too() throws Exception {
        // Both servers speak only HTTP/2 (an HTTP/1.1 check would fail on both); the second one's
        // check URI fails, so only the first gets requests.
        try (NginxRunner good = NginxRunner.withListen("http2", "    location /health { return 200 ok; }\n"
                     + "    location / { return 200 \"good $server_protocol\\n\"; }\n");
             NginxRunner sick = NginxRunner.withListen("http2", "    location /health { return 503; }\n"
                     + "    location / { return 200 \"sick\\n\"; }\n");
             TestProxy proxy = new TestProxy("locations:\n  /:\n    proxy_pass: http://h2pool\n    proxy_http_version: 2\n"
                     + "    health_check: interval=1s uri=/health mandatory\n"
                     + "upstreams:\n  h2pool:\n    servers: [127.0.0.1:" + good.port + ", 127.0.0.1:" + sick.port + "]\n")) {
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10))
                    .until(() -> proxy.get("/").body().startsWith("good"));
            for (int i = 0; i < 6; i++) {
                assertThat(proxy.get("/x" + i).body()).isEqualTo("good HTTP/2.0\n");
            }
        }
    }

    @Test
    void aServerThatIsNotThereIsA502AsEver() throws Exception {
        int closed = PeerProcess.freePort();
        try (TestProxy proxy = new TestProxy(proxyTo("http", closed, "", ""))) {
            assertThat(proxy.get("/").statusCode()).isEqualTo(502);
        }
    }

    private static String connection(String body) {
        Matcher m = CONNECTION.matcher(body);
        assertThat(m.find()).as(body).isTrue();
        return m.group(1);
    }
}
