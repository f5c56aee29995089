package io.stampede.balancer.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.stampede.api.ApiSettings;
import io.stampede.api.MarketApi;
import io.stampede.api.MarketData;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Active health checks against real Market API instances: killed, faulted, restarted. */
class ActiveHealthTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private final List<MarketApi> apis = new ArrayList<>();

    /** One Market API process-alike per backend, so one can be killed alone. */
    private MarketApi.Instance backend(String name, int port) throws Exception {
        MarketData.Options o = new MarketData.Options(20, 1, 5, 1000, Duration.ofMinutes(5), Duration.ofDays(1));
        MarketApi api = new MarketApi(MarketData.create(o, "health-secret-0123456789".getBytes(StandardCharsets.UTF_8),
                Clock.systemUTC(), new Random(1)), 1);
        apis.add(api);
        return api.start(new ApiSettings("127.0.0.1", port, name, 16, Duration.ZERO, 64, false));
    }

    @AfterEach
    void stopBackends() {
        apis.forEach(MarketApi::close);
    }

    private static String config(MarketApi.Instance a, MarketApi.Instance b, String check) {
        return "admin:\n  listen: 127.0.0.1:0\nlocations:\n  /:\n    proxy_pass: http://api\n    health_check: " + check + "\n"
                + "upstreams:\n  api:\n    servers:\n      - " + hostPort(a) + "\n      - " + hostPort(b) + "\n";
    }

    private static String hostPort(MarketApi.Instance i) {
        return "127.0.0.1:" + i.address().getPort();
    }

    private static JsonNode peer(TestProxy proxy, MarketApi.Instance i) throws Exception {
        int port = proxy.server.adminAddress().orElseThrow().getPort();
        JsonNode peers = JSON.readTree(proxy.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/status")).build())
                .body()).get("upstreams").get("api").get("peers");
        for (JsonNode p : peers) {
            if (p.get("server").asText().equals(hostPort(i))) {
                return p;
            }
        }
        throw new AssertionError("no peer " + hostPort(i));
    }

    private static String servedBy(TestProxy proxy) {
        HttpResponse<String> r = proxy.get("/healthz");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return r.headers().firstValue("X-Served-By").orElse("?");
    }

    private static void fault(MarketApi.Instance i, String json) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(i.url() + "/_admin/fault"))
                .POST(HttpRequest.BodyPublishers.ofString(json)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    }

    @Test
    void aKilledBackendIsTakenOutWithinTheChecksAndComesBackWhenItReturns() throws Exception {
        MarketApi.Instance a = backend("A", 0);
        MarketApi.Instance b = backend("B", 0);
        int aPort = a.address().getPort();
        try (TestProxy proxy = new TestProxy(config(a, b, "interval=200ms fails=2 passes=2 uri=/healthz"))) {
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> peer(proxy, a).get("health_checks").get("checks").asInt() > 0);
            assertThat(peer(proxy, a).get("state").asText()).isEqualTo("up");

            apis.get(0).close(); // killed: connections refused from now on
            // Idempotent requests meanwhile: the first failure is retried on B, then checks take A out.
            for (int i = 0; i < 10; i++) {
                assertThat(servedBy(proxy)).isEqualTo("B");
            }
            Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> peer(proxy, a).get("state").asText().equals("unhealthy"));
            JsonNode checks = peer(proxy, a).get("health_checks");
            assertThat(checks.get("fails").asInt()).isGreaterThanOrEqualTo(2);
            assertThat(checks.get("unhealthy").asInt()).isEqualTo(1);
            assertThat(checks.get("last_passed").isNull()).isFalse();

            backend("A", aPort); // back on its port
            // Both flags must allow it: the checks' (2 passes) and the passive one's, whose
            // fail_timeout runs on the proxy's clock (the test's: moved past it here).
            proxy.seconds.addAndGet(11);
            Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> peer(proxy, a).get("state").asText().equals("up"));
            assertThat(peer(proxy, a).get("downtime").asLong()).isPositive();
            List<String> served = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                served.add(servedBy(proxy));
            }
            assertThat(served).as("A gets traffic again").contains("A", "B");
        }
    }

    @Test
    void aFailingHealthEndpointMakesItUnhealthyUntilItPassesAgain() throws Exception {
        MarketApi.Instance a = backend("A", 0);
        MarketApi.Instance b = backend("B", 0);
        try (TestProxy proxy = new TestProxy(config(a, b, "interval=150ms fails=1 passes=1 uri=/healthz"))) {
            fault(a, "{\"fail_health\": true}");
            Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> peer(proxy, a).get("state").asText().equals("unhealthy"));
            for (int i = 0; i < 6; i++) {
                assertThat(servedBy(proxy)).isEqualTo("B");
            }
            fault(a, "{\"fail_health\": false}");
            Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> peer(proxy, a).get("state").asText().equals("up"));
        }
    }

    @Test
    void aMandatoryCheckKeepsAServerOutUntilItsFirstPass() throws Exception {
        MarketApi.Instance a = backend("A", 0);
        MarketApi.Instance b = backend("B", 0);
        fault(a, "{\"fail_health\": true}");
        try (TestProxy proxy = new TestProxy(config(a, b, "interval=100ms uri=/healthz mandatory"))) {
            // Every server starts in "checking": B takes requests once its first check passed
            // (at a random point of the first interval), A never before its own.
            Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> peer(proxy, b).get("state").asText().equals("up"));
            for (int i = 0; i < 8; i++) {
                assertThat(servedBy(proxy)).as("A never passed a check").isEqualTo("B");
            }
            assertThat(peer(proxy, a).get("state").asText()).isIn("checking", "unhealthy");
            fault(a, "{\"fail_health\": false}");
            Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> peer(proxy, a).get("state").asText().equals("up"));
        }
    }

    @Test
    void aMatchBlockDecidesWhatPasses() throws Exception {
        MarketApi.Instance a = backend("A", 0);
        MarketApi.Instance b = backend("B", 0);
        String yaml = "match:\n  ready:\n    status: 200\n    header: [\"Content-Type ~ json\"]\n    body: '~ \"\\\"status\\\":\\\"ok\\\"\"'\n"
                + config(a, b, "interval=150ms uri=/healthz match=ready");
        try (TestProxy proxy = new TestProxy(yaml)) {
            Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> peer(proxy, a).get("health_checks").get("checks").asInt() >= 2);
            assertThat(peer(proxy, a).get("state").asText()).isEqualTo("up");
            fault(a, "{\"draining\": true}"); // 503 with "status": "draining"
            Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> peer(proxy, a).get("state").asText().equals("unhealthy"));
        }
    }

    @Test
    void whenEveryServerIsUnhealthyClientsGet502() throws Exception {
        MarketApi.Instance a = backend("A", 0);
        MarketApi.Instance b = backend("B", 0);
        try (TestProxy proxy = new TestProxy(config(a, b, "interval=150ms uri=/healthz"))) {
            fault(a, "{\"fail_health\": true}");
            fault(b, "{\"fail_health\": true}");
            Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> peer(proxy, a).get("state").asText().equals("unhealthy")
                    && peer(proxy, b).get("state").asText().equals("unhealthy"));
            assertThat(proxy.get("/api/v1/products/").statusCode()).isEqualTo(502);
        }
    }
}
