package io.stampede.bench;

import io.stampede.common.wire.ProxyStatus;
import io.stampede.common.wire.SwarmSummary;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs a {@link Plan}: starts the backends, then for each row starts the balancer (ours or
 * nginx), swarms it as its own process, collects what every part counted, and stops the
 * balancer. Results are written after every row, so an interrupted bench keeps what it measured.
 */
final class Bench {

    /** The parts' own counters when the swarm's measured window opened, to subtract at the end. */
    private record Baseline(Map<String, Backends.Served> served, ProxyStatus proxyStatus) {}

    /** The backends' open WebSocket sessions sampled near the end of the current row's window (tunnel presets). */
    private volatile Map<String, Integer> tunnels;

    /**
     * @param scenario the swarm scenario, or null for the built-in seed scenario
     * @param external backend URLs to balance instead of starting Market APIs
     * @param firstPort the first backend's port; 0 for free ports
     */
    record Settings(Path outDir, Path scenario, List<String> external, int firstPort, long seed, List<String> childJvmOptions) {}

    private final Plan plan;
    private final Settings settings;
    private final PrintStream out;
    private final List<RowResult> results = new ArrayList<>();
    private Children children;
    private Backends backends;
    private Path scenarioFile;
    /** The one proxy process serving every balanced row (null when no row needs it). */
    private Balancer proxy;

    Bench(Plan plan, Settings settings, PrintStream out) {
        this.plan = plan;
        this.settings = settings;
        this.out = out;
    }

    List<RowResult> results() {
        return results;
    }

    /** Runs every row; the parts are stopped however this ends. */
    List<RowResult> run() throws BenchException, InterruptedException, IOException {
        Path dir = Files.createDirectories(settings.outDir());
        Files.createDirectories(dir.resolve("runs"));
        Files.createDirectories(dir.resolve("configs"));
        scenarioFile = writeScenario(dir);
        try (Children c = new Children(dir.resolve("logs"), settings.childJvmOptions())) {
            children = c;
            backends = settings.external().isEmpty()
                    ? Backends.start(c, plan.backends(), settings.firstPort(), newSecret(), backendCertificate())
                    : Backends.external(c, settings.external());
            out.println("backends: " + String.join(", ", backends.servers.stream().map(s -> s.name + " " + s.url()).toList()));
            List<Plan.Row> proxied = plan.rows().stream().filter(r -> !r.isDirect() && !r.nginx()).toList();
            if (!proxied.isEmpty()) {
                proxy = Balancer.startProxy(proxied, backends, c, dir.resolve("configs"));
                warmUp(proxied.get(0));
            }
            for (Plan.Row row : plan.rows()) {
                RowResult r = runRow(row);
                results.add(r);
                out.println(Report.progressLine(r, results.get(0)));
                Report.write(dir, plan, backends, results);
            }
        }
        return results;
    }

