package io.stampede.balancer.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.stampede.balancer.proxy.ScriptedUpstream.After;
import io.stampede.balancer.proxy.ScriptedUpstream.Reply;
import io.stampede.common.testing.RawHttp;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/** One regression test per defect the outside review reproduced (issue 12), from raw bytes. */
class EdgeDefectsTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Defect 2: a client that pipelines and never reads gets only what socket buffers hold fetched for it. */
    @Test
    void aPipeliningClientThatNeverReadsMakesTheProxyFetchABoundedNumberOfResponses() throws Exception {
        String body = "x".repeat(16 * 1024);
        try (ScriptedUpstream upstream = new ScriptedUpstream(line -> Reply.of(
                "HTTP/1.1 200 OK\r\nContent-Length: " + body.length() + "\r\n\r\n" + body, After.KEEP));
             TestProxy proxy = new TestProxy("worker_processes: 1\nlocations:\n  /:\n    proxy_pass: http://backend\n"
                     + "upstreams:\n  backend:\n    keepalive: 4\n    servers: [\"" + upstream.address() + "\"]\n");
             Socket client = new Socket()) {
            client.setReceiveBufferSize(16 * 1024);
            client.connect(proxy.address, 5_000);
            StringBuilder pipeline = new StringBuilder();
            for (int i = 0; i < 1000; i++) {
                pipeline.append("GET /big/").append(i).append(" HTTP/1.1\r\nHost: x\r\n\r\n");
            }
            client.getOutputStream().write(pipeline.toString().getBytes(StandardCharsets.ISO_8859_1));
            client.getOutputStream().flush();
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> upstream.requestLines.size() >= 10);
            // nginx fetched 173 of 1,000 here, as far as the socket buffers go; so must we, and no further.
            Awaitility.await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(4))
                    .until(() -> upstream.requestLines.size() < 500);
            System.out.println("pipelined 1000 x 16 KB, client reads nothing: upstream asked " + upstream.requestLines.size());
        }
    }

    /** Defect 3: locations match the decoded, normalized path, as nginx's; what goes upstream follows nginx's rules. */
    @Test
    void locationsMatchTheNormalizedPathAsNginxDoes() throws Exception {
        try (TestBackends backends = new TestBackends("pub", "adm")) {
            String yaml = "locations:\n  /public/:\n    proxy_pass: http://pub\n  /_admin/:\n    proxy_pass: http://adm\n"
                    + "  /base/:\n    proxy_pass: http://pub/v1/\n"
                    + "upstreams:\n  pub:\n    servers: [\"" + backends.address("pub") + "\"]\n"
                    + "  adm:\n    servers: [\"" + backends.address("adm") + "\"]\n";
            String[] targets = {"/%5Fadmin/stats", "/public/../secret", "/public/%2e%2e/secret", "/public/%2E%2e/%2e%2E/x",
                "/public/a//b", "/public/./a", "//public/a", "/public/a/..", "/../x", "/public/%", "/public/%zz",
                "/public/%00", "/base/x%20y/../z?q=1%2F", "/base/a%3Fb", "/base/%2Fc", "/_admin%2Fstats"};
            List<String> ours = new ArrayList<>();
            try (TestProxy proxy = new TestProxy(yaml)) {
                for (String t : targets) {
                    ours.add(observe(proxy.address, t, backends));
                }
            }
            assertThat(ours).containsExactly(
                    "200 adm /%5Fadmin/stats", "404", "404", "400",
                    "200 pub /public/a//b", "200 pub /public/./a", "200 pub //public/a", "200 pub /public/a/..", "400", "400",
                    "400", "400", "200 pub /v1/z?q=1%2F", "200 pub /v1/a%3Fb", "200 pub /v1/c", "200 adm /_admin%2Fstats");
            if (NginxRunner.binary() == null) {
                System.err.println("SKIPPED: nginx is not installed; normalized paths not compared with nginx");
                return;
            }
            try (NginxRunner nginx = NginxRunner.withServer(
                    "  upstream pub { server " + backends.address("pub") + "; }\n  upstream adm { server "
                            + backends.address("adm") + "; }\n",
                    "    location /public/ { proxy_pass http://pub; }\n    location /_admin/ { proxy_pass http://adm; }\n"
                            + "    location /base/ { proxy_pass http://pub/v1/; }\n")) {
                List<String> theirs = new ArrayList<>();
                for (String t : targets) {
                    theirs.add(observe(nginx.address(), t, backends));
                }
                assertThat(ours).as("the same as nginx").isEqualTo(theirs);
            }
        }
    }

    /** Status, and which backend got what target (nothing when none did). */
    private static String observe(InetSocketAddress at, String target, TestBackends backends) throws Exception {
        backends.drainSeen();
        List<String> r = ResponseReader.exchange(at, "GET " + target + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
                List.of(false));
        List<TestBackends.Seen> seen = backends.drainSeen();
        String status = r.get(0).split(" ")[0];
        return seen.isEmpty() ? status : status + " " + seen.get(0).backend() + " " + seen.get(0).uri();
    }

    /** Defect 5: the proxy's own error pages carry no body on HEAD, so a pipelined request after one is read right. */
    @Test
    void headGetsNoBodyFromTheProxysOwnErrorPages() throws Exception {
        try (TestProxy proxy = new TestProxy("proxy_next_upstream: off\nlocations:\n  /up/:\n    proxy_pass: http://down\n"
                + "upstreams:\n  down:\n    servers: [\"127.0.0.1:1\"]\n")) {
            String twice = "HEAD /up/a HTTP/1.1\r\nHost: x\r\n\r\nGET /up/b HTTP/1.1\r\nHost: x\r\n\r\n";
            assertThat(ResponseReader.exchange(proxy.address, twice, List.of(true, false))).containsExactly("502", "502");
            String refused = "HEAD /elsewhere HTTP/1.1\r\nHost: x\r\n\r\n";
            assertThat(ResponseReader.exchange(proxy.address, refused, List.of(true, false))).containsExactly("404", "closed");
        }
    }

    /**
     * Defect 6: send_timeout. A client that takes nothing of a large response is closed after it,
     * the upstream is released without blame, long before proxy_read_timeout.
     */
    @Test
    void sendTimeoutClosesAClientThatStopsReadingWithoutBlamingTheUpstream() throws Exception {
        byte[] huge = new byte[32 * 1024 * 1024];
        Reply reply = new Reply(List.of(("HTTP/1.1 200 OK\r\nContent-Length: " + huge.length + "\r\n\r\n")
                .getBytes(StandardCharsets.ISO_8859_1), huge), After.KEEP);
        try (ScriptedUpstream upstream = new ScriptedUpstream(line -> reply);
             TestProxy proxy = new TestProxy("admin:\n  listen: 127.0.0.1:0\nsend_timeout: 1s\nproxy_read_timeout: 60s\n"
                     + "locations:\n  /:\n    proxy_pass: http://backend\n"
                     + "upstreams:\n  backend:\n    servers: [\"" + upstream.address() + " max_fails=1\"]\n");
             Socket client = new Socket()) {
            client.setReceiveBufferSize(8 * 1024);
            client.connect(proxy.address, 5_000);
            client.getOutputStream().write("GET /huge HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
            Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> peer(proxy).get("active").asInt() == 1);
            Awaitility.await().atMost(Duration.ofSeconds(15)).until(() -> peer(proxy).get("active").asInt() == 0);
            JsonNode peer = peer(proxy);
            assertThat(peer.get("fails").asLong()).as("the upstream is not blamed for the client").isZero();
            assertThat(peer.get("state").asText()).isEqualTo("up");
        }
    }

    private static JsonNode peer(TestProxy proxy) throws IOException {
        int port = proxy.server.adminAddress().orElseThrow().getPort();
        HttpResponse<String> r = proxy.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/status")).build());
        return JSON.readTree(r.body()).get("upstreams").get("backend").get("peers").get(0);
    }

    /** Defect 9: nginx's underscores_in_headers off and ignore_invalid_headers on, both configurable. */
    @Test
    void headerNamesNginxCallsInvalidAreDroppedUnlessAllowed() throws Exception {
        String raw = "GET /h HTTP/1.1\r\nHost: x\r\nX_Real_IP: 6.6.6.6\r\nX.Dot: 1\r\nX-Ok: 1\r\nConnection: close\r\n\r\n";
        try (TestBackends backends = new TestBackends("a")) {
            String base = "locations:\n  /:\n    proxy_pass: http://a\nupstreams:\n  a:\n    servers: [\"" + backends.address("a") + "\"]\n";
            TestBackends.Seen seen = through(base, raw, backends);
            assertThat(seen.header("X-Ok")).isEqualTo("1");
            assertThat(seen.header("X_Real_IP")).isNull();
            assertThat(seen.header("X.Dot")).isNull();
            assertThat(seen.header("X-Real-IP")).isEqualTo("127.0.0.1");

            seen = through("underscores_in_headers: on\n" + base, raw, backends);
            assertThat(seen.header("X_Real_IP")).isEqualTo("6.6.6.6");
            assertThat(seen.header("X.Dot")).isNull();

            seen = through("ignore_invalid_headers: off\n" + base, raw, backends);
            assertThat(seen.header("X_Real_IP")).isEqualTo("6.6.6.6");
            assertThat(seen.header("X.Dot")).isEqualTo("1");
        }
    }

    private static TestBackends.Seen through(String yaml, String raw, TestBackends backends) throws Exception {
        backends.drainSeen();
        try (TestProxy proxy = new TestProxy(yaml); RawHttp c = new RawHttp(proxy.address)) {
            c.send(raw);
            assertThat(c.read().status()).isEqualTo(200);
        }
        return backends.drainSeen().get(0);
    }

    /** Defect 10: a single-server upstream counts its requests in /status and /metrics. */
    @Test
    void aSingleServerUpstreamCountsItsRequests() throws Exception {
        try (TestBackends backends = new TestBackends("a");
             TestProxy proxy = new TestProxy("admin:\n  listen: 127.0.0.1:0\nlocations:\n  /:\n    proxy_pass: http://backend\n"
                     + "upstreams:\n  backend:\n    servers: [\"" + backends.address("a") + "\"]\n")) {
            for (int i = 0; i < 3; i++) {
                assertThat(proxy.get("/" + i).statusCode()).isEqualTo(200);
            }
            assertThat(peer(proxy).get("requests").asLong()).isEqualTo(3);
            int port = proxy.server.adminAddress().orElseThrow().getPort();
            String metrics = proxy.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics")).build()).body();
            assertThat(metrics).contains("stampede_upstream_peer_requests_total{peer=\"" + backends.address("a")
                    + "\",upstream=\"backend\"} 3.0");
        }
    }

    /** Defect 11: the admin listener refuses DNS-rebinding Hosts, and cross-site requests to anything but reads. */
    @Test
    void theAdminListenerRefusesForeignHostsAndCrossSiteRequests() throws Exception {
        try (TestProxy proxy = new TestProxy("admin:\n  listen: 127.0.0.1:0\nlocations:\n  /:\n    proxy_pass: http://b\n"
                + "upstreams:\n  b:\n    servers: [\"127.0.0.1:1\"]\n")) {
            InetSocketAddress admin = proxy.server.adminAddress().orElseThrow();
            assertThat(ResponseReader.exchange(admin, "GET /status HTTP/1.1\r\nHost: 127.0.0.1:" + admin.getPort()
                    + "\r\nConnection: close\r\n\r\n", List.of(false)).get(0)).startsWith("200 ");
            assertThat(ResponseReader.exchange(admin, "GET /status HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
                    List.of(false)).get(0)).startsWith("200 ");
            assertThat(ResponseReader.exchange(admin, "GET /status HTTP/1.1\r\nHost: rebind.example:" + admin.getPort()
                    + "\r\nConnection: close\r\n\r\n", List.of(false))).containsExactly("403");
            assertThat(ResponseReader.exchange(admin, "POST /status HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: http://evil.example\r\n"
                    + "Content-Length: 0\r\nConnection: close\r\n\r\n", List.of(false))).containsExactly("403");
            assertThat(ResponseReader.exchange(admin, "POST /status HTTP/1.1\r\nHost: 127.0.0.1\r\nSec-Fetch-Site: cross-site\r\n"
                    + "Content-Length: 0\r\nConnection: close\r\n\r\n", List.of(false))).containsExactly("403");
            // The shared route table: a known page with another method is 405, HEAD reads as GET does.
            assertThat(ResponseReader.exchange(admin, "POST /status HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    + "Content-Length: 0\r\nConnection: close\r\n\r\n", List.of(false))).containsExactly("405");
            assertThat(ResponseReader.exchange(admin, "HEAD /status HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
                    List.of(true))).containsExactly("200");
            assertThat(ResponseReader.exchange(admin, "GET /nope HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
                    List.of(false))).containsExactly("404");
        }
    }
}
