package io.stampede.balancer.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/** {@code max_conns} with nginx Plus's {@code queue}, through the proxy: wait, overflow, timeout, leave. */
class UpstreamQueueTest {
    private static String config(TestBackends b, String queue) {
        return "admin:\n  listen: 127.0.0.1:0\nlocations:\n  /:\n    proxy_pass: http://api\nupstreams:\n  api:\n"
                + "    queue: " + queue + "\n    servers:\n      - " + b.address("a") + " max_conns=1\n";
    }

    private static CompletableFuture<HttpResponse<String>> get(TestProxy proxy, String path, Duration timeout) {
        return proxy.client.sendAsync(HttpRequest.newBuilder(URI.create(proxy.url(path))).timeout(timeout).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static JsonNode queue(TestProxy proxy) throws Exception {
        int port = proxy.server.adminAddress().orElseThrow().getPort();
        HttpResponse<String> r = proxy.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/status")).build());
        return new ObjectMapper().readTree(r.body()).get("upstreams").get("api").get("queue");
    }

    @Test
    void aRequestWaitsForTheBusyServerAndTheOneBeyondTheQueueGets502AtOnce() throws Exception {
        try (TestBackends b = new TestBackends("a")) {
            b.on("a", s -> TestBackends.Action.delay(1500));
            try (TestProxy proxy = new TestProxy(config(b, "1 timeout=30s"))) {
                CompletableFuture<HttpResponse<String>> first = get(proxy, "/1", Duration.ofSeconds(20));
                Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> b.arrivals.size() == 1);
                CompletableFuture<HttpResponse<String>> second = get(proxy, "/2", Duration.ofSeconds(20));
                Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> queue(proxy).get("size").asInt() == 1);
                HttpResponse<String> third = get(proxy, "/3", Duration.ofSeconds(20)).get(10, TimeUnit.SECONDS);
                assertThat(third.statusCode()).isEqualTo(502);
                assertThat(first).as("refused while the first was still being served").isNotDone();
                assertThat(first.get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
                assertThat(second.get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
                assertThat(b.drainSeen()).extracting(TestBackends.Seen::uri).containsExactly("/1", "/2");
                assertThat(queue(proxy).get("overflows").asInt()).isEqualTo(1);
                assertThat(queue(proxy).get("max_size").asInt()).isEqualTo(1);
            }
        }
    }

    @Test
    void aRequestThatWaitsLongerThanTheTimeoutGets502AndTheServerNeverSeesIt() throws Exception {
        try (TestBackends b = new TestBackends("a")) {
            b.on("a", s -> TestBackends.Action.delay(2500));
            try (TestProxy proxy = new TestProxy(config(b, "5 timeout=200ms"))) {
                CompletableFuture<HttpResponse<String>> first = get(proxy, "/1", Duration.ofSeconds(20));
                Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> b.arrivals.size() == 1);
                HttpResponse<String> waited = get(proxy, "/2", Duration.ofSeconds(20)).get(10, TimeUnit.SECONDS);
                assertThat(waited.statusCode()).isEqualTo(502);
                assertThat(first).as("timed out while the first was still being served").isNotDone();
                assertThat(first.get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
                assertThat(b.drainSeen()).extracting(TestBackends.Seen::uri).containsExactly("/1");
                assertThat(queue(proxy).get("overflows").asInt()).isEqualTo(1);
            }
        }
    }

    @Test
    void aClientThatGivesUpLeavesTheQueue() throws Exception {
        try (TestBackends b = new TestBackends("a")) {
            b.on("a", s -> TestBackends.Action.delay(1500));
            try (TestProxy proxy = new TestProxy(config(b, "5"))) {
                CompletableFuture<HttpResponse<String>> first = get(proxy, "/1", Duration.ofSeconds(20));
                Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> b.arrivals.size() == 1);
                CompletableFuture<HttpResponse<String>> impatient = get(proxy, "/gone", Duration.ofMillis(300));
                Awaitility.await().atMost(Duration.ofSeconds(10)).until(impatient::isDone);
                Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> queue(proxy).get("size").asInt() == 0);
                assertThat(first.get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
                // The server is free again and takes the next request; the one that left never arrives.
                assertThat(proxy.get("/after").statusCode()).isEqualTo(200);
                assertThat(b.drainSeen()).extracting(TestBackends.Seen::uri).containsExactly("/1", "/after");
                assertThat(queue(proxy).get("overflows").asInt()).isZero();
            }
        }
    }
}
