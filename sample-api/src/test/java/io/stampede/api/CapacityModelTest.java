package io.stampede.api;

import io.stampede.common.testing.RawHttp;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The capacity model: W workers each holding a request for its database time give W/D requests
 * per second whatever the client's concurrency, and a full queue is refused with 503.
 */
class CapacityModelTest {

    @Test
    void throughputFollowsWorkersOverDbLatency() throws Exception {
        int workers = 4;
        Duration db = Duration.ofMillis(50);
        try (TestApi api = TestApi.start(workers, db, 64)) {
            String token = api.access();
            api.post("/_admin/stats/reset", "", null);
            Map<Integer, AtomicInteger> statuses = new ConcurrentHashMap<>();
            int clients = 4 * workers;
            long runNanos = TimeUnit.MILLISECONDS.toNanos(2500);
            ExecutorService pool = Executors.newFixedThreadPool(clients);
            long start = System.nanoTime();
            List<Future<?>> running = new ArrayList<>();
            for (int c = 0; c < clients; c++) {
                int id = 1 + c;
                running.add(pool.submit(() -> {
                    while (System.nanoTime() - start < runNanos) {
                        int status = api.get("/api/v1/products/" + id + "/", token).status();
                        statuses.computeIfAbsent(status, k -> new AtomicInteger()).incrementAndGet();
                    }
                }));
            }
            for (Future<?> f : running) {
                f.get(30, TimeUnit.SECONDS);
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            pool.shutdown();

            Map<Integer, Integer> seen = new TreeMap<>();
            statuses.forEach((k, v) -> seen.put(k, v.get()));
            assertThat(seen).as("statuses").containsOnlyKeys(200);
            double rps = seen.get(200) / seconds;
            double expected = workers / (db.toMillis() / 1000.0);
            assertThat(rps).as("requests/s with W=%d, D=%s (expected %.0f)", workers, db, expected)
                    .isBetween(expected * 0.75, expected * 1.25);
            var stats = api.get("/_admin/stats", null).json();
            assertThat(stats.get("requests_total").asLong()).isEqualTo(seen.get(200).longValue());
            assertThat(stats.get("in_flight_max").asInt()).isLessThanOrEqualTo(clients);
            assertThat(stats.get("rejected_total").asLong()).isZero();
        }
    }

    @Test
    void fullQueueIsRefusedWith503AndRetryAfterAndTheConnectionStaysUsable() throws Exception {
        int workers = 1;
        int queue = 2;
        try (TestApi api = TestApi.start(workers, Duration.ofMillis(600), queue)) {
            String token = api.access();
            api.post("/_admin/stats/reset", "", null);
            int clients = 8;
            List<RawHttp> connections = new ArrayList<>();
            for (int i = 0; i < clients; i++) {
                connections.add(new RawHttp(api.instance.address()));
            }
            String request = "GET /api/v1/products/1/ HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer " + token + "\r\n\r\n";
            for (RawHttp c : connections) {
                c.send(request);
            }
            Map<Integer, Integer> seen = new TreeMap<>();
            List<RawHttp> refused = new ArrayList<>();
            for (RawHttp c : connections) {
                RawHttp.Response r = c.read();
                seen.merge(r.status(), 1, Integer::sum);
                if (r.status() == 503) {
                    assertThat(r.header("Retry-After")).isEqualTo("1");
                    assertThat(r.body()).contains("\"code\":\"throttled\"");
                    refused.add(c);
                }
            }
            assertThat(seen).isEqualTo(Map.of(200, workers + queue, 503, clients - workers - queue));
            var stats = api.get("/_admin/stats", null).json();
            assertThat(stats.get("rejected_total").asLong()).isEqualTo(clients - workers - queue);
            assertThat(stats.get("requests_total").asLong()).isEqualTo(clients);

            // A refused client keeps its connection and is served once there is room.
            RawHttp again = refused.get(0);
            again.send(request);
            assertThat(again.read().status()).isEqualTo(200);
            for (RawHttp c : connections) {
                c.close();
            }
        }
    }
}