    /**
     * Every backend JVM compiles its hot paths under the first real load it sees: a second or two
     * of stalls on a shared 2-core machine. One unmeasured round through a round-robin proxy moves
     * that out of the rows (the direct row only ever warmed its one backend).
     */
    private void warmUp(Plan.Row through) throws BenchException, InterruptedException {
        out.println("warming up the backends and the proxy (one unmeasured round) ...");
        out.flush();
        Plan.Load load = plan.load();
        // First a burst of cheap requests (wrk-style, /healthz answers without a worker), so the
        // proxy's JIT compiles its request path before any row is measured.
        // One burst per protocol the rows speak to the proxy (TLS and HTTP/2 have their own paths).
        Map<Plan.Edge, Plan.Row> edges = new java.util.EnumMap<>(Plan.Edge.class);
        edges.put(through.edge(), through);
        plan.rows().stream().filter(r -> !r.isDirect() && !r.nginx()).forEach(r -> edges.putIfAbsent(r.edge(), r));
        for (Plan.Row row : edges.values()) {
            List<String> args = new ArrayList<>(List.of(proxy.url(row) + "/healthz", "-c", "32", "-d", load.warmup().toMillis() + "ms"));
            args.addAll(edgeFlags(row));
            Child burst = children.start("the proxy warm-up burst", "swarm-burst-" + row.edge().name().toLowerCase(java.util.Locale.ROOT),
                    "swarm", args, Map.of());
            if (!burst.process.waitFor(load.warmup().toMillis() + 60_000, java.util.concurrent.TimeUnit.MILLISECONDS)) {
                burst.stop(Duration.ofSeconds(5));
                throw new BenchException("the proxy warm-up burst did not finish" + burst.tail());
            }
            if (burst.process.exitValue() != 0) {
                // A protocol path that fails here (TLS, HTTP/2) would fail its rows: say so now.
                throw new BenchException("the proxy warm-up burst over " + row.edge().label + " failed (exit status "
                        + burst.process.exitValue() + ")" + burst.tail());
            }
        }
        Duration runTime = load.spawnTime().plus(load.warmup().multipliedBy(3).dividedBy(2));
        List<String> warmArgs = new ArrayList<>(List.of("-f", scenarioFile.toString(),
                "-H", proxy.url(through), "-u", String.valueOf(load.users()), "-r", String.valueOf(load.spawnRate()),
                "-t", runTime.toMillis() + "ms", "--headless", "--only-summary", "--timeout", "10s",
                "--exit-code-on-error", "0"));
        warmArgs.addAll(edgeFlags(through));
        Child swarm = children.start("the warm-up swarm", "swarm-warmup", "swarm", warmArgs, Map.of());
        if (!swarm.process.waitFor(runTime.toMillis() + 60_000, java.util.concurrent.TimeUnit.MILLISECONDS)) {
            swarm.stop(Duration.ofSeconds(5));
            throw new BenchException("the warm-up swarm did not finish" + swarm.tail());
        }
    }

    /** The certificate the backends serve HTTPS with when a row speaks TLS to them (the bench's own), else null. */
    private Path backendCertificate() throws IOException {
        if (plan.rows().stream().noneMatch(r -> r.edge().upstreamTls)) {
            return null;
        }
        Path configs = settings.outDir().resolve("configs");
        Balancer.writeCertificate(configs);
        return configs.resolve(Configs.CERTIFICATE);
    }

    /** The swarm's flags for how a row speaks to its balancer. */
    private static List<String> edgeFlags(Plan.Row row) {
        List<String> flags = new ArrayList<>();
        if (row.edge().tls) {
            flags.add("--insecure"); // the bench's own self-signed certificate
        }
        if (row.edge().http2) {
            flags.add("--http2");
        }
        return flags;
    }

