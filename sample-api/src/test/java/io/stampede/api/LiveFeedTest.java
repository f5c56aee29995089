package io.stampede.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** /api/v1/live: live prices over WebSocket for authenticated users, with the JDK's WebSocket client. */
class LiveFeedTest {
    private final HttpClient http = HttpClient.newHttpClient();

    private WebSocket connect(TestApi api, String token, BlockingQueue<JsonNode> got) throws Exception {
        WebSocket.Builder b = http.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(5));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return b.buildAsync(URI.create(api.url("/api/v1/live").replace("http://", "ws://")), new WebSocket.Listener() {
            private final StringBuilder text = new StringBuilder();

            @Override
            public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
                text.append(data);
                if (last) {
                    try {
                        got.add(TestApi.JSON.readTree(text.toString()));
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                    text.setLength(0);
                }
                ws.request(1);
                return null;
            }
        }).get(10, TimeUnit.SECONDS);
    }

    private static JsonNode next(BlockingQueue<JsonNode> got, String type) throws InterruptedException {
        while (true) {
            JsonNode m = got.poll(10, TimeUnit.SECONDS);
            assertThat(m).as("a '" + type + "' message within 10 s").isNotNull();
            if (m.get("type").asText().equals(type)) {
                return m;
            }
        }
    }

    @Test
    void anAuthenticatedUserSubscribesGetsPricesAndPongs() throws Exception {
        try (TestApi api = TestApi.start(4, Duration.ZERO, 64)) {
            BlockingQueue<JsonNode> got = new LinkedBlockingQueue<>();
            WebSocket ws = connect(api, api.access(), got);
            JsonNode welcome = next(got, "welcome");
            assertThat(welcome.get("served_by").asText()).isNotEmpty();
            ws.sendText("{\"op\":\"subscribe\",\"products\":[1,2,999999],\"interval_ms\":50}", true).get(5, TimeUnit.SECONDS);
            JsonNode subscribed = next(got, "subscribed");
            assertThat(subscribed.get("products")).hasSize(2);
            assertThat(subscribed.get("unknown").get(0).asLong()).isEqualTo(999999);
            JsonNode p1 = next(got, "price");
            JsonNode p2 = next(got, "price");
            assertThat(p2.get("seq").asLong()).isGreaterThan(p1.get("seq").asLong());
            assertThat(p1.get("price").asText()).matches("\\d+\\.\\d\\d");
            ws.sendText("{\"op\":\"ping\",\"id\":7}", true).get(5, TimeUnit.SECONDS);
            assertThat(next(got, "pong").get("id").asInt()).isEqualTo(7);
            ws.sendText("nonsense", true).get(5, TimeUnit.SECONDS);
            assertThat(next(got, "error").get("message").asText()).contains("subscribe");
            assertThat(api.get("/_admin/stats", null).body()).contains("\"live_sessions\":1");
            ws.abort();
            await().atMost(Duration.ofSeconds(10)).until(() -> api.get("/_admin/stats", null).body().contains("\"live_sessions\":0"));
        }
    }

    @Test
    void noTokenOrABadOneIsRefusedWith401() throws Exception {
        try (TestApi api = TestApi.start(4, Duration.ZERO, 64)) {
            for (String token : new String[] {null, "not-a-token"}) {
                assertThatThrownBy(() -> connect(api, token, new LinkedBlockingQueue<>()))
                        .isInstanceOf(ExecutionException.class)
                        .satisfies(e -> assertThat(((WebSocketHandshakeException) e.getCause()).getResponse().statusCode()).isEqualTo(401));
            }
            // A plain GET on the path is not a WebSocket: the API's own 404 for an unknown route.
            assertThat(api.get("/api/v1/live", api.access()).status()).isEqualTo(404);
        }
    }
}
