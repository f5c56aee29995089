package io.stampede.loadgen.web;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.stampede.api.ApiSettings;
import io.stampede.api.MarketApi;
import io.stampede.api.MarketData;
import io.stampede.common.testing.Chromium;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The UI with 10,000 users: the swarm in its own process (10,000 client sockets), the Market API
 * in this one (10,000 server sockets): each under the 20,000 open files a process may hold here.
 * What the page receives does not grow with users (the statistics are aggregated on the
 * generator), so it keeps applying a tick a second and answering script at once.
 */
class WebUiTenThousandUsersTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final int USERS = 10_000;

    @Test
    void thePageKeepsUpWithTenThousandUsers(@TempDir Path dir) throws Exception {
        if (!Chromium.installed()) {
            System.err.println("SKIPPED WebUiTenThousandUsersTest: chromium is not installed (apt-get install chromium)");
            Assumptions.abort("chromium is not installed");
        }
        MarketData.Options o = new MarketData.Options(50, 3, 100, 1000, Duration.ofMinutes(5), Duration.ofDays(1));
        try (MarketApi api = new MarketApi(MarketData.create(o, "10k-secret-0123456789".getBytes(StandardCharsets.UTF_8),
                Clock.systemUTC(), new Random(7)), 1)) {
            MarketApi.Instance target = api.start(new ApiSettings("127.0.0.1", 0, null, 64, Duration.ZERO, 256, false));
            // Each user sends a request every 5 s: 2,000 req/s in all, over three endpoints.
            Path scenario = dir.resolve("10k.yaml");
            Files.writeString(scenario, """
                    users:
                      Watcher:
                        wait_time: constant(5)
                        tasks:
                          health: {weight: 2, steps: [{get: /healthz}]}
                          paged: {steps: [{get: "/healthz?page=2", name: "/healthz [paged]"}]}
                          missing: {steps: [{get: /nope/, name: /nope}]}
                    """);
            try (SwarmProcess swarm = new SwarmProcess(List.of("-f", scenario.toString(), "-H", target.url(),
                    "-u", String.valueOf(USERS), "-r", "5000", "--web-port", "0", "--only-summary", "--autostart"));
                 Chromium chrome = new Chromium(dir.resolve("profile"))) {
                chrome.navigate(swarm.url);
                Awaitility.await("10,000 users running").atMost(Duration.ofSeconds(60)).until(() ->
                        chrome.eval("document.getElementById('users').textContent").asText().equals("10,000")
                        && chrome.eval("document.getElementById('state').textContent").asText().equals("RUNNING"));
                // Long tasks (over 50 ms on the page's main thread) from here on.
                chrome.eval("window.longTasks = []; new PerformanceObserver(l => l.getEntries().forEach(e =>"
                        + " longTasks.push(e.duration))).observe({entryTypes: ['longtask']}); true");
                int ticks = chrome.eval("ticks").asInt();
                int points = chrome.eval("T.t.length").asInt();
                // Poll the page (a query of its table each time, timed) until it has drawn eight more points.
                long[] slowest = {0};
                long t0 = System.nanoTime();
                Awaitility.await("eight more chart points").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).until(() -> {
                    long asked = System.nanoTime();
                    chrome.eval("document.querySelectorAll('#stats-table tbody tr').length");
                    slowest[0] = Math.max(slowest[0], (System.nanoTime() - asked) / 1_000_000);
                    return chrome.eval("T.t.length").asInt() - points >= 8;
                });
                double seconds = (System.nanoTime() - t0) / 1e9;
                int applied = chrome.eval("ticks").asInt() - ticks;
                JsonNode longTasks = chrome.eval("longTasks");
                double longest = 0;
                for (JsonNode d : longTasks) {
                    longest = Math.max(longest, d.asDouble());
                }
                HttpResponse<String> stats = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(swarm.url + "stats/requests"))
                        .build(), HttpResponse.BodyHandlers.ofString());
                JsonNode s = JSON.readTree(stats.body());
                System.out.printf("10,000 users: %d events and 8 chart points in %.1f s; slowest script answer %d ms; %d long tasks,"
                        + " longest %.0f ms; a status is %d bytes; %s req/s%n", applied, seconds, slowest[0], longTasks.size(), longest,
                        stats.body().length(), s.get("total_rps"));
                assertThat(s.get("user_count").asInt()).isEqualTo(USERS);
                assertThat(s.get("stats")).hasSize(4); // three endpoints and the total, whatever the users
                // Every point came with its event (none dropped, none out of order), and the page answered
                // script within a second every time: it was never frozen for long.
                assertThat(applied).isGreaterThanOrEqualTo(8);
                assertThat(slowest[0]).isLessThan(1_000);
                assertThat(stats.body().length()).isLessThan(16 * 1024);
                assertThat(swarm.terminate()).as(swarm.out.toString()).isIn(0, 1); // 1: the /nope requests failed, as meant
            }
        }
    }
}
