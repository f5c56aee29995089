package io.stampede.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code stampede bench} as users run it: its own process, starting the others. Every test checks
 * that nothing it started outlives it.
 */
class BenchProcessTest {
    private static Process bench(Path log, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), PartMain.class.getName(), "bench"));
        command.addAll(List.of(args));
        return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    /** Every process the bench started, collected while it runs (they are gone from its tree once it ends). */
    private static List<ProcessHandle> treeOf(Process p) {
        return p.descendants().toList();
    }

    private static void assertAllGone(List<ProcessHandle> started) {
        Awaitility.await().atMost(Duration.ofSeconds(20)).untilAsserted(() ->
                assertThat(started).as("processes the bench started").noneMatch(ProcessHandle::isAlive));
    }

    @Test
    void quickBenchWritesTheTableAndJsonAndBalancingBeatsTheDirectRun(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("results");
        Path log = dir.resolve("bench.log");
        Process p = bench(log, "--quick", "--out", out.toString());
        List<ProcessHandle> seen = new ArrayList<>();
        try {
            while (!p.waitFor(200, TimeUnit.MILLISECONDS)) {
                treeOf(p).stream().filter(h -> !seen.contains(h)).forEach(seen::add);
            }
            String printed = Files.readString(log);
            assertThat(p.exitValue()).as(printed).isZero();
            assertThat(printed).contains("speedup").contains("Throughput: ").contains("Tail latency: ");

            JsonNode j = new ObjectMapper().readTree(out.resolve("bench.json").toFile());
            assertThat(j.get("preset").asText()).isEqualTo("homogeneous");
            assertThat(j.get("backends").asInt()).isEqualTo(4);
            assertThat(j.get("load").get("users").asInt()).isPositive();
            List<String> names = new ArrayList<>();
            j.get("rows").forEach(r -> names.add(r.get("name").asText()));
            assertThat(names).containsExactly("direct", "round_robin", "weighted", "least_conn", "ip_hash", "hash", "random");
            for (JsonNode r : j.get("rows")) {
                assertThat(r.fieldNames()).toIterable().contains("name", "algorithm", "backends", "requests", "rps",
                        "failures", "fail_ratio", "latency_ms", "share");
                assertThat(r.get("latency_ms").fieldNames()).toIterable().containsExactly("p50", "p95", "p99", "p999", "max");
                assertThat(r.get("requests").asLong()).as(r.get("name").asText()).isPositive();
                assertThat(r.get("share")).hasSize(4);
                double shares = 0;
                for (JsonNode s : r.get("share")) {
                    shares += s.asDouble();
                }
                assertThat(shares).isCloseTo(1.0, org.assertj.core.data.Offset.offset(0.01));
            }
            JsonNode direct = j.get("rows").get(0);
            assertThat(direct.get("share").elements().next().asDouble()).isEqualTo(1.0);
            // One saturated instance against four: the best balanced row must serve clearly more.
            double best = 0;
            for (int i = 1; i < j.get("rows").size(); i++) {
                best = Math.max(best, j.get("rows").get(i).get("good_rps").asDouble());
            }
            assertThat(best).as(printed).isGreaterThan(1.5 * direct.get("good_rps").asDouble());
            assertThat(out.resolve("bench.md")).content().contains("| direct |");
            assertThat(out.resolve("bench.html")).content().contains("uPlot=function",
                    "\"names\":[\"direct\",\"round_robin\",\"weighted\",\"least_conn\",\"ip_hash\",\"hash\",\"random\"]");
            assertThat(out.resolve("runs/least_conn_stats.csv")).exists();
            assertThat(out.resolve("runs/least_conn.hlog")).exists();
            assertThat(out.resolve("configs/proxy.yaml")).content().contains("  /ip_hash/:\n    proxy_pass: http://ip_hash/")
                    .contains("balance: ip_hash");
        } finally {
            p.destroyForcibly();
        }
        assertThat(seen).as("the bench started its parts as processes").hasSizeGreaterThanOrEqualTo(6);
        assertAllGone(seen);
    }

    @Test
    void theReloadPresetReloadsTheProxyEverySecondAndLosesNothing(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("results");
        Path log = dir.resolve("bench.log");
        Process p = bench(log, "--preset", "reload", "--quick", "--algorithms", "round_robin,least_conn", "--out", out.toString());
        try {
            assertThat(p.waitFor(240, TimeUnit.SECONDS)).as(Files.readString(log)).isTrue();
            String printed = Files.readString(log);
            assertThat(p.exitValue()).as(printed).isZero();
            assertThat(printed).contains("Reload: the proxy's configuration was reloaded");
            JsonNode j = new ObjectMapper().readTree(out.resolve("bench.json").toFile());
            assertThat(j.get("preset").asText()).isEqualTo("reload");
            for (JsonNode r : j.get("rows")) {
                if (r.get("name").asText().equals("direct")) {
                    continue;
                }
                JsonNode reloads = r.get("disruption");
                assertThat(reloads.get("reloads_sent").asInt()).as(r.toString()).isGreaterThanOrEqualTo(3);
                assertThat(reloads.get("reloads_applied").asInt()).isEqualTo(reloads.get("reloads_sent").asInt());
                assertThat(reloads.get("reloads_refused").asInt()).isZero();
                // Backends may refuse (503) when their own queues overflow; the proxy loses nothing.
                assertThat(r.get("failures").asLong()).as(r.toString()).isLessThanOrEqualTo(Math.max(0, r.get("backend_503s").asLong()));
            }
        } finally {
            p.destroyForcibly();
        }
    }

    /**
     * The TLS preset with a real nginx beside our proxy: the same round robin with the swarm on
     * cleartext, on TLS and on HTTP/2 over TLS, through each.
     */
    @Test
    void tlsWithNginxComparesEachProtocolThroughOursAndARealNginx(@TempDir Path dir) throws Exception {
        if (Nginx.binary().isEmpty()) {
            System.err.println("SKIPPED BenchProcessTest.tlsWithNginxComparesEachProtocolThroughOursAndARealNginx: nginx is not installed (apt-get install nginx)");
            org.junit.jupiter.api.Assumptions.abort("nginx is not installed");
        }
        Path out = dir.resolve("results");
        Path log = dir.resolve("bench.log");
        Process p = bench(log, "--preset", "tls", "--quick", "--with-nginx", "--out", out.toString());
        List<ProcessHandle> seen = new ArrayList<>();
        try {
            while (!p.waitFor(200, TimeUnit.MILLISECONDS)) {
                treeOf(p).stream().filter(h -> !seen.contains(h)).forEach(seen::add);
            }
            assertThat(p.exitValue()).as(Files.readString(log)).isZero();
            JsonNode rows = new ObjectMapper().readTree(out.resolve("bench.json").toFile()).get("rows");
            assertThat(rows).extracting(r -> r.get("name").asText()).containsExactly("direct", "round_robin",
                    "round_robin-https", "round_robin-h2", "round_robin-tls-both", "nginx", "nginx-https", "nginx-h2", "nginx-tls-both");
            for (int i = 1; i < rows.size(); i++) {
                JsonNode row = rows.get(i);
                assertThat(row.get("requests").asLong()).as(row.get("name").asText()).isPositive();
                assertThat(row.get("fail_ratio").asDouble()).as(row.get("name").asText()).isLessThan(0.01);
                assertThat(row.get("share")).allSatisfy(s -> assertThat(s.asDouble()).isBetween(0.15, 0.35));
            }
            assertThat(out.resolve("configs/proxy.yaml")).content().contains("  - 127.0.0.1:0 ssl http2\n")
                    .contains("ssl_certificate: tls/bench.crt");
            assertThat(out.resolve("configs/nginx-h2.nginx.conf")).content().contains(" ssl http2;");
            assertThat(out.resolve("configs/proxy.yaml")).content().contains("proxy_pass: https://round_robin-tls-both/");
            assertThat(out.resolve("configs/nginx-tls-both.nginx.conf")).content().contains("proxy_pass https://market_api;");
            for (String row : List.of("round_robin-h2", "nginx-h2")) {
                assertThat(out.resolve("logs/swarm-" + row + ".log")).content().as(row).contains("HTTP/2 (h2 by ALPN): ");
            }
            assertThat(out.resolve("logs/swarm-round_robin-https.log")).content().doesNotContain("HTTP/2");
        } finally {
            p.destroyForcibly();
        }
        assertAllGone(seen);
    }

    /** Stops a bench mid-run with {@code stop} and checks that every part it had started is gone. */
    private static void stopMidRun(Path dir, java.util.function.Consumer<Process> stop) throws Exception {
        Path out = dir.resolve("results");
        Process p = bench(dir.resolve("bench.log"), "--quick", "--algorithms", "round_robin", "--out", out.toString());
        try {
            // Wait until the backends run and a swarm is loading them.
            Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> Files.exists(out.resolve("logs/swarm-warmup.log"))
                    && treeOf(p).size() >= 6);
            List<ProcessHandle> started = treeOf(p);
            stop.accept(p);
            assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertAllGone(started);
        } finally {
            p.destroyForcibly();
        }
    }

    @Test
    void interruptedBenchStopsEveryPart(@TempDir Path dir) throws Exception {
        stopMidRun(dir, p -> {
            try {
                new ProcessBuilder("kill", "-INT", String.valueOf(p.pid())).start().waitFor(); // Ctrl-C
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        });
    }

    @Test
    void partsDieWithABenchKilledOutright(@TempDir Path dir) throws Exception {
        // SIGKILL: no shutdown hook runs; the parts notice their parent is gone.
        stopMidRun(dir, Process::destroyForcibly);
    }

    @Test
    void aPartThatCannotStartIsNamedAndNothingIsLeft(@TempDir Path dir) throws Exception {
        Path log = dir.resolve("bench.log");
        try (ServerSocket taken = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            int port = taken.getLocalPort();
            Process p = bench(log, "--quick", "--port", String.valueOf(port), "--out", dir.resolve("results").toString());
            List<ProcessHandle> seen = new ArrayList<>();
            while (!p.waitFor(100, TimeUnit.MILLISECONDS)) {
                treeOf(p).stream().filter(h -> !seen.contains(h)).forEach(seen::add);
            }
            String printed = Files.readString(log);
            assertThat(p.exitValue()).as(printed).isEqualTo(1);
            assertThat(printed).contains("stampede bench: the Market API #1 (port " + port + ") failed to start")
                    .contains("cannot listen on 127.0.0.1:" + port);
            assertAllGone(seen);
        }
    }

    @Test
    void badFlagsAreOneLineErrors(@TempDir Path dir) throws Exception {
        for (String[] args : List.of(new String[] {"--preset", "flat"}, new String[] {"--backends", "1"},
                new String[] {"--algorithms", "round_robin,fastest"}, new String[] {"--backend", "http://127.0.0.1:1"},
                new String[] {"--preset", "failure", "--backend", "http://127.0.0.1:1", "--backend", "http://127.0.0.1:2"},
                new String[] {"--preset", "tls", "--backend", "http://127.0.0.1:1", "--backend", "http://127.0.0.1:2"},
                new String[] {"--preset", "reload", "--with-nginx"})) {
            Path log = dir.resolve("bad.log");
            Process p = bench(log, args);
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
            String printed = Files.readString(log);
            assertThat(p.exitValue()).as(printed).isEqualTo(2);
            assertThat(printed.strip().lines()).as(printed).hasSize(1);
            assertThat(printed).startsWith("bench: ");
        }
    }

    @Test
    void anExternalBackendThatDoesNotAnswerIsNamed(@TempDir Path dir) throws Exception {
        int closed;
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            closed = s.getLocalPort();
        }
        Path log = dir.resolve("ext.log");
        Process p = bench(log, "--backend", "http://127.0.0.1:" + closed, "--backend", "http://127.0.0.1:" + closed,
                "--out", dir.resolve("results").toString());
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(Files.readString(log)).contains("stampede bench: backend http://127.0.0.1:" + closed + " is not answering");
        assertThat(p.exitValue()).isEqualTo(1);
    }
}
