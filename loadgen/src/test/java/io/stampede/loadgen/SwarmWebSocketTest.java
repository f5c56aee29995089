package io.stampede.loadgen;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.stampede.api.MarketApi;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * WebSocket steps in a scenario, against the Market API's live prices: log in, connect with the
 * token, subscribe, expect the confirmation and prices, ping and expect the pong (capturing from
 * it), each recorded as its own WS row; and the failures a user sees (no token, a timeout).
 */
class SwarmWebSocketTest {
    static MarketTarget market;
    static MarketApi.Instance live;

    @BeforeAll
    static void start() throws Exception {
        market = MarketTarget.start(50, 1, "ws-secret-0123456789", 3);
        live = market.instance;
    }

    @AfterAll
    static void stop() {
        market.close();
    }

    private static Map<String, JsonNode> rows(JsonNode summary) {
        Map<String, JsonNode> out = new HashMap<>();
        summary.get("endpoints").forEach(e -> out.put(e.get("method").asText() + " " + e.get("name").asText(), e));
        return out;
    }

    @Test
    void usersSubscribeReceivePricesAndPingOverTheirOwnWebSocket(@TempDir Path dir) throws Exception {
        Path scenario = dir.resolve("live.yaml");
        Files.writeString(scenario, """
                users:
                  Trader:
                    wait_time: constant(0.05)
                    on_start:
                      - post: /api/v1/auth/token/
                        json: {email: demo@market.test, password: demo-password}
                        capture: {token: $.access}
                      - ws_connect: /api/v1/live
                        headers: {Authorization: "Bearer ${token}"}
                        name: live
                      - ws_expect: {json: {"$.type": welcome}}
                        name: welcome
                      - ws_send: {json: {op: subscribe, products: [1, 2], interval_ms: 100}}
                        name: subscribe
                      - ws_expect: {json: {"$.type": subscribed}}
                        timeout: 5s
                        name: subscribed
                        capture: {server: $.served_by}
                    tasks:
                      watch:
                        steps:
                          - ws_expect: {regex: '"type":"price".*"price":"\\d+\\.\\d\\d"'}
                            timeout: 5s
                            name: price
                          - ws_send: {json: {op: ping, id: "${server}"}}
                            name: ping
                          - ws_expect: {json: {"$.type": pong, "$.id": "${server}"}}
                            timeout: 5s
                            name: pong
                """);
        Path json = dir.resolve("s.json");
        SwarmEndToEndTest.Run r = SwarmEndToEndTest.swarm("-f", scenario.toString(), "-H", live.url(), "-u", "4", "-r", "100",
                "-t", "3s", "--headless", "--only-summary", "--json", json.toString());
        assertThat(r.code()).as(r.out() + r.err()).isZero();
        JsonNode s = SwarmEndToEndTest.JSON.readTree(json.toFile());
        Map<String, JsonNode> rows = rows(s);
        assertThat(rows).containsKeys("WS live", "WS welcome", "WS subscribe", "WS subscribed", "WS price", "WS ping", "WS pong");
        assertThat(rows.get("WS live").get("requests").asLong()).isEqualTo(4);
        assertThat(rows.get("WS price").get("requests").asLong()).isGreaterThan(4);
        assertThat(rows.get("WS pong").get("requests").asLong()).isEqualTo(rows.get("WS ping").get("requests").asLong());
        assertThat(s.get("failures").asLong()).isZero();
        // The sessions were open on the server while the users ran, and closed with them.
        assertThat(SwarmEndToEndTest.adminStats(live).get("live_sessions").asInt()).isZero();
    }

    @Test
    void aRefusedHandshakeAndATimeoutAreFailuresOfTheirRows(@TempDir Path dir) throws Exception {
        Path scenario = dir.resolve("bad.yaml");
        Files.writeString(scenario, """
                users:
                  U:
                    wait_time: constant(0.2)
                    tasks:
                      t:
                        steps:
                          - ws_connect: /api/v1/live
                            name: no-token
                          - ws_expect: {contains: never}
                            timeout: 200ms
                            name: nothing
                """);
        Path json = dir.resolve("b.json");
        SwarmEndToEndTest.Run r = SwarmEndToEndTest.swarm("-f", scenario.toString(), "-H", live.url(), "-u", "1", "-r", "10",
                "-t", "1s", "--headless", "--only-summary", "--json", json.toString());
        JsonNode s = SwarmEndToEndTest.JSON.readTree(json.toFile());
        Map<String, JsonNode> rows = rows(s);
        assertThat(rows.get("WS no-token").get("failures").asLong()).isEqualTo(rows.get("WS no-token").get("requests").asLong())
                .isPositive();
        assertThat(rows.get("WS nothing").get("failures").asLong()).isPositive();
        assertThat(r.out() + Files.readString(json)).contains("401");
    }

    @Test
    void theShippedLivePricesScenarioRunsCleanly(@TempDir Path dir) throws Exception {
        Path json = dir.resolve("live.json");
        SwarmEndToEndTest.Run r = SwarmEndToEndTest.swarm("-f", "../config/market-live.swarm.yaml", "-H", live.url(), "-u", "5",
                "-r", "50", "-t", "3s", "--headless", "--only-summary", "--json", json.toString());
        assertThat(r.code()).as(r.out() + r.err()).isZero();
        JsonNode s = SwarmEndToEndTest.JSON.readTree(json.toFile());
        assertThat(s.get("failures").asLong()).as(r.out()).isZero();
        assertThat(rows(s).get("WS price").get("requests").asLong()).isPositive();
    }
}
