package io.stampede.balancer.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.stampede.common.testing.RawHttp;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Access log, admin status, graceful stop and backpressure. */
class ProxyOperationsTest {

    @Test
    void accessLogWritesNginxCombinedPlusUpstreamFields(@TempDir Path dir) throws Exception {
        Path log = dir.resolve("logs/access.log");
        try (TestBackends backends = new TestBackends("a");
             TestProxy proxy = new TestProxy("access_log: " + log + "\nlocations:\n  /:\n    proxy_pass: http://"
                     + backends.address("a") + "\n")) {
            proxy.send(HttpRequest.newBuilder(URI.create(proxy.url("/logged?x=1"))).header("User-Agent", "t/1")
                    .header("Referer", "http://r/").build());
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> Files.exists(log) && Files.readString(log).contains("/logged"));
            String line = Files.readString(log).strip();
            assertThat(line).matches("127\\.0\\.0\\.1 - - \\[\\d{2}/\\w{3}/\\d{4}:\\d{2}:\\d{2}:\\d{2} [+-]\\d{4}] "
                    + "\"GET /logged\\?x=1 HTTP/1.1\" 200 2 \"http://r/\" \"t/1\" \"" + backends.address("a").replace(".", "\\.")
                    + "\" \\d+\\.\\d{3} \\d+\\.\\d{3}");
        }
    }

    @Test
    void adminStatusShowsEveryPeer() throws Exception {
        try (TestBackends backends = new TestBackends("a", "X")) {
            backends.on("X", s -> TestBackends.Action.closeConnection());
            try (TestProxy proxy = new TestProxy("admin:\n  listen: 127.0.0.1:0\nlocations:\n  /:\n    proxy_pass: http://api\n"
                    + "upstreams:\n  api:\n    servers:\n      - " + backends.address("a") + "\n      - "
                    + backends.address("X") + " max_fails=1 fail_timeout=60s\n      - 127.0.0.1:1 down\n")) {
                proxy.get("/1");
                proxy.get("/2");
                int port = proxy.server.adminAddress().orElseThrow().getPort();
                HttpResponse<String> r = proxy.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/status")).build());
                JsonNode api = new ObjectMapper().readTree(r.body()).get("upstreams").get("api");
                JsonNode peers = api.get("peers");
                assertThat(peers).hasSize(3);
                // /1 went to a; /2 went to X, which failed, and was retried on a.
                assertThat(peers.get(0).get("requests").asLong()).isEqualTo(2);
                assertThat(peers.get(1).get("requests").asLong()).isEqualTo(1);
                assertThat(api.get("retries").asLong()).isEqualTo(1);
                assertThat(peers.get(0).get("responses").get("2xx").asLong()).isEqualTo(2);
                assertThat(peers.get(0).get("selected").asText()).isEqualTo("1970-01-01T00:16:40Z"); // the test clock
                assertThat(peers.get(1).get("unavail").asLong()).isEqualTo(1);
                assertThat(peers.get(1).get("responses").get("total").asLong()).isZero();

                HttpResponse<String> m = proxy.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics")).build());
                assertThat(m.headers().firstValue("Content-Type")).hasValueSatisfying(v -> assertThat(v).startsWith("text/plain; version=0.0.4"));
                String a = backends.address("a");
                assertThat(m.body()).contains("stampede_upstream_peer_requests_total{peer=\"" + a + "\",upstream=\"api\"} 2.0")
                        .contains("stampede_upstream_peer_responses_total{code=\"2xx\",peer=\"" + a + "\",upstream=\"api\"} 2.0")
                        .contains("stampede_upstream_retries_total{upstream=\"api\"} 1.0")
                        .contains("stampede_upstream_peer_state{peer=\"" + backends.address("X") + "\",state=\"unavail\",upstream=\"api\"} 1.0")
                        .contains("stampede_upstream_request_duration_seconds_count{upstream=\"api\"} 2");
                assertThat(peers.get(0).get("state").asText()).isEqualTo("up");
                assertThat(peers.get(1).get("state").asText()).isEqualTo("unavail");
                assertThat(peers.get(1).get("fails").asInt()).isEqualTo(1);
                assertThat(peers.get(2).get("state").asText()).isEqualTo("down");
            }
        }
    }

    @Test
    void theGrafanaBoardAsksOnlyForMetricsTheProxyExports() throws Exception {
        try (TestBackends backends = new TestBackends("a", "b");
             TestProxy proxy = new TestProxy("admin:\n  listen: 127.0.0.1:0\nlocations:\n  /:\n    proxy_pass: http://api\n"
                     + "    health_check: interval=1s uri=/healthz\nupstreams:\n  api:\n    queue: 10 timeout=5s\n    servers:\n"
                     + "      - " + backends.address("a") + " max_conns=4\n      - " + backends.address("b") + " max_conns=4\n")) {
            proxy.get("/1");
            proxy.get("/2");
            int port = proxy.server.adminAddress().orElseThrow().getPort();
            String scrape = proxy.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics")).build()).body();
            int queries = io.stampede.common.testing.GrafanaBoards.check(Path.of("../deploy/grafana/stampede-proxy.json"), scrape);
            assertThat(queries).isGreaterThan(15);
        }
    }

    @Test
    void gracefulStopFinishesRequestsInFlightAndRefusesNewOnes() throws Exception {
        try (TestBackends backends = new TestBackends("a")) {
            backends.on("a", s -> TestBackends.Action.delay(700));
            TestProxy proxy = new TestProxy("locations:\n  /:\n    proxy_pass: http://" + backends.address("a") + "\n");
            CompletableFuture<HttpResponse<String>> inFlight = proxy.client.sendAsync(
                    HttpRequest.newBuilder(URI.create(proxy.url("/x"))).build(), HttpResponse.BodyHandlers.ofString());
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> !backends.arrivals.isEmpty());
            CompletableFuture<Boolean> stopped = CompletableFuture.supplyAsync(() -> proxy.server.stop(Duration.ofSeconds(10)));
            HttpResponse<String> r = inFlight.get(10, TimeUnit.SECONDS);
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.headers().firstValue("Connection")).hasValue("close");
            assertThat(stopped.get(15, TimeUnit.SECONDS)).isTrue();
            assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> new Socket("127.0.0.1", proxy.address.getPort()).close()))
                    .isInstanceOf(IOException.class);
        }
    }

    @Test
    void aSlowClientSlowsTheUpstreamInsteadOfFillingTheHeap() throws Exception {
        long size = 256L * 1024 * 1024;
        AtomicLong written = new AtomicLong();
        try (ServerSocket server = new ServerSocket(0, 8, java.net.InetAddress.getLoopbackAddress())) {
            Thread backend = new Thread(() -> {
                try (Socket s = server.accept()) {
                    s.setSendBufferSize(64 * 1024);
                    InputStream in = s.getInputStream();
                    byte[] head = new byte[4096];
                    in.read(head);
                    OutputStream out = s.getOutputStream();
                    out.write(("HTTP/1.1 200 OK\r\nContent-Length: " + size + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                    byte[] block = new byte[64 * 1024];
                    for (long sent = 0; sent < size; sent += block.length) {
                        out.write(block);
                        written.addAndGet(block.length);
                    }
                } catch (IOException e) {
                    // the test closed the connection
                }
            }, "streaming-backend");
            backend.setDaemon(true);
            backend.start();
            try (TestProxy proxy = new TestProxy("locations:\n  /:\n    proxy_pass: http://127.0.0.1:" + server.getLocalPort() + "\n");
                 RawHttp client = new RawHttp(proxy.address)) {
                client.send("GET /big HTTP/1.1\r\nHost: x\r\n\r\n");
                // The client reads nothing: the backend must stall once the buffers between are full.
                long[] last = {-1};
                Awaitility.await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(300)).until(() -> {
                    long now = written.get();
                    boolean stalled = now > 0 && now == last[0];
                    last[0] = now;
                    return stalled;
                });
                assertThat(written.get()).as("bytes the backend could write while the client read nothing")
                        .isLessThan(32L * 1024 * 1024);
            }
        }
    }
}
