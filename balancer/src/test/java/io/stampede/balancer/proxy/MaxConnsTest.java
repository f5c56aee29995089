package io.stampede.balancer.proxy;

import static org.assertj.core.api.Assertions.assertThat;

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
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** max_conns with a queue against real Market API instances: the backends' own counters are the judge. */
class MaxConnsTest {
    @Test
    void noBackendEverSeesMoreThanMaxConnsAtOnceAndTheQueueHoldsTheRest() throws Exception {
        MarketData.Options o = new MarketData.Options(20, 1, 5, 1000, Duration.ofMinutes(5), Duration.ofDays(1));
        try (MarketApi api = new MarketApi(MarketData.create(o, "conns-secret-0123456789".getBytes(StandardCharsets.UTF_8),
                Clock.systemUTC(), new Random(1)), 1)) {
            // Each /healthz holds the backend for 30 ms of "database" time (the fault's latency).
            List<MarketApi.Instance> backends = List.of(
                    api.start(new ApiSettings("127.0.0.1", 0, "A", 64, Duration.ZERO, 256, false)),
                    api.start(new ApiSettings("127.0.0.1", 0, "B", 64, Duration.ZERO, 256, false)));
            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            for (MarketApi.Instance b : backends) {
                http.send(HttpRequest.newBuilder(URI.create(b.url() + "/_admin/fault"))
                        .POST(HttpRequest.BodyPublishers.ofString("{\"latency\": \"30ms\"}")).build(), HttpResponse.BodyHandlers.discarding());
            }
            String yaml = "locations:\n  /:\n    proxy_pass: http://api\nupstreams:\n  api:\n    balance: least_conn\n"
                    + "    queue: 200 timeout=30s\n    servers:\n"
                    + "      - 127.0.0.1:" + backends.get(0).address().getPort() + " max_conns=2\n"
                    + "      - 127.0.0.1:" + backends.get(1).address().getPort() + " max_conns=2\n";
            try (TestProxy proxy = new TestProxy(yaml)) {
                List<CompletableFuture<HttpResponse<String>>> all = new ArrayList<>();
                for (int i = 0; i < 60; i++) {
                    all.add(proxy.client.sendAsync(HttpRequest.newBuilder(URI.create(proxy.url("/api/v1/products/")))
                            .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString()));
                }
                int served = 0;
                for (CompletableFuture<HttpResponse<String>> f : all) {
                    // 401 without a token: answered by the API after holding a worker, which is all this needs.
                    assertThat(f.get().statusCode()).isEqualTo(401);
                    served++;
                }
                assertThat(served).isEqualTo(60);
                ObjectMapper json = new ObjectMapper();
                long total = 0;
                for (MarketApi.Instance b : backends) {
                    var stats = json.readTree(http.send(HttpRequest.newBuilder(URI.create(b.url() + "/_admin/stats")).build(),
                            HttpResponse.BodyHandlers.ofString()).body());
                    assertThat(stats.get("in_flight_max").asInt()).as(b.name()).isBetween(1, 2);
                    total += stats.get("requests_total").asLong();
                }
                assertThat(total).isEqualTo(60);
            }
        }
    }
}
