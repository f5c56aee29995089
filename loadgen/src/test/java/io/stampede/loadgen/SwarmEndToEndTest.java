package io.stampede.loadgen;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.stampede.api.ApiSettings;
import io.stampede.api.MarketApi;
import io.stampede.api.MarketData;
import io.stampede.common.Cli;
import java.io.PrintWriter;
import java.io.StringWriter;
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
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The swarm against a real Market API on loopback, through the command line. */
class SwarmEndToEndTest {
    static MarketApi api;
    static MarketApi.Instance fast;
    static MarketApi.Instance slow;
    static final ObjectMapper JSON = new ObjectMapper();
    static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @BeforeAll
    static void start() throws Exception {
        MarketData.Options o = new MarketData.Options(200, 3, 100, 1000, Duration.ofMinutes(5), Duration.ofDays(1));
        api = new MarketApi(MarketData.create(o, "e2e-secret-0123456789".getBytes(StandardCharsets.UTF_8), Clock.systemUTC(),
                new Random(3)), 1);
        fast = api.start(new ApiSettings("127.0.0.1", 0, null, 64, Duration.ofMillis(1), 256, false));
        slow = api.start(new ApiSettings("127.0.0.1", 0, null, 4, Duration.ofMillis(300), 256, false));
    }

    @AfterAll
    static void stop() {
        api.close();
    }

    record Run(int code, String out, String err) {}

