package io.stampede.loadgen.fleet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.stampede.common.Cli;
import io.stampede.loadgen.MarketTarget;
import io.stampede.loadgen.SwarmCommand;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code stampede swarm --processes N}: real worker processes (this JVM's class path and flags)
 * against a Market API in this JVM, the parent's numbers held to the server's own count.
 */
class FleetTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    static MarketTarget market;
    static final ExecutorService RUNS = Executors.newCachedThreadPool();

    /** One request per task after a log-in: arrivals and server counts line up one to one. */
    static final String ONE_REQUEST = MarketTarget.oneRequestScenario("constant(0.02)");

    @BeforeAll
    static void start() throws Exception {
        market = MarketTarget.start(50, 3, "fleet-secret-0123456789", 5);
    }

    @AfterAll
    static void stop() {
        market.close();
        RUNS.shutdownNow();
    }

    record Run(int code, String out, String err) {}

    static Run swarm(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = command(out, err).execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    static CommandLine command(StringWriter out, StringWriter err) {
        CommandLine cmd = Cli.configure(new CommandLine(new SwarmCommand()));
        cmd.setOut(new PrintWriter(out, true));
        cmd.setErr(new PrintWriter(err, true));
        return cmd;
    }

    static long served() throws Exception {
        return served(market);
    }

    static void resetServed() throws Exception {
        resetServed(market);
    }

    static long served(MarketTarget market) throws Exception {
        return JSON.readTree(HTTP.send(HttpRequest.newBuilder(URI.create(market.url() + "/_admin/stats")).build(),
                HttpResponse.BodyHandlers.ofString()).body()).get("requests_total").asLong();
    }

    static void resetServed(MarketTarget market) throws Exception {
        HTTP.send(HttpRequest.newBuilder(URI.create(market.url() + "/_admin/stats/reset")).POST(HttpRequest.BodyPublishers.noBody())
                .build(), HttpResponse.BodyHandlers.ofString());
    }

    static List<Long> pids(String out) {
        Matcher m = Pattern.compile("Worker processes: \\d+ ready in [\\d.]+ s \\(pids ([\\d ]+)\\)").matcher(out);
        return m.find() ? Arrays.stream(m.group(1).trim().split(" ")).map(Long::parseLong).toList() : List.of();
    }

    @Test
    void twoWorkerProcessesAddUpToExactlyWhatTheServerAnswered(@TempDir Path dir) throws Exception {
        resetServed();
        Run r = swarm("-f", "../config/market-api.swarm.yaml", "-H", market.url(), "-u", "10", "-r", "50", "-t", "3s",
                "--headless", "--only-summary", "--processes", "2", "--json", dir.resolve("run.json").toString(),
                "--csv", dir.resolve("run").toString(), "--hdr-log", dir.resolve("run.hlog").toString());
        assertThat(r.code()).as("out:%n%s%nerr:%n%s", r.out(), r.err()).isZero();
        assertThat(r.err()).doesNotContain("LEAK");
        List<Long> pids = pids(r.out());
        assertThat(pids).hasSize(2);
        JsonNode summary = JSON.readTree(dir.resolve("run.json").toFile());
        long requests = summary.get("requests").asLong();
        assertThat(requests).isGreaterThan(50);
        assertThat(summary.get("failures").asLong()).isZero();
        assertThat(served()).as("the server's count").isEqualTo(requests);
        String aggregated = Files.readAllLines(dir.resolve("run_stats.csv")).stream().filter(l -> l.startsWith(",Aggregated,"))
                .findFirst().orElseThrow();
        assertThat(Long.parseLong(aggregated.split(",")[2])).isEqualTo(requests);
        // Both workers' users ran: each logged in (one log-in per user, 5 each).
        JsonNode login = null;
        for (JsonNode e : summary.get("endpoints")) {
            if (e.get("name").asText().equals("/api/v1/auth/token/")) {
                login = e;
            }
        }
        assertThat(login).isNotNull();
        assertThat(login.get("requests").asLong()).isGreaterThanOrEqualTo(10);
        // The parent's HdrHistogram log holds every request, merged.
        Run merged = swarmReportMerge(dir.resolve("run.hlog"), dir.resolve("merged.json"));
        assertThat(merged.code()).as(merged.out() + merged.err()).isZero();
        assertThat(JSON.readTree(dir.resolve("merged.json").toFile()).get("requests").asLong()).isEqualTo(requests);
        for (long pid : pids) {
            await("worker " + pid + " to exit").atMost(Duration.ofSeconds(20))
                    .until(() -> ProcessHandle.of(pid).map(p -> !p.isAlive()).orElse(true));
        }
    }

    static Run swarmReportMerge(Path log, Path json) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cmd = Cli.configure(new CommandLine(new io.stampede.loadgen.compare.ReportCommand()));
        cmd.setOut(new PrintWriter(out, true));
        cmd.setErr(new PrintWriter(err, true));
        int code = cmd.execute("merge", log.toString(), "--json", json.toString());
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    void theMergedP99IsThePercentileOfEveryRawLatencyOfEveryWorker(@TempDir Path dir) throws Exception {
        Path scenario = dir.resolve("one.yaml");
        Files.writeString(scenario, ONE_REQUEST);
        Run r = swarm("-f", scenario.toString(), "-H", market.url(), "-u", "12", "-r", "100", "-t", "3s", "--headless",
                "--only-summary", "--processes", "3", "--json", dir.resolve("raw.json").toString(), "--raw-log",
                dir.resolve("raw.csv").toString());
        assertThat(r.code()).as("out:%n%s%nerr:%n%s", r.out(), r.err()).isZero();
        assertThat(r.out()).contains("Raw log: each worker writes its own, " + dir.resolve("raw.0.csv"));
        assertThat(dir.resolve("raw.csv")).doesNotExist();
        List<Long> latencies = new java.util.ArrayList<>();
        org.HdrHistogram.Histogram all = new org.HdrHistogram.Histogram(3_600_000_000L, 3);
        for (int i = 0; i < 3; i++) {
            List<String> rows = Files.readAllLines(dir.resolve("raw." + i + ".csv"));
            assertThat(rows.get(0)).isEqualTo(io.stampede.loadgen.stats.RawLog.HEADER.trim());
            assertThat(rows).as("worker %d's rows", i).hasSizeGreaterThan(10);
            for (String row : rows.subList(1, rows.size())) {
                String[] f = row.split(",", -1);
                assertThat(f).hasSize(7);
                long micros = Long.parseLong(f[3]);
                latencies.add(micros);
                all.recordValue(micros);
            }
        }
        JsonNode summary = JSON.readTree(dir.resolve("raw.json").toFile());
        assertThat((long) latencies.size()).as("rows against the summary's count").isEqualTo(summary.get("requests").asLong());
        java.util.Collections.sort(latencies);
        long mergedP99 = Math.round(summary.get("latency_ms").get("p99").asDouble() * 1000);
        // The histogram of every raw value has the merged run's p99, to the microsecond...
        assertThat(all.getValueAtPercentile(99)).isEqualTo(mergedP99);
        // ...and the raw values' own p99 (by rank) lies in that value's bucket (3 significant digits).
        long rawP99 = latencies.get((int) Math.ceil(0.99 * latencies.size()) - 1);
        assertThat(rawP99).isBetween(all.lowestEquivalentValue(mergedP99), all.highestEquivalentValue(mergedP99));
    }

    @Test
    void theOpenModelsArrivalsAreSplitSoTheirSumIsTheAskedRate(@TempDir Path dir) throws Exception {
        Path scenario = dir.resolve("one.yaml");
        Files.writeString(scenario, ONE_REQUEST);
        resetServed();
        Run r = swarm("-f", scenario.toString(), "-H", market.url(), "-u", "40", "--rate", "200/s", "-t", "3s",
                "--headless", "--only-summary", "--processes", "2", "--json", dir.resolve("open.json").toString());
        assertThat(r.code()).as("out:%n%s%nerr:%n%s", r.out(), r.err()).isZero();
        JsonNode summary = JSON.readTree(dir.resolve("open.json").toFile());
        long products = 0;
        for (JsonNode e : summary.get("endpoints")) {
            if (e.get("name").asText().equals("/api/v1/products/1/")) {
                products = e.get("requests").asLong();
            }
        }
        // 200/s for 3 s, split 100/s each: the sum is the schedule's 600 (give or take the stop's moment).
        assertThat(products).isBetween(540L, 660L);
        assertThat(summary.get("dropped").asLong()).isZero();
        assertThat(served()).isEqualTo(summary.get("requests").asLong());
    }

    @Test
    void aWorkerKilledMidRunIsReportedAndTheRunEndsWithTheOthersNumbers(@TempDir Path dir) throws Exception {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cmd = command(out, err);
        CompletableFuture<Integer> code = CompletableFuture.supplyAsync(() -> cmd.execute("-f", "../config/market-api.swarm.yaml",
                "-H", market.url(), "-u", "4", "-r", "50", "-t", "6s", "--headless", "--only-summary", "--processes", "2",
                "--json", dir.resolve("k.json").toString()), RUNS);
        List<Long> pids = await("the workers").atMost(Duration.ofSeconds(60)).until(() -> pids(out.toString()), p -> p.size() == 2);
        await("requests from both").atMost(Duration.ofSeconds(30)).until(() -> served() > 20);
        ProcessHandle.of(pids.get(1)).orElseThrow().destroyForcibly();
        int exit = code.get(60, java.util.concurrent.TimeUnit.SECONDS);
        assertThat(exit).as("out:%n%s%nerr:%n%s", out, err).isEqualTo(1);
        assertThat(err.toString()).contains("worker 1 (pid " + pids.get(1) + ") is gone");
        JsonNode summary = JSON.readTree(dir.resolve("k.json").toFile());
        assertThat(summary.get("requests").asLong()).isPositive();
        assertThat(summary.get("failures").asLong()).isZero();
    }

    @Test
    void aWorkerThatCannotStartItsRunIsNamedAndTheOthersRunOnWithoutWaitingForIt(@TempDir Path dir) throws Exception {
        Files.createDirectories(dir.resolve("raw.1.csv")); // worker 1 cannot open its raw log; the parent checked only raw.csv
        resetServed();
        Run r = swarm("-f", "../config/market-api.swarm.yaml", "-H", market.url(), "-u", "4", "-r", "50", "-t", "3s",
                "--headless", "--only-summary", "--processes", "2", "--raw-log", dir.resolve("raw.csv").toString(),
                "--json", dir.resolve("f.json").toString());
        assertThat(r.code()).as("out:%n%s%nerr:%n%s", r.out(), r.err()).isEqualTo(1);
        assertThat(r.err()).contains("worker 1: cannot write the raw log " + dir.resolve("raw.1.csv"))
                .doesNotContain("did not send its last statistics");
        JsonNode summary = JSON.readTree(dir.resolve("f.json").toFile());
        assertThat(summary.get("requests").asLong()).isPositive().isEqualTo(served());
        assertThat(Files.readAllLines(dir.resolve("raw.0.csv"))).hasSize((int) summary.get("requests").asLong() + 1);
    }

    @Test
    void theWarmUpResetHappensInTheParentOverEveryWorker(@TempDir Path dir) throws Exception {
        resetServed();
        Run r = swarm("-f", "../config/market-api.swarm.yaml", "-H", market.url(), "-u", "6", "-r", "100", "-t", "3s",
                "--warmup", "1s", "--headless", "--only-summary", "--processes", "2", "--json", dir.resolve("w.json").toString());
        assertThat(r.code()).as("out:%n%s%nerr:%n%s", r.out(), r.err()).isZero();
        assertThat(r.out()).contains("Statistics reset: all 6 users spawned, warm-up of 1s done");
        JsonNode summary = JSON.readTree(dir.resolve("w.json").toFile());
        long measured = summary.get("requests").asLong();
        assertThat(measured).isPositive().isLessThan(served()); // the log-ins and the first second are not measured
        for (JsonNode e : summary.get("endpoints")) {
            if (e.get("name").asText().equals("/api/v1/auth/token/")) {
                assertThat(e.get("requests").asLong()).as("log-ins after the reset").isZero();
            }
        }
    }

    @Test
    void workersEndWhenTheirParentIsKilled() throws Exception {
        List<String> cmd = new java.util.ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dio.netty.leakDetection.level=paranoid", "-cp", System.getProperty("java.class.path"),
                io.stampede.loadgen.SwarmMain.class.getName(), "-f", "../config/market-api.swarm.yaml", "-H", market.url(),
                "-u", "4", "-r", "50", "-t", "60s", "--headless", "--only-summary", "--processes", "2"));
        Process parent = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        StringBuffer out = new StringBuffer();
        Thread reader = new Thread(() -> {
            try (java.io.BufferedReader r = new java.io.BufferedReader(new java.io.InputStreamReader(parent.getInputStream()))) {
                for (String line; (line = r.readLine()) != null; ) {
                    out.append(line).append('\n');
                }
            } catch (java.io.IOException e) {
                out.append(e);
            }
        });
        reader.setDaemon(true);
        reader.start();
        try {
            List<Long> pids = await("the workers").atMost(Duration.ofSeconds(60)).until(() -> pids(out.toString()), p -> p.size() == 2);
            parent.destroyForcibly();
            for (long pid : pids) {
                await("worker " + pid + " to exit after its parent").atMost(Duration.ofSeconds(30))
                        .until(() -> ProcessHandle.of(pid).map(p -> !p.isAlive()).orElse(true));
            }
        } finally {
            parent.destroyForcibly();
        }
    }

    @Test
    void aWorkerGetsThisJvmsFlagsButNotItsDebuggerAgentsJmxPortsOrFiles() {
        assertThat(Fleet.workerFlags(List.of("-Xmx2g", "-XX:+UseParallelGC", "-Dio.netty.leakDetection.level=paranoid",
                "-agentlib:jdwp=transport=dt_socket,server=y,address=5005", "-agentpath:/opt/ap/libasyncProfiler.so=start",
                "-javaagent:/jacoco.jar=destfile=x.exec", "-XX:StartFlightRecording=filename=a.jfr",
                "-Dcom.sun.management.jmxremote.port=9010", "-Xlog:gc*:file=gc.log", "-Xlog:gc", "-XX:HeapDumpPath=/tmp/h.hprof",
                "-XX:+HeapDumpOnOutOfMemoryError", "-XX:ErrorFile=/tmp/err.log", "-XX:+ExitOnOutOfMemoryError")))
                .containsExactly("-Xmx2g", "-XX:+UseParallelGC", "-Dio.netty.leakDetection.level=paranoid", "-Xlog:gc",
                        "-XX:+HeapDumpOnOutOfMemoryError", "-XX:+ExitOnOutOfMemoryError");
    }

    @Test
    void badCombinationsAreRefusedBeforeAnyProcessStarts() {
        Run zero = swarm("-f", "../config/market-api.swarm.yaml", "-H", market.url(), "--headless", "-t", "1s", "--processes", "0");
        assertThat(zero.code()).isEqualTo(2);
        assertThat(zero.err()).contains("--processes: 0 (expected 1 to 64)");
        Run few = swarm("-f", "../config/market-api.swarm.yaml", "-H", market.url(), "--headless", "-t", "1s", "-u", "2",
                "--processes", "3");
        assertThat(few.code()).isEqualTo(2);
        assertThat(few.err()).contains("--processes 3 with 2 users leaves a process none");
        Run seg = swarm("-f", "../config/market-api.swarm.yaml", "-H", market.url(), "--headless", "-t", "1s", "-u", "4",
                "--processes", "2", "--segment", "0/2");
        assertThat(seg.code()).isEqualTo(2);
        assertThat(seg.err()).contains("leave out --segment");
        Run worker = swarm("-f", "../config/market-api.swarm.yaml", "--worker", "--processes", "2");
        assertThat(worker.code()).isEqualTo(2);
        assertThat(worker.err()).contains("leave out --worker");
        assertThat(zero.out() + few.out() + seg.out() + worker.out()).doesNotContain("Worker processes");
    }

    @Test
    void quickModeSplitsTheConnections() throws Exception {
        resetServed();
        Run r = swarm(market.url() + "/api/v1/products/", "-c", "4", "-d", "2s", "--processes", "2");
        // Unauthenticated: every request is a 401, counted as a failure (exit 1), all of them.
        assertThat(r.code()).as("out:%n%s%nerr:%n%s", r.out(), r.err()).isEqualTo(1);
        Matcher m = Pattern.compile("(\\d+) requests in").matcher(r.out());
        assertThat(m.find()).as(r.out()).isTrue();
        assertThat(served()).isEqualTo(Long.parseLong(m.group(1)));
    }
}