    private Path writeScenario(Path dir) throws IOException {
        Path target = dir.resolve("scenario.yaml");
        if (settings.scenario() != null) {
            Files.copy(settings.scenario(), target, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            return target;
        }
        try (InputStream in = Bench.class.getResourceAsStream(plan.scenario() != null ? plan.scenario() : "market-api.swarm.yaml")) {
            if (in == null) {
                throw new IOException("the built-in scenario is missing from the jar (rebuild with ./mvnw package)");
            }
            Files.write(target, in.readAllBytes());
        }
        return target;
    }

    private static String newSecret() {
        byte[] b = new byte[24];
        new SecureRandom().nextBytes(b);
        return HexFormat.of().formatHex(b);
    }

    private RowResult runRow(Plan.Row row) throws BenchException, InterruptedException, IOException {
        out.printf("running %-16s %s, %d users, %ss ...%n", row.name(), row.algorithm(), plan.load().users(),
                plan.load().duration().toSeconds());
        out.flush();
        backends.resetStats();
        Balancer balancer = row.isDirect() ? null
                : row.nginx() ? Balancer.startNginx(row, backends, children, settings.outDir().resolve("configs")) : proxy;
        try {
            String target = balancer == null ? backends.servers.get(0).url() : balancer.url(row);
            Disrupter disrupter = plan.disruption() == null ? null
                    : new Disrupter(plan.disruption(), backends, balancer, Balancer.upstream(row),
                            row.isDirect() ? 0 : plan.disruption().backend());
            Reloader reloader = plan.reloadEvery() != null && balancer != null && balancer == proxy
                    ? new Reloader(proxy, plan.reloadEvery()) : null;
            Baseline[] baseline = new Baseline[1];
            SwarmSummary swarm = runSwarm(row, target, disrupter, reloader, balancer, baseline);
            return collect(row, swarm, baseline[0], backends.stats(), balancer,
                    disrupter != null ? disrupter.summary() : reloader != null ? reloader.summary() : Map.of());
        } finally {
            if (balancer != null && balancer != proxy) {
                balancer.stop();
            }
        }
    }

    private SwarmSummary runSwarm(Plan.Row row, String target, Disrupter disrupter, Reloader reloader, Balancer balancer,
                                  Baseline[] baseline)
            throws BenchException, InterruptedException, IOException {
        Plan.Load load = plan.load();
        Path runs = settings.outDir().resolve("runs");
        // The swarm's window opens when spawning has ended and the warm-up passed; duration_s in its
        // JSON says exactly how long it was measured.
        Duration runTime = load.spawnTime().plus(load.warmup()).plus(load.duration());
        List<String> args = new ArrayList<>(List.of("-f", scenarioFile.toString(), "-H", target,
                "-u", String.valueOf(load.users()), "-r", String.valueOf(load.spawnRate()),
                "-t", runTime.toMillis() + "ms", "--headless", "--only-summary", "--warmup", load.warmup().toMillis() + "ms",
                "--timeout", "10s", "--exit-code-on-error", "0", "--seed", String.valueOf(settings.seed()),
                "--csv", runs.resolve(row.name()).toString(), "--hdr-log", runs.resolve(row.name() + ".hlog").toString(),
                "--json", runs.resolve(row.name() + ".json").toString()));
        args.addAll(edgeFlags(row));
        if (load.sourceIps() > 0 && target.matches("https?://127\\..*")) {
            args.addAll(List.of("--source-ips", String.valueOf(load.sourceIps())));
        }
        Child swarm = children.start("the swarm for " + row.name(), "swarm-" + row.name(), "swarm", args, Map.of());
        Waiting waiting = null;
        try {
            swarm.awaitReady("swarm", "started", Duration.ofSeconds(60))
                    .orElseThrow(() -> new BenchException("the swarm for " + row.name() + " did not start" + swarm.tail()));
            waiting = Waiting.start(runs.resolve(row.name() + Waiting.SUFFIX), backends, balancer == proxy ? proxy : null,
                    Balancer.upstream(row));
            // The backends and the proxy count from the moment the swarm does.
            Duration untilMeasuring = load.spawnTime().plus(load.warmup()).plus(Duration.ofSeconds(30));
            swarm.awaitReady("swarm", "measuring", untilMeasuring).orElseThrow(() -> new BenchException(
                    "the swarm for " + row.name() + " never finished spawning its users" + swarm.tail()));
            baseline[0] = new Baseline(backends.stats(), balancer == null ? null : balancer.status());
            Thread sampler = null;
            if (plan.tunnels()) {
                // The open tunnels a second before the window ends (the users close theirs as the swarm stops).
                long at = System.nanoTime() + load.duration().minusSeconds(1).toNanos();
                sampler = new Thread(() -> {
                    try {
                        Thread.sleep(Math.max(0, (at - System.nanoTime()) / 1_000_000));
                        tunnels = backends.liveSessions();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }, "bench-tunnels");
                sampler.setDaemon(true);
                tunnels = null;
                sampler.start();
            }
            if (disrupter != null) {
                disrupter.run(System.nanoTime(), swarm);
            } else if (reloader != null) {
                reloader.run(swarm);
            }
            long limit = runTime.toMillis() + 60_000;
            if (!swarm.process.waitFor(limit, java.util.concurrent.TimeUnit.MILLISECONDS)) {
                throw new BenchException("the swarm for " + row.name() + " did not finish within " + limit / 1000 + "s" + swarm.tail());
            }
            if (sampler != null) {
                sampler.join(5_000);
            }
            if (swarm.process.exitValue() != 0) {
                throw new BenchException("the swarm for " + row.name() + " failed (exit status " + swarm.process.exitValue() + ")" + swarm.tail());
            }
        } finally {
            try {
                if (waiting != null) {
                    waiting.close();
                }
            } finally {
                swarm.stop(Duration.ofSeconds(5));
            }
        }
        Path json = runs.resolve(row.name() + ".json");
        if (!Files.exists(json)) {
            throw new BenchException("the swarm for " + row.name() + " wrote no " + json + swarm.tail());
        }
        return SwarmSummary.read(json);
    }

    private RowResult collect(Plan.Row row, SwarmSummary swarm, Baseline before, Map<String, Backends.Served> after, Balancer balancer,
                              Map<String, Object> event) throws InterruptedException {
        Map<String, Backends.Served> served = new LinkedHashMap<>();
        after.forEach((name, v) -> served.put(name, v.minus(before.served().getOrDefault(name, Backends.Served.NONE))));
        SwarmSummary.Percentiles lat = swarm.latencyMs();
        double[] latency = {lat.p50(), lat.p95(), lat.p99(), lat.p999(), lat.max()};
        ProxyStatus proxyStatus = balancer == null ? null : balancer.status();
        Map<String, Double> share = new LinkedHashMap<>();
        long rejected = 0;
        if (plan.tunnels() && tunnels != null) {
            long total = tunnels.values().stream().mapToLong(Integer::longValue).sum();
            tunnels.forEach((name, open) -> share.put(name, total == 0 ? 0 : (double) open / total));
        } else if (backends.ours()) {
            long total = served.values().stream().mapToLong(Backends.Served::served).sum();
            for (var e : served.entrySet()) {
                share.put(e.getKey(), total == 0 ? 0 : (double) e.getValue().served() / total);
                rejected += e.getValue().rejected();
            }
        } else if (proxyStatus != null) {
            String upstream = Balancer.upstream(row);
            Map<String, Long> perPeer = new java.util.HashMap<>(Balancer.peerRequests(proxyStatus, upstream));
            if (before.proxyStatus() != null) {
                Balancer.peerRequests(before.proxyStatus(), upstream).forEach((k, v) -> perPeer.merge(k, -v, Long::sum));
            }
            long total = perPeer.values().stream().mapToLong(Long::longValue).sum();
            for (Backends.Server s : backends.servers) {
                share.put(s.name, total == 0 ? 0 : (double) perPeer.getOrDefault(s.address(), 0L) / total);
            }
        } else {
            for (Backends.Server s : backends.servers) {
                share.put(s.name, s == backends.servers.get(0) ? 1.0 : 0.0);
            }
        }
        String upstreamName = Balancer.upstream(row);
        long retries = counter(proxyStatus, before.proxyStatus(), upstreamName, ProxyStatus.UpstreamStatus::retries);
        long overflows = counter(proxyStatus, before.proxyStatus(), upstreamName,
                u -> u.queue() == null ? null : u.queue().overflows());
        Map<String, Object> gen = swarm.generator() == null ? null : new ObjectMapper().convertValue(swarm.generator(),
                new com.fasterxml.jackson.core.type.TypeReference<Map<String, Object>>() {});
        return new RowResult(row.name(), row.algorithm(), row.isDirect() ? 1 : backends.servers.size(),
                swarm.requests(), swarm.failures(), swarm.durationS(),
                latency, share, retries, overflows, rejected, gen == null ? Map.of() : gen, event);
    }

    /** An upstream counter from our proxy's /status, as a difference over the window; -1 when not reported. */
    private static long counter(ProxyStatus after, ProxyStatus before, String upstream,
                                java.util.function.Function<ProxyStatus.UpstreamStatus, Long> value) {
        ProxyStatus.UpstreamStatus a = after == null ? null : after.upstream(upstream);
        ProxyStatus.UpstreamStatus b = before == null ? null : before.upstream(upstream);
        Long va = a == null ? null : value.apply(a);
        Long vb = b == null ? null : value.apply(b);
        return va != null && vb != null ? va - vb : -1;
    }
}
