package io.stampede.loadgen.fleet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.stampede.loadgen.MarketTarget;
import io.stampede.loadgen.SwarmMain;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The web UI over worker processes: one page for all of them, live, with Locust's Edit sent to
 * every worker, and the final numbers those the server counted.
 */
class FleetWebUiTest {

    @Test
    void onePageDrivesAndAddsUpEveryWorker(@TempDir Path dir) throws Exception {
        Path scenario = dir.resolve("one.yaml");
        Files.writeString(scenario, FleetTest.ONE_REQUEST);
        try (MarketTarget market = MarketTarget.start(20, 3, "fleet-web-secret-0123456", 2)) {
            List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-Dio.netty.leakDetection.level=paranoid", "-cp", System.getProperty("java.class.path"), SwarmMain.class.getName(),
                    "-f", scenario.toString(), "-H", market.url(), "--web-port", "0", "--processes", "2"));
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            StringBuffer out = new StringBuffer();
            Thread reader = new Thread(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                    for (String line; (line = r.readLine()) != null; ) {
                        out.append(line).append('\n');
                    }
                } catch (Exception e) {
                    out.append(e);
                }
            });
            reader.setDaemon(true);
            reader.start();
            try {
                String base = await("the web UI").atMost(Duration.ofSeconds(60)).until(() -> {
                    Matcher m = Pattern.compile("Web UI: (http://\\S+)/").matcher(out);
                    if (!m.find() && !p.isAlive()) {
                        throw new AssertionError("the swarm exited with " + p.exitValue() + ":\n" + out);
                    }
                    return m.find(0) ? m.group(1) : null;
                }, u -> u != null);
                List<Long> pids = FleetTest.pids(out.toString());
                assertThat(pids).as(out.toString()).hasSize(2);
                FleetTest.resetServed(market);

                assertThat(post(base, "/swarm", "user_count=4&spawn_rate=100").statusCode()).isEqualTo(200);
                await("4 users over both workers, requests counted").atMost(Duration.ofSeconds(30)).until(() -> {
                    JsonNode s = stats(base);
                    return s.get("user_count").asInt() == 4 && aggregated(s).get("num_requests").asLong() > 40;
                });
                assertThat(stats(base).get("user_classes_count").get("U").asInt()).isEqualTo(4);

                assertThat(post(base, "/swarm", "user_count=6&spawn_rate=100&edit=1").statusCode()).isEqualTo(200);
                await("6 users after the edit").atMost(Duration.ofSeconds(30)).until(() -> stats(base).get("user_count").asInt() == 6);

                HttpResponse<String> tooFew = post(base, "/swarm", "user_count=1&spawn_rate=100&edit=1");
                assertThat(tooFew.statusCode()).isEqualTo(400);
                assertThat(tooFew.body()).contains("user_count: 1 users for 2 worker processes");

                get(base, "/stop");
                await("stopped").atMost(Duration.ofSeconds(30)).until(() -> stats(base).get("state").asText().equals("stopped"));
                JsonNode last = stats(base);
                assertThat(aggregated(last).get("num_failures").asLong()).isZero();
                assertThat(aggregated(last).get("num_requests").asLong()).as("the page's total against the server's count")
                        .isEqualTo(FleetTest.served(market));

                // A second test over the same workers: fresh statistics, counted as exactly.
                FleetTest.resetServed(market);
                assertThat(post(base, "/swarm", "user_count=2&spawn_rate=100").statusCode()).isEqualTo(200);
                await("the second test running").atMost(Duration.ofSeconds(30)).until(() -> {
                    JsonNode s = stats(base);
                    return s.get("user_count").asInt() == 2 && aggregated(s).get("num_requests").asLong() > 20;
                });
                get(base, "/stop");
                await("stopped again").atMost(Duration.ofSeconds(30)).until(() -> stats(base).get("state").asText().equals("stopped"));
                assertThat(aggregated(stats(base)).get("num_requests").asLong()).as("the second test's total")
                        .isEqualTo(FleetTest.served(market));
            } finally {
                p.destroy();
                assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
            }
            assertThat(out.toString()).doesNotContain("LEAK");
            for (long pid : FleetTest.pids(out.toString())) {
                await("worker " + pid + " to exit").atMost(Duration.ofSeconds(20))
                        .until(() -> ProcessHandle.of(pid).map(ph -> !ph.isAlive()).orElse(true));
            }
        }
    }

    static HttpResponse<String> get(String base, String path) throws Exception {
        return FleetTest.HTTP.send(HttpRequest.newBuilder(URI.create(base + path)).build(), HttpResponse.BodyHandlers.ofString());
    }

    static HttpResponse<String> post(String base, String path, String form) throws Exception {
        return FleetTest.HTTP.send(HttpRequest.newBuilder(URI.create(base + path)).header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(form)).build(), HttpResponse.BodyHandlers.ofString());
    }

    static JsonNode stats(String base) throws Exception {
        return FleetTest.JSON.readTree(get(base, "/stats/requests").body());
    }

    static JsonNode aggregated(JsonNode stats) {
        JsonNode list = stats.get("stats");
        return list.get(list.size() - 1);
    }
}
