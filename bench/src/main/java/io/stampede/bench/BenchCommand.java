package io.stampede.bench;

import io.stampede.common.Cli;
import io.stampede.common.DurationConverter;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code stampede bench}: what balancing buys, algorithm by algorithm. */
@Command(name = "bench", mixinStandardHelpOptions = true, sortOptions = false, usageHelpAutoWidth = true,
        description = {
            "Show what balancing buys: one Market API direct, then all behind the proxy.",
            "",
            "Starts Market API backends (one process each), swarms one of them directly with",
            "the seed scenario, then the proxy over all of them once per algorithm, and prints",
            "what balancing bought: throughput, failures, tail latency, each backend's share.",
            ""})
public final class BenchCommand implements Callable<Integer> {
    @Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--preset", paramLabel = "NAME", defaultValue = "homogeneous",
            description = "homogeneous, heterogeneous (one backend 3x slower), failure (one killed mid-run),"
                    + " overload (2x capacity; max_conns and queue), swarm-7k (the article's 7,000 users),"
                    + " tls (cleartext, TLS and HTTP/2 to the proxy; TLS to the backends), reload (a reload every second),"
                    + " websocket (live-price tunnels; one backend killed and restarted). Default: ${DEFAULT-VALUE}.")
    String preset;

    @Option(names = "--quick", description = "Shrink the preset to finish in about 90 seconds (CI, first impressions).")
    boolean quick;

    @Option(names = "--backends", paramLabel = "N", defaultValue = "4", description = "Market API backends to start. Default: ${DEFAULT-VALUE}.")
    int backendCount;

    @Option(names = "--backend", paramLabel = "URL", description = "Balance this server instead of starting Market APIs (repeatable).")
    List<String> external = new ArrayList<>();

    @Option(names = {"-u", "--users"}, paramLabel = "N", description = "Users per run. Default: the preset's (sized from the backends' capacity).")
    Integer users;

    @Option(names = {"-r", "--spawn-rate"}, paramLabel = "N", description = "Users started per second. Default: all within 2s (1s with --quick).")
    Double spawnRate;

    @Option(names = {"-t", "--duration"}, paramLabel = "DURATION", converter = DurationConverter.class,
            description = "Measured time per run, after spawning and warm-up. Default: the preset's (15-30s; 4-5s with --quick).")
    Duration duration;

    @Option(names = "--algorithms", paramLabel = "LIST", split = ",",
            description = "Rows to run after direct: round_robin, weighted, least_conn, ip_hash, hash, random. Default: all.")
    List<String> algorithms = new ArrayList<>();

    @Option(names = "--with-nginx", description = "Add a row through a real nginx with the equivalent config (with --preset tls, one per protocol; needs nginx installed).")
    boolean withNginx;

    @Option(names = "--out", paramLabel = "DIR", description = "Where to write results. Default: bench-results/<timestamp>/.")
    Path out;

    @Option(names = "--port", paramLabel = "PORT", defaultValue = "0",
            description = "First backend port (then PORT+1, ...). Default: free ports.")
    int port;

    @Option(names = "--scenario", paramLabel = "FILE", description = "Swarm scenario. Default: the seed article's (config/market-api.swarm.yaml, built in).")
    Path scenario;

    @Option(names = "--source-ips", paramLabel = "N", defaultValue = "64",
            description = "Loopback addresses the users connect from, so ip_hash sees many clients. Default: ${DEFAULT-VALUE}.")
    int sourceIps;

    @Option(names = "--seed", paramLabel = "N", defaultValue = "42", description = "The swarm's seed. Default: ${DEFAULT-VALUE}.")
    long seed;

    @Override
    public Integer call() throws Exception {
        PrintStream stdout = System.out;
        Plan plan = plan();
        Path dir = out != null ? out
                : Path.of("bench-results", LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
        stdout.println("Stampede bench: preset " + plan.preset() + (quick ? " (quick)" : "") + ". " + plan.story());
        if (external.isEmpty()) {
            stdout.println("backends: " + plan.backends().size() + " Market API processes");
        }
        stdout.println("load: " + Report.describeLoad(plan));
        stdout.println("results: " + dir.toAbsolutePath());
        stdout.flush();
        Bench bench = new Bench(plan, new Bench.Settings(dir, scenario, external, port, seed, List.of()), stdout);
        try {
            List<RowResult> rows = bench.run();
            stdout.println();
            String table = Report.table(rows);
            stdout.print(plan.tunnels() ? table.replace("share: what each backend served", "share: each backend's open WebSocket tunnels"
                    + " a second before the window's end") : table);
            stdout.println();
            Verdict.lines(plan, rows).forEach(stdout::println);
            stdout.println();
            stdout.println("Written: " + dir.resolve("bench.json") + ", " + dir.resolve("bench.md") + ", runs/, configs/, logs/");
            return 0;
        } catch (BenchException e) {
            System.err.println("stampede bench: " + e.getMessage());
            if (!bench.results().isEmpty()) {
                System.err.println("(the rows measured before that are in " + dir.resolve("bench.json") + ")");
            }
            return 1;
        }
    }

    private Plan plan() {
        CommandLine cmd = spec.commandLine();
        if (!Presets.NAMES.contains(preset)) {
            throw Cli.badValue(cmd, "invalid value for --preset: '" + preset + "' (expected one of " + String.join(", ", Presets.NAMES) + ")");
        }
        int n = external.isEmpty() ? backendCount : external.size();
        if (external.isEmpty() && (backendCount < 2 || backendCount > 16)) {
            throw Cli.badValue(cmd, "invalid value for --backends: " + backendCount + " (expected 2 to 16)");
        }
        if (!external.isEmpty() && external.size() < 2) {
            throw Cli.badValue(cmd, "--backend: give at least two servers to balance (got " + external.size() + ")");
        }
        if (!external.isEmpty() && preset.equals("tls")) {
            throw Cli.badValue(cmd, "--preset tls has rows with TLS to the backends, so it needs the ones the bench starts (not --backend)");
        }
        if (!external.isEmpty() && (preset.equals("failure") || preset.equals("websocket"))) {
            throw Cli.badValue(cmd, "--preset " + preset + " kills and restarts backends, so it needs the ones the bench starts (not --backend)");
        }
        if (users != null && (users < 1 || users > 15_000)) {
            throw Cli.badValue(cmd, "invalid value for --users: " + users + " (expected 1 to 15000: a process may hold 20,000 connections here)");
        }
        if (spawnRate != null && !(spawnRate > 0)) {
            throw Cli.badValue(cmd, "invalid value for --spawn-rate: " + spawnRate + " (expected above 0)");
        }
        if (duration != null && duration.compareTo(Duration.ofSeconds(1)) < 0) {
            throw Cli.badValue(cmd, "invalid value for --duration: " + duration.toMillis() + "ms (expected at least 1s)");
        }
        if (port < 0 || port + n > 65535) {
            throw Cli.badValue(cmd, "invalid value for --port: " + port + " (expected 0, or a port with room for " + n + " backends)");
        }
        if (sourceIps < 0 || sourceIps > 60_000) {
            throw Cli.badValue(cmd, "invalid value for --source-ips: " + sourceIps + " (expected 0 to 60000)");
        }
        if (scenario != null && !Files.isRegularFile(scenario)) {
            throw Cli.badValue(cmd, "--scenario " + scenario + ": no such file");
        }
        if (withNginx && preset.equals("reload")) {
            throw Cli.badValue(cmd, "--with-nginx: the reload preset reloads our proxy, and has no nginx row (leave --with-nginx out)");
        }
        if (withNginx && Nginx.binary().isEmpty()) {
            throw Cli.badValue(cmd, "--with-nginx: nginx is not installed (apt-get install nginx)");
        }
        for (String a : algorithms) {
            if (!Presets.ALGORITHMS.contains(a)) {
                throw Cli.badValue(cmd, "invalid value for --algorithms: '" + a + "' (expected " + String.join(", ", Presets.ALGORITHMS) + ")");
            }
        }
        return Presets.build(preset, new Presets.Options(quick, n, users, spawnRate, duration, algorithms, withNginx, sourceIps));
    }
}