    static Run swarm(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cmd = Cli.configure(new CommandLine(new SwarmCommand()));
        cmd.setOut(new PrintWriter(out, true));
        cmd.setErr(new PrintWriter(err, true));
        int code = cmd.execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    static JsonNode adminStats(MarketApi.Instance i) throws Exception {
        return JSON.readTree(HTTP.send(HttpRequest.newBuilder(URI.create(i.url() + "/_admin/stats")).build(),
                HttpResponse.BodyHandlers.ofString()).body());
    }

    static void resetStats(MarketApi.Instance i) throws Exception {
        HTTP.send(HttpRequest.newBuilder(URI.create(i.url() + "/_admin/stats/reset")).POST(HttpRequest.BodyPublishers.noBody()).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void theSeedScenarioRunsWithZeroFailuresAndEveryCountAgrees(@TempDir Path dir) throws Exception {
        resetStats(fast);
        Run r = swarm("-f", "../config/market-api.swarm.yaml", "-H", fast.url(), "-u", "10", "-r", "20", "-t", "4s",
                "--headless", "--only-summary", "--csv", dir.resolve("run").toString(), "--json", dir.resolve("run.json").toString(),
                "--hdr-log", dir.resolve("run.hlog").toString());
        assertThat(r.code()).as("exit code; out:%n%s%nerr:%n%s", r.out(), r.err()).isZero();
        JsonNode summary = JSON.readTree(dir.resolve("run.json").toFile());
        long requests = summary.get("requests").asLong();
        assertThat(requests).isGreaterThan(50);
        assertThat(summary.get("failures").asLong()).isZero();
        assertThat(summary.get("mode").asText()).isEqualTo("closed");
        assertThat(summary.get("endpoints")).extracting(e -> e.get("name").asText())
                .contains("/api/v1/auth/token/", "/api/v1/products/[id]/");
        assertThat(summary.get("latency_ms").get("p99").asDouble()).isGreaterThanOrEqualTo(summary.get("service_ms").get("p50").asDouble());
        String aggregated = Files.readAllLines(dir.resolve("run_stats.csv")).stream().filter(l -> l.startsWith(",Aggregated,"))
                .findFirst().orElseThrow();
        assertThat(Long.parseLong(aggregated.split(",")[2])).isEqualTo(requests);
        assertThat(adminStats(fast).get("requests_total").asLong()).isEqualTo(requests);
        assertThat(r.out()).contains("Aggregated").contains("Response time percentiles");
        assertThat(Files.size(dir.resolve("run.hlog"))).isGreaterThan(100);
    }

    @Test
    void warmupLeavesTheLoginsAndTheFirstSecondOutOfTheStatistics(@TempDir Path dir) throws Exception {
        Path scenario = dir.resolve("login-once.yaml");
        Files.writeString(scenario, MarketTarget.oneRequestScenario("constant(0.05)"));
        Run r = swarm("-f", scenario.toString(), "-H", fast.url(), "-u", "3", "-r", "100", "-t", "3s", "--warmup", "1s",
                "--headless", "--only-summary", "--json", dir.resolve("w.json").toString());
        assertThat(r.code()).as(r.out() + r.err()).isZero();
        JsonNode j = JSON.readTree(dir.resolve("w.json").toFile());
        // Locust's reset keeps an endpoint's row but zeroes it: the logins happened before.
        for (JsonNode e : j.get("endpoints")) {
            assertThat(e.get("requests").asLong()).as(e.get("name").asText())
                    .isEqualTo(e.get("name").asText().equals("/api/v1/auth/token/") ? 0 : j.get("requests").asLong());
        }
        assertThat(j.get("requests").asLong()).isPositive();
        // Reset at least 1 s after spawning ended, in a 3 s run: at most 2 s measured.
        assertThat(j.get("duration_s").asDouble()).isBetween(0.5, 2.05);
    }

    @Test
    void theHtmlReportIsOneFileWithTablesChartsAndTheirDataInline(@TempDir Path dir) throws Exception {
        Path html = dir.resolve("report/run.html");
        Run r = swarm("-f", "../config/market-api.swarm.yaml", "-H", fast.url(), "-u", "6", "-r", "20", "-t", "3s",
                "--headless", "--only-summary", "--html", html.toString());
        assertThat(r.code()).as(r.out() + r.err()).isZero();
        String page = Files.readString(html);
        assertThat(page).startsWith("<!DOCTYPE html>")
                .contains("<h2>Statistics</h2>", "/api/v1/products/[id]/", "Aggregated", "Latency from the intended start beside service time")
                .contains("const DATA = {\"t\":[", "\"endpointRps\":{\"POST /api/v1/auth/token/\"")
                .contains("new uPlot(") // the charts' script
                .contains("uPlot=function"); // uPlot itself, inline
        // Nothing is fetched: no external script, style or image.
        assertThat(page).doesNotContainPattern("(?i)(src|href)\\s*=\\s*[\"']?https?:");
    }

    @Test
    void theHtmlReportDrawsEveryChartInAHeadlessBrowserWithNoNetwork(@TempDir Path dir) throws Exception {
        Path chromium = Path.of("/usr/bin/chromium");
        if (!Files.isExecutable(chromium)) {
            System.err.println("SKIPPED SwarmEndToEndTest.theHtmlReportDrawsEveryChart...: chromium is not installed (apt-get install chromium)");
            org.junit.jupiter.api.Assumptions.abort("chromium is not installed");
        }
        Path html = dir.resolve("run.html");
        Run r = swarm("-f", "../config/market-api.swarm.yaml", "-H", fast.url(), "-u", "4", "-r", "20", "-t", "3s",
                "--headless", "--only-summary", "--html", html.toString());
        assertThat(r.code()).as(r.out() + r.err()).isZero();
        // The flags keep Chromium off the network entirely (this machine's network is closed anyway).
        Process p = new ProcessBuilder(chromium.toString(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--user-data-dir=" + dir.resolve("profile"), "--virtual-time-budget=3000", "--dump-dom", html.toUri().toString())
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String dom = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
        // Users, requests/s, response times, and per endpoint requests/s and p95: five drawn charts.
        assertThat(dom.split("class=\"uplot ", -1).length - 1).as(dom.length() > 2000 ? dom.substring(0, 2000) : dom).isEqualTo(5);
        assertThat(dom).contains("<canvas", "Requests per second, per endpoint", "p95 response time per endpoint");
    }

    @Test
    void quickModeLikeWrk() {
        Run r = swarm(fast.url() + "/healthz", "-c", "8", "-d", "2s");
        assertThat(r.code()).as(r.out() + r.err()).isZero();
        assertThat(r.out()).contains("8 connections").contains("Latency Distribution").containsPattern("Requests/sec: +\\d+");
    }

    @Test
    void failedRequestsExitWithTheErrorCodeAndAreReported() {
        Run r = swarm(fast.url() + "/nope/", "-c", "2", "-d", "1s");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.out()).contains("HTTPError('404 Client Error: Not Found for url: /nope/')");
        assertThat(swarm(fast.url() + "/nope/", "-c", "2", "-d", "1s", "--exit-code-on-error", "0").code()).isZero();
    }

    @Test
    void aFailedThresholdExits99AndSaysWhy() {
        Run r = swarm(fast.url() + "/healthz", "-c", "2", "-d", "1s", "--threshold", "p99<0.001ms", "--threshold", "fail_ratio<0.5");
        assertThat(r.code()).isEqualTo(99);
        assertThat(r.out()).contains("FAIL p99<0.001ms: p99 was").contains("PASS fail_ratio<0.5");
    }

    @Test
    void openModelKeepsTheRateAndCountsDroppedArrivals(@TempDir Path dir) throws Exception {
        Run steady = swarm(fast.url() + "/healthz", "-c", "4", "-d", "3s", "--rate", "40/s", "--json", dir.resolve("a.json").toString());
        assertThat(steady.code()).as(steady.out() + steady.err()).isZero();
        JsonNode a = JSON.readTree(dir.resolve("a.json").toFile());
        assertThat(a.get("mode").asText()).isEqualTo("quick");
        assertThat(a.get("requests").asLong()).isBetween(100L, 125L);
        assertThat(a.get("dropped").asLong()).isZero();

        // One user against a 300 ms endpoint cannot keep 20 arrivals a second: the rest are dropped, not delayed.
        HTTP.send(HttpRequest.newBuilder(URI.create(slow.url() + "/_admin/fault"))
                .POST(HttpRequest.BodyPublishers.ofString("{\"latency\": \"300ms\"}")).build(), HttpResponse.BodyHandlers.ofString());
        Run starved = swarm(slow.url() + "/api/v1/products/", "-c", "1", "-d", "2s", "--rate", "20/s",
                "--json", dir.resolve("b.json").toString(), "--exit-code-on-error", "0");
        JsonNode b = JSON.readTree(dir.resolve("b.json").toFile());
        assertThat(b.get("dropped").asLong()).isGreaterThan(25);
        assertThat(b.get("requests").asLong()).isLessThan(12);
    }

    @Test
    void scenarioMistakesStopBeforeAnythingRuns(@TempDir Path dir) throws Exception {
        Path bad = dir.resolve("bad.yaml");
        Files.writeString(bad, "users:\n  U:\n    tasks:\n      t:\n        steps:\n          - get: /x/${missing}/\n");
        Run r = swarm("-f", bad.toString(), "-H", fast.url(), "-t", "1s", "--headless");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).contains(bad + ":6: users.U: ${missing} is never set");
        assertThat(swarm("-f", "../config/market-api.swarm.yaml", "--rate", "fast", "-H", fast.url()).err())
                .contains("'fast' is not a rate");
        assertThat(swarm(List.of("http://127.0.0.1:1/", "--threshold", "p99 < soon").toArray(String[]::new)).code()).isEqualTo(2);
        Run zero = swarm("http://127.0.0.1:1/", "-c", "0");
        assertThat(zero.code()).isEqualTo(2);
        assertThat(zero.err()).contains("invalid value for -c/--connections: 0 (expected 1 to 100000)");
    }

    @Test
    void feedsSequentialTasksTagsAndChecksWorkTogether(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("accounts.csv"), "email,password\nuser1@market.test,password1\nuser2@market.test,password2\n");
        Path scenario = dir.resolve("s.yaml");
        Files.writeString(scenario, """
                data:
                  accounts: {csv: accounts.csv}
                users:
                  Reader:
                    feed: accounts
                    sequential: true
                    wait_time: constant(0.05)
                    on_start:
                      - post: /api/v1/auth/token/
                        json: {email: "${accounts.email}", password: "${accounts.password}"}
                        capture: {token: $.access}
                        expect: {status: 200}
                    tasks:
                      first:
                        tags: [read]
                        steps:
                          - get: /api/v1/products/?page_size=2
                            name: list
                            headers: {Authorization: "Bearer ${token}"}
                            capture: {first_id: "$.results[0].id", next: 'regex:page=(\\d+)'}
                            expect: {json: {"$.count": "200"}, contains: results}
                      second:
                        tags: [read]
                        steps:
                          - get: /api/v1/products/${first_id}/
                            name: detail
                            headers: {Authorization: "Bearer ${token}"}
                            expect: {status: [200, 201], json: {"$.id": "${first_id}"}}
                      never:
                        tags: [write]
                        steps:
                          - post: /api/v1/products/
                            json: {name: x, price: "1.00"}
                            headers: {Authorization: "Bearer ${token}"}
                """);
        Run r = swarm("-f", scenario.toString(), "-H", fast.url(), "-u", "2", "-r", "10", "-t", "2s", "--headless",
                "--only-summary", "-T", "read", "--json", dir.resolve("f.json").toString());
        assertThat(Files.exists(dir.resolve("f.json"))).as("out:%n%s%nerr:%n%s", r.out(), r.err()).isTrue();
        JsonNode j = JSON.readTree(dir.resolve("f.json").toFile());
        assertThat(j.get("endpoints")).extracting(e -> e.get("method").asText() + " " + e.get("name").asText())
                .containsExactlyInAnyOrder("POST /api/v1/auth/token/", "GET list", "GET detail");
        long list = 0;
        long detail = 0;
        for (JsonNode e : j.get("endpoints")) {
            if (e.get("name").asText().equals("list")) {
                list = e.get("requests").asLong();
            } else if (e.get("name").asText().equals("detail")) {
                detail = e.get("requests").asLong();
            }
        }
        // Sequential: the two tasks alternate, so their counts differ by at most one per user.
        assertThat(Math.abs(list - detail)).isLessThanOrEqualTo(2);
        assertThat(list).isGreaterThan(5);
        // Checks read variables too: the detail's id equals the id captured from the list.
        assertThat(j.get("failures").asLong()).as(j.get("errors").toString()).isZero();
        assertThat(r.code()).isZero();
    }

    @Test
    void stopTimeoutLetsUsersFinishTheirTask(@TempDir Path dir) throws Exception {
        Path scenario = dir.resolve("stop.yaml");
        Files.writeString(scenario, """
                users:
                  U:
                    tasks:
                      slow:
                        steps:
                          - get: /healthz
                            name: first
                          - sleep: 1500ms
                          - get: /healthz
                            name: second
                """);
        Run abrupt = swarm("-f", scenario.toString(), "-H", fast.url(), "-u", "2", "-r", "100", "-t", "500ms", "--headless",
                "--only-summary", "--json", dir.resolve("a.json").toString());
        Run graceful = swarm("-f", scenario.toString(), "-H", fast.url(), "-u", "2", "-r", "100", "-t", "500ms", "--headless",
                "--only-summary", "--stop-timeout", "5s", "--json", dir.resolve("b.json").toString());
        assertThat(abrupt.code()).isZero();
        assertThat(graceful.code()).isZero();
        assertThat(names(dir.resolve("a.json"))).containsExactly("first");
        assertThat(names(dir.resolve("b.json"))).containsExactlyInAnyOrder("first", "second");
    }

    private static List<String> names(Path json) throws Exception {
        List<String> out = new java.util.ArrayList<>();
        JSON.readTree(json.toFile()).get("endpoints").forEach(e -> out.add(e.get("name").asText()));
        return out;
    }

    @Test
    void oneUserServesEveryArrivalWhateverWorkerItLivesOn(@TempDir Path dir) throws Exception {
        Run r = swarm(fast.url() + "/healthz", "-c", "1", "-d", "2s", "--rate", "20/s", "--json", dir.resolve("one.json").toString());
        JsonNode j = JSON.readTree(dir.resolve("one.json").toFile());
        assertThat(j.get("dropped").asLong()).as(r.out()).isZero();
        assertThat(j.get("requests").asLong()).isBetween(35L, 45L);
    }

    @Test
    void aTaskWhoseVariableWasNeverCapturedIsAbandonedAsAnExceptionNotARequest(@TempDir Path dir) throws Exception {
        Path scenario = dir.resolve("fail.yaml");
        Files.writeString(scenario, """
                users:
                  U:
                    on_start:
                      - post: /api/v1/auth/token/
                        json: {email: demo@market.test, password: wrong}
                        capture: {token: $.access}
                    tasks:
                      t:
                        steps:
                          - get: /api/v1/products/
                            headers: {Authorization: "Bearer ${token}"}
                """);
        long t0 = System.nanoTime();
        Run r = swarm("-f", scenario.toString(), "-H", fast.url(), "-u", "2", "-r", "10", "-t", "1s", "--headless",
                "--only-summary", "--json", dir.resolve("fail.json").toString(), "--csv", dir.resolve("fail").toString());
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(8));
        assertThat(r.code()).isEqualTo(1); // the two logins failed (401)
        JsonNode j = JSON.readTree(dir.resolve("fail.json").toFile());
        // Only the logins were requests; every task after them was abandoned before sending anything.
        assertThat(j.get("requests").asLong()).isEqualTo(2);
        assertThat(j.get("failures").asLong()).isEqualTo(2);
        assertThat(j.get("exceptions").get(0).get("message").asText())
                .isEqualTo("MissingVariable: variable ${token} has no value (not captured yet?) (GET /api/v1/products/)");
        assertThat(j.get("exceptions").get(0).get("count").asLong()).isGreaterThan(100);
        assertThat(Files.readAllLines(dir.resolve("fail_exceptions.csv")).get(1))
                .matches("\\d+,MissingVariable: variable \\$\\{token} has no value \\(not captured yet\\?\\) \\(GET /api/v1/products/\\),,local");
        assertThat(r.out()).contains("Exceptions (tasks abandoned");
    }

    @Test
    void withoutHeadlessTheWebUiServesAutostartsAndAutoquits(@TempDir Path dir) throws Exception {
        Run r = swarm("-f", "../config/market-api.swarm.yaml", "-H", fast.url(), "-u", "3", "-r", "30", "-t", "2s",
                "--web-port", "0", "--autostart", "--autoquit", "0", "--only-summary", "--json", dir.resolve("ui.json").toString(),
                "--html", dir.resolve("ui.html").toString());
        assertThat(r.code()).as(r.out() + r.err()).isZero();
        assertThat(r.out()).containsPattern("Web UI: http://127\\.0\\.0\\.1:\\d+/").contains("Test started: 3 users", "Test stopped.",
                "Response time percentiles");
        assertThat(JSON.readTree(dir.resolve("ui.json").toFile()).get("requests").asLong()).isPositive();
        assertThat(Files.readString(dir.resolve("ui.html"))).contains("Requests per second, per endpoint");
    }

    @Test
    void theWebUiRunsStagesWarmUpAndTheHdrLogAsHeadlessRunsDo(@TempDir Path dir) throws Exception {
        // One run lifecycle for both modes: the flags that once ran headless only work with the UI.
        Path scenario = dir.resolve("health.yaml");
        Files.writeString(scenario, """
                users:
                  U:
                    tasks:
                      t: {steps: [{get: /healthz}]}
                """);
        Run r = swarm("-f", scenario.toString(), "-H", fast.url(), "-u", "8", "--stages", "1s:20/s,2s:20/s",
                "--warmup", "1s", "--web-port", "0", "--autostart", "--autoquit", "0", "--only-summary",
                "--hdr-log", dir.resolve("ui.hlog").toString(), "--json", dir.resolve("ui.json").toString());
        assertThat(r.code()).as(r.out() + r.err()).isZero();
        assertThat(r.out()).contains("Test started: 8 users, arrivals 1s:20/s,2s:20/s against", "(for 3s)",
                "Statistics reset: all", "warm-up of 1s done", "Test stopped.");
        JsonNode j = JSON.readTree(dir.resolve("ui.json").toFile());
        assertThat(j.get("mode").asText()).isEqualTo("open");
        // Reset a second after the log-ins, in a 3 s schedule: about 2 s measured, at the stages' second rate.
        assertThat(j.get("duration_s").asDouble()).isBetween(1.0, 2.5);
        assertThat(j.get("requests").asLong()).isBetween(20L, 50L); // one request an arrival
        assertThat(Files.readAllLines(dir.resolve("ui.hlog"))).filteredOn(l -> !l.startsWith("#") && !l.startsWith("\"")
                && !l.isBlank()).hasSizeGreaterThanOrEqualTo(2);
    }

    @Test
    void outputFilesThatCannotBeWrittenAreRefusedBeforeTheRun(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("a-file"), "");
        for (String flag : new String[] {"--json", "--html", "--hdr-log", "--csv"}) {
            Run r = swarm(fast.url() + "/healthz", "-c", "2", "-d", "1s", flag, file.resolve("out").toString());
            assertThat(r.code()).as(flag + ": " + r.err()).isEqualTo(2);
            assertThat(r.err()).contains(flag, file.toString(), "is a file").doesNotContain("Exception");
            assertThat(r.out()).as("nothing ran").doesNotContain("Requests/sec", "Generator warm-up");
        }
        Run isDir = swarm(fast.url() + "/healthz", "-c", "2", "-d", "1s", "--json", dir.toString());
        assertThat(isDir.code()).isEqualTo(2);
        assertThat(isDir.err()).contains("--json " + dir + ": is a directory");
    }

