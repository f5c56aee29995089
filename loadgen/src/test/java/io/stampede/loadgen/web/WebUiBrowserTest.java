package io.stampede.loadgen.web;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.stampede.api.ApiSettings;
import io.stampede.api.MarketApi;
import io.stampede.api.MarketData;
import io.stampede.common.testing.Chromium;
import io.stampede.loadgen.report.CsvFiles;
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
import java.util.stream.Stream;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The live web UI in a real headless Chromium, as a user drives it: start a test from the form,
 * watch rows and charts move, reload, edit the user count, stop, download the CSV and the report,
 * start a new test; then the swarm process is sent SIGTERM and its files are checked, and the
 * report is opened from disk with the swarm gone (nothing left to fetch from) and draws every chart.
 */
class WebUiBrowserTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    static MarketApi api;
    static MarketApi.Instance target;

    @BeforeAll
    static void start() throws Exception {
        MarketData.Options o = new MarketData.Options(200, 3, 100, 1000, Duration.ofMinutes(5), Duration.ofDays(1));
        api = new MarketApi(MarketData.create(o, "ui-secret-0123456789".getBytes(StandardCharsets.UTF_8), Clock.systemUTC(),
                new Random(5)), 1);
        target = api.start(new ApiSettings("127.0.0.1", 0, null, 64, Duration.ofMillis(1), 256, false));
    }

    @AfterAll
    static void stop() {
        api.close();
    }

    static JsonNode get(String url) throws Exception {
        return JSON.readTree(HTTP.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString()).body());
    }

    @Test
    void aUserStartsWatchesEditsStopsAndDownloadsFromTheBrowser(@TempDir Path dir) throws Exception {
        if (!Chromium.installed()) {
            System.err.println("SKIPPED WebUiBrowserTest: chromium is not installed (apt-get install chromium)");
            Assumptions.abort("chromium is not installed");
        }
        Path downloads = Files.createDirectories(dir.resolve("downloads"));
        try (SwarmProcess swarm = new SwarmProcess(List.of("-f", "../config/market-api.swarm.yaml", "-H", target.url(),
                "-u", "5", "-r", "20", "--web-port", "0", "--only-summary",
                "--csv", dir.resolve("run").toString(), "--html", dir.resolve("run.html").toString()));
             Chromium chrome = new Chromium(dir.resolve("profile"))) {
            chrome.allowDownloads(downloads);
            chrome.navigate(swarm.url);

            // The start form, filled from the command line.
            Awaitility.await("the first status").atMost(Duration.ofSeconds(30)).until(() -> chrome.eval("status !== null").asBoolean());
            assertThat(chrome.eval("document.getElementById('start').hidden").asBoolean()).isFalse();
            assertThat(chrome.eval("document.getElementById('user_count').value").asText()).isEqualTo("5");
            assertThat(chrome.eval("document.getElementById('host_input').value").asText()).isEqualTo(target.url());
            chrome.eval("document.getElementById('user_count').value = '6'; document.getElementById('start-btn').click(); true");

            Awaitility.await("the test running with rows in the table").atMost(Duration.ofSeconds(30)).until(() ->
                    chrome.eval("document.getElementById('state').textContent").asText().equals("RUNNING")
                    && chrome.eval("document.querySelectorAll('#stats-table tbody tr').length").asInt() >= 4);
            assertThat(chrome.eval("document.getElementById('start').hidden").asBoolean()).isTrue();
            assertThat(chrome.eval("document.getElementById('users').textContent").asText()).isEqualTo("6");
            String rows = chrome.eval("document.querySelector('#stats-table tbody').innerText").asText();
            assertThat(rows).contains("/api/v1/auth/token/", "/api/v1/products/[id]/", "Aggregated");

            // Charts: five drawn (overall and per endpoint), growing by a point a second.
            chrome.eval("document.querySelector('nav button[data-tab=charts]').click(); true");
            Awaitility.await("charts with points").atMost(Duration.ofSeconds(30)).until(() ->
                    chrome.eval("document.querySelectorAll('#charts .uplot').length").asInt() == 5
                    && chrome.eval("charts[0].u.data[0].length").asInt() >= 3);
            int points = chrome.eval("charts[0].u.data[0].length").asInt();
            Awaitility.await("the charts moving").atMost(Duration.ofSeconds(30))
                    .until(() -> chrome.eval("charts[0].u.data[0].length").asInt() > points);
            assertThat(chrome.eval("JSON.stringify(Object.keys(T.endpointRps))").asText())
                    .contains("GET /api/v1/products/[id]/", "POST /api/v1/auth/token/refresh/");
            // -Dui.screenshots=DIR keeps a picture of the page to look at.
            Path shots = Path.of(System.getProperty("ui.screenshots", dir.toString()));
            chrome.screenshot(shots.resolve("charts.png"));
            chrome.eval("document.querySelector('nav button[data-tab=stats]').click(); true");
            chrome.screenshot(shots.resolve("statistics.png"));
            chrome.eval("document.querySelector('nav button[data-tab=charts]').click(); true");

            // A reload keeps every chart's past: the page gets the whole run from the server.
            int before = chrome.eval("charts[0].u.data[0].length").asInt();
            chrome.navigate(swarm.url);
            Awaitility.await("charts after a reload").atMost(Duration.ofSeconds(30)).until(() ->
                    chrome.eval("typeof T !== 'undefined' && T !== null && charts.length === 5").asBoolean());
            assertThat(chrome.eval("charts[0].u.data[0].length").asInt()).isGreaterThanOrEqualTo(before);
            assertThat(chrome.eval("document.getElementById('live').hidden").asBoolean()).isFalse();

            // Edit: 6 users become 12.
            chrome.eval("document.getElementById('edit-btn').click(); true");
            assertThat(chrome.eval("document.getElementById('edit').hidden").asBoolean()).isFalse();
            assertThat(chrome.eval("document.getElementById('edit_user_count').value").asText()).isEqualTo("6");
            chrome.eval("document.getElementById('edit_user_count').value = '12'; document.getElementById('edit-submit').click(); true");
            Awaitility.await("12 users").atMost(Duration.ofSeconds(30)).until(() ->
                    chrome.eval("document.getElementById('users').textContent").asText().equals("12"));
            assertThat(get(swarm.url + "stats/requests").path("user_count").asInt()).isEqualTo(12);
            Awaitility.await("the users chart showing 12").atMost(Duration.ofSeconds(30))
                    .until(() -> chrome.eval("Math.max(...T.users)").asInt() == 12);

            // Stop: the numbers stay, New test appears.
            chrome.eval("document.getElementById('stop-btn').click(); true");
            Awaitility.await("stopped").atMost(Duration.ofSeconds(30)).until(() ->
                    chrome.eval("document.getElementById('state').textContent").asText().equals("STOPPED"));
            assertThat(chrome.eval("document.getElementById('new-btn').hidden").asBoolean()).isFalse();
            assertThat(chrome.eval("document.getElementById('stop-btn').hidden").asBoolean()).isTrue();
            JsonNode stats = get(swarm.url + "stats/requests");
            assertThat(stats.path("state").asText()).isEqualTo("stopped");
            JsonNode aggregated = stats.path("stats").get(stats.path("stats").size() - 1);
            assertThat(aggregated.path("name").asText()).isEqualTo("Aggregated");

            // Download Data: the CSV, as a browser saves it.
            chrome.eval("document.querySelector('nav button[data-tab=download]').click();"
                    + " document.getElementById('dl-requests').click(); true");
            Awaitility.await("the CSV downloaded").atMost(Duration.ofSeconds(30)).until(() -> downloaded(downloads, "requests_").size() == 1);
            List<String> csv = Files.readAllLines(downloaded(downloads, "requests_").get(0));
            assertThat(csv.get(0)).isEqualTo(CsvFiles.STATS_HEADER);
            assertThat(csv.get(csv.size() - 1)).startsWith(",Aggregated," + aggregated.path("num_requests").asLong() + ",");
            chrome.eval("document.getElementById('dl-report').click(); true");
            Awaitility.await("the report downloaded").atMost(Duration.ofSeconds(30)).until(() -> downloaded(downloads, "report_").size() == 1);

            // New test: the form again, and a fresh run with fresh charts.
            chrome.eval("document.getElementById('new-btn').click(); true");
            assertThat(chrome.eval("document.getElementById('start').hidden").asBoolean()).isFalse();
            chrome.eval("document.getElementById('user_count').value = '3'; document.getElementById('start-btn').click(); true");
            Awaitility.await("a second test running").atMost(Duration.ofSeconds(30)).until(() ->
                    chrome.eval("document.getElementById('state').textContent").asText().equals("RUNNING")
                    && chrome.eval("document.getElementById('users').textContent").asText().equals("3"));
            assertThat(chrome.eval("Math.max(0, ...T.users)").asInt()).isLessThanOrEqualTo(3);

            int code = swarm.terminate();
            assertThat(code).as(swarm.out.toString()).isZero();
            assertThat(swarm.out.toString()).contains("Test started: 6 users", "Test stopped.", "Test started: 3 users");

            // The files of the test running at SIGTERM.
            List<String> stopped = Files.readAllLines(dir.resolve("run_stats.csv"));
            assertThat(stopped.get(0)).isEqualTo(CsvFiles.STATS_HEADER);
            assertThat(stopped).anyMatch(l -> l.startsWith(",Aggregated,"));
            assertThat(Files.readAllLines(dir.resolve("run_stats_history.csv")).size()).isGreaterThan(1);

            // Both reports open from disk, with the swarm gone, and draw every chart.
            for (Path report : List.of(dir.resolve("run.html"), downloaded(downloads, "report_").get(0))) {
                String html = Files.readString(report);
                assertThat(html).doesNotContainPattern("(?i)(src|href)\\s*=\\s*[\"']?(https?:|/)");
                chrome.navigate(report.toUri().toString());
                assertThat(chrome.eval("document.querySelectorAll('.uplot').length").asInt()).as(report.toString()).isEqualTo(5);
                assertThat(chrome.eval("document.body.innerText").asText()).contains("Requests per second, per endpoint",
                        "Latency from the intended start beside service time");
            }
        }
    }

    private static List<Path> downloaded(Path dir, String prefix) throws Exception {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(f -> f.getFileName().toString().startsWith(prefix) && !f.toString().endsWith(".crdownload")).toList();
        }
    }
}
