package io.stampede.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class AdminAndFaultsTest {
    TestApi api;
    String access;

    @BeforeEach
    void start() throws InterruptedException {
        api = TestApi.start(4, Duration.ZERO, 16);
        access = api.access();
        api.post("/_admin/stats/reset", "", null);
    }

    @AfterEach
    void stop() {
        api.close();
    }

    @Test
    void statsCountApiRequestsByRoute() {
        api.get("/api/v1/products/1/", access);
        api.get("/api/v1/products/2/", access);
        api.get("/api/v1/products/", access);
        api.get("/api/v1/products/", null);
        api.get("/healthz", null);
        var stats = api.get("/_admin/stats", null).json();
        assertThat(stats.get("requests_total").asLong()).isEqualTo(4);
        assertThat(stats.get("by_route").get("GET /api/v1/products/{id}/").asLong()).isEqualTo(2);
        assertThat(stats.get("by_route").get("GET /api/v1/products/").asLong()).isEqualTo(2);
        assertThat(stats.get("by_status").get("4xx").asLong()).isEqualTo(1);
        assertThat(stats.get("in_flight").asInt()).isZero();
        assertThat(stats.get("in_flight_max").asInt()).isEqualTo(1);
        assertThat(stats.get("rejected_total").asLong()).isZero();
    }

    @Test
    void failingHealthAndDrainingAnswer503() {
        assertThat(api.post("/_admin/fault", "{\"fail_health\": true}", null).status()).isEqualTo(200);
        var failing = api.get("/healthz", null);
        assertThat(failing.status()).isEqualTo(503);
        assertThat(failing.json().get("errors")).isNotEmpty();
        // API requests are still served while the health check fails.
        assertThat(api.get("/api/v1/products/1/", access).status()).isEqualTo(200);

        api.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(api.url("/_admin/fault"))).DELETE().build());
        assertThat(api.get("/healthz", null).status()).isEqualTo(200);

        api.post("/_admin/fault", "{\"draining\": true}", null);
        assertThat(api.get("/healthz", null).json().get("status").asText()).isEqualTo("draining");
    }

    @Test
    void errorRateOneFailsEveryApiRequestWith500() {
        api.post("/_admin/fault", "{\"error_rate\": 1}", null);
        var r = api.get("/api/v1/products/1/", access);
        assertThat(r.status()).isEqualTo(500);
        assertThat(r.json().get("errors").get(0).get("code").asText()).isEqualTo("injected_fault");
        api.post("/_admin/fault", "{\"error_rate\": 0}", null);
        assertThat(api.get("/api/v1/products/1/", access).status()).isEqualTo(200);
    }

    @Test
    void extraLatencyHoldsEachRequest() {
        api.post("/_admin/fault", "{\"latency\": \"200ms\"}", null);
        long start = System.nanoTime();
        assertThat(api.get("/api/v1/products/1/", access).status()).isEqualTo(200);
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(200));
        assertThat(api.get("/_admin/fault", null).json().get("latency_ms").asDouble()).isEqualTo(200.0);
    }

    @Test
    void badFaultSettingsChangeNothing() {
        api.post("/_admin/fault", "{\"latency_ms\": 5}", null);
        var bad = api.post("/_admin/fault", "{\"latency_ms\": 10, \"error_rate\": 2}", null);
        assertThat(bad.status()).isEqualTo(400);
        assertThat(bad.json().get("errors").get(0).get("detail").asText()).contains("error_rate");
        var unknown = api.post("/_admin/fault", "{\"latency_ms\": 10, \"explode\": true}", null);
        assertThat(unknown.status()).isEqualTo(400);
        assertThat(unknown.json().get("errors").get(0).get("attr").asText()).isEqualTo("explode");
        assertThat(api.post("/_admin/fault", "{\"latency\": \"soon\"}", null).status()).isEqualTo(400);
        assertThat(api.get("/_admin/fault", null).json().get("latency_ms").asDouble()).isEqualTo(5.0);
        assertThat(api.get("/_admin/fault", null).json().get("error_rate").asDouble()).isZero();
    }
}