    @Test
    void webUiFlagsThatCannotWorkAreRefused() throws Exception {
        try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            Run busy = swarm("-f", "../config/market-api.swarm.yaml", "-H", fast.url(), "--web-port", String.valueOf(taken.getLocalPort()));
            assertThat(busy.code()).isEqualTo(1);
            assertThat(busy.err()).contains("cannot serve the web UI on 127.0.0.1:" + taken.getLocalPort(), "--web-port");
        }
    }

    @Test
    void aHeadlessRunServesPrometheusMetricsWhileItRunsAndClosesThePortAfter() throws Exception {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cmd = Cli.configure(new CommandLine(new SwarmCommand()));
        cmd.setOut(new PrintWriter(out, true));
        cmd.setErr(new PrintWriter(err, true));
        java.util.concurrent.CompletableFuture<Integer> code = java.util.concurrent.CompletableFuture.supplyAsync(() ->
                cmd.execute(fast.url() + "/healthz", "-c", "3", "-d", "4s", "--metrics-port", "0"));
        java.util.regex.Pattern at = java.util.regex.Pattern.compile("Metrics: (http://\\S+/metrics)");
        String[] url = new String[1];
        org.awaitility.Awaitility.await("the metrics address").atMost(Duration.ofSeconds(30)).until(() -> {
            java.util.regex.Matcher m = at.matcher(out.toString());
            return m.find() && (url[0] = m.group(1)) != null;
        });
        org.awaitility.Awaitility.await("three users sending").atMost(Duration.ofSeconds(30)).until(() -> {
            String text = HTTP.send(HttpRequest.newBuilder(URI.create(url[0])).timeout(Duration.ofSeconds(5)).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            return text.contains("stampede_swarm_users 3.0")
                    && text.contains("stampede_swarm_requests_total{method=\"GET\",name=\"/healthz\"}")
                    && text.contains("stampede_swarm_latency_seconds_bucket{le=\"0.001\",method=\"GET\",name=\"/healthz\"}");
        });
        assertThat(code.get(60, java.util.concurrent.TimeUnit.SECONDS)).as("exit code; out:%n%s%nerr:%n%s", out, err).isZero();
        assertThat(refuses(url[0])).isTrue();
    }

    /**
     * Whether nothing listens at {@code url} any more: a new connection is refused. (Not an HTTP
     * request: the shared client would send it on a kept-alive connection, and wait for good if
     * that one were never answered.)
     */
    static boolean refuses(String url) {
        URI u = URI.create(url);
        try (java.net.Socket s = new java.net.Socket()) {
            s.connect(new java.net.InetSocketAddress(u.getHost(), u.getPort()), 5_000);
            return false;
        } catch (java.io.IOException e) {
            return true;
        }
    }

    @Test
    void workerModeRefusesWhatItCannotRunWithOneLine() {
        Run url = swarm("--worker", fast.url() + "/healthz");
        assertThat(url.code()).isEqualTo(2);
        assertThat(url.err()).contains("--worker runs a scenario's classes: give -f FILE, not a URL");
        Run rate = swarm("--worker", "-f", "../config/market-api.swarm.yaml", "--rate", "10/s", "-t", "1s");
        assertThat(rate.code()).isEqualTo(2);
        assertThat(rate.err()).contains("--worker runs the master's closed model");
        Run warmup = swarm("--worker", "-f", "../config/market-api.swarm.yaml", "--warmup", "5s");
        assertThat(warmup.code()).isEqualTo(2);
        assertThat(warmup.err()).contains("leave out --reset-stats and --warmup");
        Run port = swarm("--worker", "-f", "../config/market-api.swarm.yaml", "--master-port", "0");
        assertThat(port.code()).isEqualTo(2);
        assertThat(port.err()).contains("invalid value for --master-port: 0");
    }

    @Test
    void segmentsShareTheUsersSoTheyAddUpExactly() {
        List<String> seen = new java.util.ArrayList<>();
        for (int i = 0; i < 3; i++) {
            Run r = swarm("-f", "../config/market-api.swarm.yaml", "-H", fast.url(), "-u", "10", "-r", "100", "-t", "1s",
                    "--headless", "--only-summary", "--segment", i + "/3", "--no-generator-warmup");
            assertThat(r.code()).as(r.err()).isIn(0, 1);
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("closed model, (\\d+) users").matcher(r.out());
            assertThat(m.find()).as(r.out()).isTrue();
            seen.add(m.group(1));
        }
        assertThat(seen).containsExactly("4", "3", "3");
        assertThat(swarm("-f", "../config/market-api.swarm.yaml", "-H", fast.url(), "--headless", "-t", "1s", "--segment", "3/3").err())
                .contains("invalid value for --segment: '3/3'");
        assertThat(swarm("-f", "../config/market-api.swarm.yaml", "-H", fast.url(), "-t", "1s", "--segment", "0/2").err())
                .contains("--segment is for --headless runs");
    }

    /** A worker whose master never answers says so, keeps its loop free, and stops at SIGTERM at once. */
    @Test
    void aWorkerWithNoMasterSaysSoAndStillStopsAtOnce(@TempDir Path dir) throws Exception {
        int closed;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            closed = s.getLocalPort();
        }
        Path log = dir.resolve("worker.log");
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                System.getProperty("java.class.path"), SwarmMain.class.getName(), "--worker", "-f", "../config/market-api.swarm.yaml",
                "--master-port", String.valueOf(closed), "--no-generator-warmup")
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            org.awaitility.Awaitility.await("the warning").atMost(Duration.ofSeconds(40))
                    .until(() -> Files.readString(log).contains("no answer yet from a Locust master"));
            p.destroy(); // SIGTERM
            assertThat(p.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)).as(Files.readString(log)).isTrue();
            assertThat(p.exitValue()).isZero();
        } finally {
            p.destroyForcibly();
        }
    }
}
