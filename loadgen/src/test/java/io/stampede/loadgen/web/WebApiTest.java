package io.stampede.loadgen.web;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.stampede.api.ApiSettings;
import io.stampede.api.MarketApi;
import io.stampede.loadgen.engine.SwarmSettings;
import io.stampede.loadgen.engine.Target;
import io.stampede.loadgen.report.CsvFiles;
import io.stampede.loadgen.run.RunRequest;
import io.stampede.loadgen.run.RunSession;
import io.stampede.loadgen.scenario.Scenario;
import io.stampede.loadgen.scenario.ScenarioLoader;
import io.stampede.loadgen.stats.StatsSnapshot;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.StringReader;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Locust's web API on our UI, over real HTTP: the paths, form fields and JSON keys scripts use. */
class WebApiTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    static io.stampede.loadgen.MarketTarget market;
    static MarketApi.Instance target;

    static final String SCENARIO = """
            users:
              Reader:
                weight: 3
                wait_time: constant(0.05)
                tasks:
                  health: {steps: [{get: /healthz}]}
              Writer:
                weight: 1
                wait_time: constant(0.05)
                tasks:
                  missing: {steps: [{get: /nope/, name: /nope}]}
            """;

    RunControl control;
    WebUi ui;
    String base;

    @BeforeAll
    static void startApi() throws Exception {
        market = io.stampede.loadgen.MarketTarget.start(50, 3, "web-secret-0123456789", 9);
        target = market.instance;
    }

    @AfterAll
    static void stopApi() {
        market.close();
    }

    void startUi(RunRequest defaults) throws Exception {
        startUi(defaults, null);
    }

    /** @param tls for https:// targets (null: the JDK's trusted CAs) */
    void startUi(RunRequest defaults, io.stampede.loadgen.engine.ClientTls tls) throws Exception {
        Scenario scenario = ScenarioLoader.parse("web.yaml", new StringReader(SCENARIO), Map.of(), Path.of("."));
        RunSession.Spec spec = new RunSession.Spec(scenario, null, "web.yaml", false, null);
        control = new RunControl(spec, defaults, r -> new SwarmSettings(Target.of(r.host()), Map.of(), Duration.ofSeconds(10).toNanos(),
                1 << 20, r.users(), r.spawnRate(), r.runTime(), Duration.ZERO, r.pacer(), 1, 2, List.of(), tls, 0), List::of);
        ui = new WebUi(control, "web.yaml");
        InetSocketAddress at = ui.start(new InetSocketAddress("127.0.0.1", 0));
        base = "http://127.0.0.1:" + at.getPort();
    }

    @AfterEach
    void stopUi() {
        if (control != null) {
            control.close();
        }
        if (ui != null) {
            ui.close();
        }
    }

    HttpResponse<String> get(String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(base + path)).build(), HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> post(String path, String form) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(base + path)).header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(form)).build(), HttpResponse.BodyHandlers.ofString());
    }

    JsonNode stats() throws Exception {
        return JSON.readTree(get("/stats/requests").body());
    }

    static JsonNode aggregated(JsonNode stats) {
        JsonNode list = stats.get("stats");
        return list.get(list.size() - 1);
    }

    @Test
    void locustsPathsFormFieldsAndKeys() throws Exception {
        startUi(new RunRequest(4, 100, target.url(), null, null));
        JsonNode ready = stats();
        assertThat(ready.get("state").asText()).isEqualTo("ready");
        assertThat(ready.get("stats")).hasSize(1);
        assertThat(aggregated(ready).get("name").asText()).isEqualTo("Aggregated");
        assertThat(aggregated(ready).get("num_requests").asLong()).isZero();
        assertThat(get("/stats/report").statusCode()).isEqualTo(404);

        // Bad fields are refused, named, and nothing starts.
        HttpResponse<String> bad = post("/swarm", "user_count=many&spawn_rate=10");
        assertThat(bad.statusCode()).isEqualTo(400);
        assertThat(JSON.readTree(bad.body()).get("message").asText()).isEqualTo("user_count: 'many' is not a whole number");
        assertThat(JSON.readTree(post("/swarm", "user_count=4&spawn_rate=0").body()).get("message").asText()).startsWith("spawn_rate:");
        assertThat(JSON.readTree(post("/swarm", "user_count=4&host=ftp://x").body()).get("message").asText()).startsWith("host:");
        assertThat(JSON.readTree(post("/swarm", "user_count=4&run_time=soon").body()).get("message").asText()).startsWith("run_time:");
        assertThat(stats().get("state").asText()).isEqualTo("ready");
        assertThat(get("/swarm").statusCode()).isEqualTo(405);
        assertThat(get("/nothing-here").statusCode()).isEqualTo(404);

        HttpResponse<String> started = post("/swarm", "user_count=4&spawn_rate=100&host=" + target.url());
        assertThat(started.statusCode()).isEqualTo(200);
        assertThat(JSON.readTree(started.body())).isEqualTo(JSON.readTree(
                "{\"success\":true,\"message\":\"Swarming started\",\"host\":\"" + target.url() + "\"}"));

        // The event stream: the history first, then numbered ticks.
        List<String> events = new ArrayList<>();
        HttpResponse<InputStream> stream = HTTP.send(HttpRequest.newBuilder(URI.create(base + "/events")).build(),
                HttpResponse.BodyHandlers.ofInputStream());
        assertThat(stream.headers().firstValue("content-type")).hasValueSatisfying(v -> assertThat(v).startsWith("text/event-stream"));
        try (BufferedReader r = new BufferedReader(new InputStreamReader(stream.body(), StandardCharsets.UTF_8))) {
            String line;
            while (events.size() < 3 && (line = r.readLine()) != null) {
                if (line.startsWith("event: ")) {
                    events.add(line.substring(7));
                }
            }
        }
        assertThat(events).containsExactly("history", "tick", "tick");

        Awaitility.await("running, with requests and failures").atMost(Duration.ofSeconds(20)).until(() -> {
            JsonNode s = stats();
            return s.get("state").asText().equals("running") && aggregated(s).get("num_requests").asLong() > 40
                    && s.get("errors").size() > 0;
        });
        JsonNode s = stats();
        assertThat(s.get("user_count").asInt()).isEqualTo(4);
        assertThat(s.get("user_classes_count")).isEqualTo(JSON.readTree("{\"Reader\":3,\"Writer\":1}"));
        for (String key : List.of("stats", "errors", "total_rps", "fail_ratio", "current_response_time_percentile_50",
                "current_response_time_percentile_95", "state", "user_count")) {
            assertThat(s.has(key)).as(key).isTrue();
        }
        JsonNode health = s.get("stats").get(0);
        assertThat(health.get("name").asText()).isEqualTo("/healthz");
        for (String key : List.of("method", "name", "safe_name", "num_requests", "num_failures", "avg_response_time",
                "min_response_time", "max_response_time", "median_response_time", "ninetieth_response_time",
                "ninety_ninth_response_time", "avg_content_length", "current_rps", "current_fail_per_sec")) {
            assertThat(health.has(key)).as(key).isTrue();
        }
        assertThat(aggregated(s).get("method").asText()).isEmpty();
        JsonNode error = s.get("errors").get(0);
        assertThat(error.get("method").asText()).isEqualTo("GET");
        assertThat(error.get("name").asText()).isEqualTo("/nope");
        assertThat(error.get("error").asText()).contains("404");
        assertThat(error.get("occurrences").asLong()).isPositive();

        HttpResponse<String> csv = get("/stats/requests/csv");
        assertThat(csv.body()).startsWith(CsvFiles.STATS_HEADER + "\n");
        assertThat(csv.headers().firstValue("content-disposition")).hasValueSatisfying(v -> assertThat(v).matches("attachment;filename=requests_\\d+\\.csv"));
        assertThat(get("/stats/failures/csv").body()).startsWith(CsvFiles.FAILURES_HEADER + "\n").contains("GET,/nope,");
        assertThat(get("/exceptions/csv").body()).isEqualTo(CsvFiles.EXCEPTIONS_HEADER + "\n");
        assertThat(JSON.readTree(get("/exceptions").body())).isEqualTo(JSON.readTree("{\"exceptions\":[]}"));
        JsonNode tasks = JSON.readTree(get("/tasks").body());
        assertThat(tasks.at("/per_class/Reader/ratio").asDouble()).isEqualTo(0.75);
        assertThat(tasks.at("/total/Writer/tasks/missing/ratio").asDouble()).isEqualTo(0.25);

        long before = aggregated(stats()).get("num_requests").asLong();
        assertThat(get("/stats/reset").body()).isEqualTo("ok");
        assertThat(aggregated(stats()).get("num_requests").asLong()).isLessThan(before);

        // Another site's page cannot start or stop load; a page of another host name sees nothing.
        HttpResponse<String> forged = HTTP.send(HttpRequest.newBuilder(URI.create(base + "/stop"))
                .header("Origin", "http://evil.example").build(), HttpResponse.BodyHandlers.ofString());
        assertThat(forged.statusCode()).isEqualTo(403);
        assertThat(HTTP.send(HttpRequest.newBuilder(URI.create(base + "/swarm")).header("Sec-Fetch-Site", "cross-site")
                .POST(HttpRequest.BodyPublishers.ofString("user_count=1")).build(), HttpResponse.BodyHandlers.ofString()).statusCode())
                .isEqualTo(403);
        assertThat(stats().get("state").asText()).isEqualTo("running");
        try (java.net.Socket raw = new java.net.Socket("127.0.0.1", URI.create(base).getPort())) {
            raw.getOutputStream().write("GET /stats/requests HTTP/1.1\r\nHost: evil.example:8089\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            String statusLine = new BufferedReader(new InputStreamReader(raw.getInputStream(), StandardCharsets.US_ASCII)).readLine();
            assertThat(statusLine).isEqualTo("HTTP/1.1 403 Forbidden");
        }

        HttpResponse<String> stop = get("/stop");
        assertThat(JSON.readTree(stop.body())).isEqualTo(JSON.readTree("{\"success\":true,\"message\":\"Test stopped\"}"));
        assertThat(stats().get("state").asText()).isEqualTo("stopped");
        // The page's edit, arriving after the stop, does not start a new test.
        HttpResponse<String> late = post("/swarm", "user_count=9&spawn_rate=10&edit=1");
        assertThat(late.statusCode()).isEqualTo(409);
        assertThat(stats().get("state").asText()).isEqualTo("stopped");
        HttpResponse<String> report = get("/stats/report?download=1");
        assertThat(report.body()).contains("uPlot", "Stampede swarm: " + target.url(), "/healthz");
        assertThat(report.headers().firstValue("content-disposition")).hasValueSatisfying(v -> assertThat(v).contains("report_"));
    }

    /** An https:// target: the status the page reads carries the handshakes (none before, one per user after). */
    @Test
    void anHttpsRunReportsItsTlsHandshakes() throws Exception {
        io.stampede.common.tls.Certificates.Issued cert = io.stampede.common.tls.Certificates.selfSigned(List.of("127.0.0.1"));
        MarketApi.Instance https = market.api().start(new ApiSettings("127.0.0.1", 0, null, 64, Duration.ZERO, 256, false),
                io.netty.handler.ssl.SslContextBuilder.forServer(cert.key(), cert.certificate()).build());
        startUi(new RunRequest(4, 1000, https.url(), null, null),
                io.stampede.loadgen.engine.ClientTls.build(new io.stampede.loadgen.engine.ClientTls.Options(true, null, null, null)));
        assertThat(stats().has("tls_handshakes")).isFalse();
        assertThat(post("/swarm", "").statusCode()).isEqualTo(200);
        Awaitility.await("a handshake per user").atMost(Duration.ofSeconds(20)).until(() -> {
            JsonNode hs = stats().get("tls_handshakes");
            return hs != null && hs.get("count").asLong() == 4;
        });
        JsonNode hs = stats().get("tls_handshakes");
        assertThat(hs.get("resumed").asLong()).isZero();
        assertThat(hs.get("p50_ms").asDouble()).isPositive();
        assertThat(hs.get("max_ms").asDouble()).isGreaterThanOrEqualTo(hs.get("p99_ms").asDouble());
    }

    @Test
    void editKeepsTheClassRatioAndTheOpenModelTakesANewRate() throws Exception {
        startUi(new RunRequest(8, 1000, target.url(), null, null));
        assertThat(post("/swarm", "").statusCode()).isEqualTo(200); // the command line's values, as --autostart uses
        Awaitility.await("8 users").atMost(Duration.ofSeconds(20)).until(() -> stats().get("user_count").asInt() == 8);
        assertThat(stats().get("user_classes_count")).isEqualTo(JSON.readTree("{\"Reader\":6,\"Writer\":2}"));
        assertThat(post("/swarm", "user_count=4&spawn_rate=1000").statusCode()).isEqualTo(200);
        Awaitility.await("4 users").atMost(Duration.ofSeconds(20)).until(() -> stats().get("user_count").asInt() == 4);
        assertThat(stats().get("user_classes_count")).isEqualTo(JSON.readTree("{\"Reader\":3,\"Writer\":1}"));
        assertThat(post("/swarm", "user_count=12&spawn_rate=1000").statusCode()).isEqualTo(200);
        Awaitility.await("12 users").atMost(Duration.ofSeconds(20)).until(() -> stats().get("user_count").asInt() == 12);
        assertThat(stats().get("user_classes_count")).isEqualTo(JSON.readTree("{\"Reader\":9,\"Writer\":3}"));
        // A running closed-model test cannot become an open one.
        HttpResponse<String> switchModel = post("/swarm", "user_count=12&rate=10/s");
        assertThat(switchModel.statusCode()).isEqualTo(400);
        assertThat(JSON.readTree(switchModel.body()).get("message").asText()).startsWith("rate:");
        get("/stop");

        // The open model: arrivals at 20/s, then 50/s after an edit; stopped users leave the free pool.
        assertThat(post("/swarm", "user_count=6&spawn_rate=1000&rate=20/s").statusCode()).isEqualTo(200);
        Awaitility.await("arrivals").atMost(Duration.ofSeconds(20)).until(() -> aggregated(stats()).get("num_requests").asLong() > 10);
        assertThat(stats().get("current_rate").asDouble()).isEqualTo(20.0);
        assertThat(post("/swarm", "user_count=3&spawn_rate=1000&rate=50/s").statusCode()).isEqualTo(200);
        Awaitility.await("the new rate").atMost(Duration.ofSeconds(20)).until(() -> stats().get("current_rate").asDouble() == 50.0
                && stats().get("user_count").asInt() == 3);
        // And back to the rate it started with (the comparison is with the rate in force, not the first).
        assertThat(post("/swarm", "user_count=3&spawn_rate=1000&rate=20/s").statusCode()).isEqualTo(200);
        assertThat(stats().get("current_rate").asDouble()).isEqualTo(20.0);
        assertThat(stats().get("form").get("rate").asText()).isEqualTo("20/s");
        long count = aggregated(stats()).get("num_requests").asLong();
        Awaitility.await("arrivals go on").atMost(Duration.ofSeconds(20)).until(() -> aggregated(stats()).get("num_requests").asLong() > count + 20);
        RunSession run = control.run();
        get("/stop");
        StatsSnapshot last = run.last();
        // Only stopped users' last requests may be cut short; nothing else fails but /nope.
        assertThat(last.errors().keySet()).allMatch(k -> k.name().equals("/nope"));
    }

    @Test
    void prometheusMetricsAgreeExactlyWithTheRunsOwnStatistics() throws Exception {
        startUi(new RunRequest(4, 100, target.url(), Duration.ofMillis(1500), null));
        HttpResponse<String> idle = get("/metrics");
        assertThat(idle.statusCode()).isEqualTo(200);
        assertThat(idle.headers().firstValue("Content-Type")).contains(io.stampede.loadgen.metrics.MetricsServer.CONTENT_TYPE);
        assertThat(Exposition.parse(idle.body())).containsEntry("stampede_swarm_users", 0.0).containsEntry("stampede_swarm_running", 0.0);

        assertThat(post("/swarm", "user_count=4&spawn_rate=100&run_time=1500ms").statusCode()).isEqualTo(200);
        Awaitility.await("the test ends").atMost(Duration.ofSeconds(30)).until(() -> stats().get("state").asText().equals("stopped"));
        Map<String, Double> m = Exposition.parse(get("/metrics").body());
        StatsSnapshot last = control.run().last();
        assertThat(last.endpoints()).hasSize(2);
        for (io.stampede.loadgen.stats.EndpointStats e : last.endpoints()) {
            String labels = "method=\"" + e.endpoint().method() + "\",name=\"" + e.endpoint().name() + "\"";
            assertThat(m.get("stampede_swarm_requests_total{" + labels + "}")).isEqualTo((double) e.requests());
            assertThat(m.get("stampede_swarm_failures_total{" + labels + "}")).isEqualTo((double) e.failures());
            for (String h : List.of("stampede_swarm_latency_seconds", "stampede_swarm_service_time_seconds")) {
                assertThat(m.get(h + "_count{" + labels + "}")).isEqualTo((double) e.requests());
                assertThat(m.get(h + "_bucket{le=\"+Inf\"," + labels + "}")).isEqualTo((double) e.requests());
                // Cumulative buckets in order of their bounds never fall; bounds are written plainly (0.0005, not 5.0E-4).
                List<Map.Entry<Double, Double>> buckets = new ArrayList<>();
                m.forEach((series, count) -> {
                    String prefix = h + "_bucket{le=\"";
                    if (series.startsWith(prefix) && series.endsWith("\"," + labels + "}") && !series.contains("+Inf")) {
                        String le = series.substring(prefix.length(), series.indexOf('"', prefix.length()));
                        assertThat(le).doesNotContain("E");
                        buckets.add(Map.entry(Double.parseDouble(le), count));
                    }
                });
                buckets.sort(Map.Entry.comparingByKey());
                assertThat(buckets).hasSize(io.stampede.loadgen.metrics.SwarmMetrics.bounds().length);
                assertThat(buckets.get(0).getKey()).isEqualTo(0.0005);
                for (int i = 1; i < buckets.size(); i++) {
                    assertThat(buckets.get(i).getValue()).isGreaterThanOrEqualTo(buckets.get(i - 1).getValue());
                }
                org.HdrHistogram.Histogram recorded = h.contains("latency") ? e.latency() : e.service();
                assertThat(m.get(h + "_sum{" + labels + "}")).isCloseTo(recorded.getMean() * recorded.getTotalCount() / 1e6,
                        org.assertj.core.data.Percentage.withPercentage(1));
            }
            // The 2 ms bucket holds what HdrHistogram counts from 0 to 2 ms.
            assertThat(m.get("stampede_swarm_latency_seconds_bucket{le=\"0.002\"," + labels + "}"))
                    .isEqualTo((double) e.latency().getCountBetweenValues(0, 2000));
            assertThat(m.get("stampede_swarm_latency_percentile_seconds{" + labels + ",quantile=\"0.99\"}"))
                    .isEqualTo(e.latency().getValueAtPercentile(99) / 1e6);
        }
        assertThat(m.get("stampede_swarm_failures_total{method=\"GET\",name=\"/nope\"}")).isPositive();
        assertThat(m.get("stampede_swarm_latency_percentile_seconds{method=\"\",name=\"Aggregated\",quantile=\"0.5\"}"))
                .isEqualTo(last.total().latency().getValueAtPercentile(50) / 1e6);
        assertThat(m).containsKeys("stampede_swarm_generator_cpu_ratio", "stampede_swarm_arrival_lag_seconds",
                "stampede_swarm_dropped_arrivals_total", "stampede_swarm_generator_saturated");
        // The swarm's Grafana board asks only for what this exports.
        assertThat(io.stampede.common.testing.GrafanaBoards.check(Path.of("../deploy/grafana/stampede-swarm.json"),
                get("/metrics").body())).isGreaterThan(15);
    }

    /** Prometheus's text format read into series (name with labels as written) and values; HELP and TYPE once per family. */
    static final class Exposition {
        static Map<String, Double> parse(String text) {
            Map<String, Double> series = new java.util.LinkedHashMap<>();
            java.util.Set<String> typed = new java.util.HashSet<>();
            for (String line : text.split("\n")) {
                if (line.startsWith("# TYPE ")) {
                    assertThat(typed.add(line.split(" ")[2])).as("one TYPE line for %s", line).isTrue();
                } else if (!line.isEmpty() && !line.startsWith("#")) {
                    int space = line.lastIndexOf(' ');
                    series.put(line.substring(0, space), Double.parseDouble(line.substring(space + 1)));
                }
            }
            return series;
        }
    }
}
