package io.stampede.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The Market API behind a proxy: its admin stays private, and a stop lets requests in flight finish. */
class EdgeOfTheApiTest {

    @Test
    void aRequestRelayedByAProxyIsRemoteForTheAdminEndpoints() throws Exception {
        try (TestApi api = TestApi.start(2, Duration.ZERO, 16)) {
            assertThat(api.get("/_admin/stats", null).status()).as("direct on loopback").isEqualTo(200);
            for (String header : new String[] {"X-Forwarded-For", "X-Real-IP", "Forwarded"}) {
                String value = header.equals("Forwarded") ? "for=203.0.113.9" : "203.0.113.9";
                HttpRequest fault = HttpRequest.newBuilder(URI.create(api.url("/_admin/fault")))
                        .header(header, value).POST(HttpRequest.BodyPublishers.ofString("{\"error_rate\": 1}")).build();
                TestApi.Response r = api.send(fault);
                assertThat(r.status()).as("POST /_admin/fault with %s", header).isEqualTo(403);
                assertThat(r.body()).contains("not to proxied ones");
            }
            // Nothing was changed by the refused requests: the API still answers.
            assertThat(api.get("/_admin/fault", null).json().get("error_rate").asDouble()).isZero();
        }
    }

    @Test
    void stoppingAnswersTheRequestsInFlightFirst() throws Exception {
        TestApi api = TestApi.start(2, Duration.ZERO, 16);
        String token = api.access();
        api.post("/_admin/fault", "{\"latency\": \"400ms\"}", null);
        CompletableFuture<TestApi.Response> inFlight = CompletableFuture.supplyAsync(() -> api.get("/api/v1/products/1/", token));
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5))
                .until(() -> api.api.instances().size() == 1 && inFlightCount(api) == 1);
        boolean clean = api.api.close(Duration.ofSeconds(5));
        TestApi.Response r = inFlight.get(5, TimeUnit.SECONDS);
        assertThat(r.status()).as("the request in flight at the stop").isEqualTo(200);
        assertThat(r.header("Connection")).isEqualToIgnoringCase("close");
        assertThat(clean).isTrue();
    }

    private static int inFlightCount(TestApi api) {
        // The admin endpoints answer at once, beside the slow request.
        return api.get("/_admin/stats", null).json().get("in_flight").asInt();
    }
}
