package io.stampede.loadgen;

import io.stampede.common.Cli;
import io.stampede.common.DurationConverter;
import io.stampede.common.yaml.ConfigException;
import io.stampede.loadgen.engine.GeneratorWarmup;
import io.stampede.loadgen.engine.Segment;
import io.stampede.loadgen.fleet.Fleet;
import io.stampede.loadgen.fleet.FleetLoad;
import io.stampede.loadgen.fleet.FleetWorker;
import io.stampede.loadgen.engine.Pacer;
import io.stampede.loadgen.run.HeadlessRun;
import io.stampede.loadgen.run.RunOutputs;
import io.stampede.loadgen.run.RunRequest;
import io.stampede.loadgen.run.RunSession;
import io.stampede.loadgen.engine.SwarmSettings;
import io.stampede.loadgen.engine.ClientTls;
import io.stampede.loadgen.engine.Target;
import io.stampede.loadgen.locust.LocustWorker;
import io.stampede.loadgen.metrics.MetricsServer;
import io.stampede.loadgen.metrics.SwarmMetrics;
import io.stampede.loadgen.report.Thresholds;
import io.stampede.loadgen.scenario.Scenario;
import io.stampede.loadgen.scenario.ScenarioLoader;
import io.stampede.loadgen.scenario.Scenarios;
import io.stampede.loadgen.stats.StatsSnapshot;
import io.stampede.loadgen.web.WebMode;
import java.io.PrintWriter;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.function.Function;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import sun.misc.Signal;

/** {@code stampede swarm}: the load generator. */
@Command(name = "swarm", mixinStandardHelpOptions = true, sortOptions = false, usageHelpAutoWidth = true,
        description = {
            "Load-test an HTTP API: Locust's users and tasks, wrk's speed, honest latency.",
            "",
            "Web UI:    stampede swarm -f config/market-api.swarm.yaml   (then open http://127.0.0.1:8089/)",
            "Headless:  stampede swarm -f config/market-api.swarm.yaml -u 100 -r 10 -t 1m --headless",
            "Open:      stampede swarm -f FILE --rate 200/s -t 1m --headless",
            "           (or --stages 30s:100/s,1m:500/s)",
            "Quick:     stampede swarm http://127.0.0.1:8080/ -c 64 -d 10s [--rate 2000/s]",
            "",
            "Latency is measured from when each request should have started (the",
            "schedule, or when the user became ready), beside service time from the",
            "actual send. They differ when the target or the generator falls behind;",
            "the generator says when it is the one falling behind.",
            ""},
        footer = {"", "Exit status: 99 when a --threshold fails, else --exit-code-on-error (1)",
            "when any request failed, else 0."})
public final class SwarmCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Parameters(paramLabel = "CLASS|URL", arity = "0..*",
            description = "User classes to run (default: all), or a URL for quick mode.")
    List<String> positional = new ArrayList<>();

    @Option(names = {"-f", "--locustfile", "--scenario"}, paramLabel = "FILE", description = "The scenario (YAML).")
    Path scenarioFile;

    @Option(names = {"-H", "--host"}, paramLabel = "HOST",
            description = "Scenario mode: the host to test (overrides the scenario's host). Quick mode: a header 'Name: value' (repeatable).")
    List<String> hostOrHeaders = new ArrayList<>();

    @Option(names = "--header", paramLabel = "'NAME: VALUE'", description = "A header for every request (repeatable).")
    List<String> headers = new ArrayList<>();

    @Option(names = {"-u", "--users"}, paramLabel = "N", description = "Users (closed model), or the most users free for arrivals (open model). Default: 1, open model 100.")
    Integer users;

    @Option(names = {"-r", "--spawn-rate"}, paramLabel = "N", defaultValue = "1", description = "Users started per second. Default: ${DEFAULT-VALUE}.")
    double spawnRate;

    @Option(names = {"-t", "--run-time"}, paramLabel = "DURATION", converter = DurationConverter.class,
            description = "How long to run (300s, 20m, 1h30m). Default: until Ctrl-C (the stages' length with --stages).")
    Duration runTime;

    @Option(names = "--headless", description = "Run without the web UI: start at once, print tables, end after the run time.")
    boolean headless;

    @Option(names = "--web-host", paramLabel = "HOST", defaultValue = "127.0.0.1",
            description = "The web UI's address. Default: ${DEFAULT-VALUE} (this machine only).")
    String webHost;

    @Option(names = "--web-port", paramLabel = "PORT", defaultValue = "8089", description = "The web UI's port (0: any free one). Default: ${DEFAULT-VALUE}.")
    int webPort;

    @Option(names = "--metrics-port", paramLabel = "PORT",
            description = "Serve Prometheus metrics at http://HOST:PORT/metrics (headless too; 0: any free port). The web UI serves /metrics on its own port as well.")
    Integer metricsPort;

    @Option(names = "--metrics-host", paramLabel = "HOST", defaultValue = "127.0.0.1",
            description = "The metrics listener's address (0.0.0.0 for a scraper on another machine). Default: ${DEFAULT-VALUE}.")
    String metricsHost;

    @Option(names = "--segment", paramLabel = "INDEX/COUNT",
            description = "Run segment INDEX of COUNT of the load (0/4 ... 3/4): -u users and -r split so the segments add up exactly; with --rate, every COUNT-th arrival from the INDEX-th, so all segments together are the whole schedule. For processes or pods that each run one (a Kubernetes Indexed Job: $(JOB_COMPLETION_INDEX)/N).")
    String segment;
    private int segmentIndex;
    private int segmentCount = 1;

    @Option(names = "--worker", description = "Run as a worker of a Locust master (locust --master): it decides the users per class and when to start and stop; give -f with the classes its locustfile names.")
    boolean worker;

    @Option(names = "--master-host", paramLabel = "HOST", defaultValue = "127.0.0.1",
            description = "With --worker: the Locust master's address. Default: ${DEFAULT-VALUE}.")
    String masterHost;

    @Option(names = "--master-port", paramLabel = "PORT", defaultValue = "5557",
            description = "With --worker: the Locust master's port (its --master-bind-port). Default: ${DEFAULT-VALUE}.")
    int masterPort;

    @Option(names = "--processes", paramLabel = "N",
            description = "Run the users in N worker processes on this machine (past one process's cores and its open-file limit), each with its segment of -u, -r and --rate; this process adds up their statistics exactly (histograms bucket for bucket) and keeps the console, the web UI and every output.")
    Integer processes;

    /** A worker process of --processes: the parent's loopback port, this worker's index and the count. */
    @Option(names = "--fleet-worker", hidden = true, paramLabel = "PORT/INDEX/COUNT")
    String fleetWorker;

    /** What only the parent of --processes does, left off its workers' command line. */
    private static final java.util.Set<String> PARENT_ONLY = java.util.Set.of("--processes", "--fleet-worker", "--headless",
            "--web-host", "--web-port", "--metrics-port", "--metrics-host", "--autostart", "--autoquit", "--rate", "--stages",
            "--users", "--spawn-rate", "--run-time", "--duration", "--csv", "--csv-full-history", "--json", "--html", "--hdr-log",
            "--threshold", "--exit-code-on-error", "--only-summary", "--reset-stats", "--warmup", "--segment", "--worker",
            "--master-host", "--master-port");

    @Option(names = "--autostart", description = "Web UI: start the test at once with -u, -r, -t (and --rate), as if the form were sent.")
    boolean autostart;

    @Option(names = "--autoquit", paramLabel = "SECONDS", defaultValue = "-1",
            description = "Web UI: quit this many seconds after the first test stops (default: keep serving until Ctrl-C).")
    int autoquit;

    @Option(names = "--stop-timeout", paramLabel = "DURATION", defaultValue = "0s", converter = DurationConverter.class,
            description = "At the end, let users finish their task for up to this long. Default: ${DEFAULT-VALUE} (stop after the current request).")
    Duration stopTimeout;

    @Option(names = "--rate", paramLabel = "RATE", description = "Open model: task arrivals per second (500/s, 30/m); an arrival that finds no free user is dropped, never delayed.")
    String rate;

    @Option(names = "--stages", paramLabel = "STAGES", description = "Open model ramping: DURATION:RATE,... from 0, e.g. 30s:100/s,1m:500/s.")
    String stages;

    @Option(names = {"-c", "--connections"}, paramLabel = "N",
            description = "Quick mode: connections (each a user; with --http2, -m users each). With --http2: the connections the users share (default: one per event-loop thread). Quick mode default: 10.")
    Integer connections;

    @Option(names = "--http2", description = "Speak HTTP/2: h2 by ALPN on https://, h2c with prior knowledge on http://. Users share connections, each request a stream (as browsers and h2load). Also http2: true in a scenario.")
    boolean http2;

    @Option(names = {"-m", "--max-concurrent-streams"}, paramLabel = "N",
            description = "Quick mode with --http2: users (streams in flight) per connection, as h2load's -m. Default: 1.")
    Integer streamsPerConnection;

    @Option(names = {"-d", "--duration"}, paramLabel = "DURATION", defaultValue = "10s", converter = DurationConverter.class,
            description = "Quick mode: how long. Default: ${DEFAULT-VALUE}.")
    Duration duration;

    @Option(names = "--csv", paramLabel = "PREFIX", description = "Write Locust's CSV files: PREFIX_stats.csv, _stats_history.csv, _failures.csv, _exceptions.csv.")
    String csvPrefix;

    @Option(names = "--csv-full-history", description = "A history row per endpoint too, not just the total.")
    boolean csvFullHistory;

    @Option(names = {"--json", "--json-file"}, paramLabel = "FILE", description = "Write the summary as JSON.")
    Path jsonFile;

    @Option(names = "--html", paramLabel = "FILE",
            description = "Write a self-contained HTML report (tables and charts over time; opens offline).")
    Path htmlFile;

    @Option(names = "--hdr-log", paramLabel = "FILE", description = "Write an HdrHistogram interval log (microseconds, from the intended start).")
    Path hdrLog;

    @Option(names = "--raw-log", paramLabel = "FILE",
            description = "Write every request as a CSV row (end time, method, name, latency and service time in microseconds, bytes, error), as k6's CSV output: to check the histograms against raw values. With --processes each worker writes its own, FILE with .N before the extension. Costs some throughput.")
    Path rawLog;

    @Option(names = "--threshold", paramLabel = "RULE", description = "Fail (exit 99) unless RULE holds: p99<500ms, fail_ratio<0.01, rps>1000, 'GET /path:p95<200ms'. Repeatable.")
    List<String> thresholds = new ArrayList<>();

    @Option(names = "--exit-code-on-error", paramLabel = "N", defaultValue = "1", description = "Exit status when any request failed. Default: ${DEFAULT-VALUE}.")
    int exitCodeOnError;

    @Option(names = "--only-summary", description = "Print only the final tables, not the table every 2 seconds.")
    boolean onlySummary;

    @Option(names = "--reset-stats", description = "Reset the statistics once all users are spawned.")
    boolean resetStats;

    @Option(names = "--warmup", paramLabel = "DURATION", converter = DurationConverter.class,
            description = "Reset the statistics this long after all users are spawned (log-ins done, JIT warm); implies --reset-stats.")
    Duration warmup;

    @Option(names = {"-T", "--tags"}, paramLabel = "TAG", split = ",", description = "Run only tasks with one of these tags.")
    List<String> tags = new ArrayList<>();

    @Option(names = {"-E", "--exclude-tags"}, paramLabel = "TAG", split = ",", description = "Skip tasks with any of these tags.")
    List<String> excludeTags = new ArrayList<>();

    @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "60s", converter = DurationConverter.class,
            description = "A request with no response within this fails. Default: ${DEFAULT-VALUE}.")
    Duration timeout;

    @Option(names = "--threads", paramLabel = "N", defaultValue = "0", description = "Event-loop threads (0 = one per core). Default: ${DEFAULT-VALUE}.")
    int threads;

    @Option(names = "--source-ips", paramLabel = "N", defaultValue = "0",
            description = "Users connect from N loopback addresses, 127.0.1.1, 127.0.2.1, ... (a /24 each, so ip_hash sees N clients). Loopback targets only. Default: one address.")
    int sourceIps;

    @Option(names = "--no-generator-warmup",
            description = "Skip warming the generator's own request path (about a second, against a responder inside it; nothing goes to the target) before the run.")
    boolean noGeneratorWarmup;

    @Option(names = {"-k", "--insecure"}, description = "https:// targets: take any certificate (self-signed test ones), as curl -k; by default it is checked against the JDK's trusted CAs and the host name.")
    boolean insecure;

    @Option(names = "--ca-cert", paramLabel = "FILE", description = "https:// targets: trust the CAs (PEM) in FILE instead of the JDK's.")
    java.nio.file.Path caCert;

    @Option(names = "--client-cert", paramLabel = "FILE", description = "https:// targets: present this PEM certificate (chain) to servers that ask (mutual TLS); with --client-key.")
    java.nio.file.Path clientCert;

    @Option(names = "--client-key", paramLabel = "FILE", description = "The PEM private key of --client-cert.")
    java.nio.file.Path clientKey;

    @Option(names = "--seed", paramLabel = "N", defaultValue = "42", description = "Seed for task choice and wait times. Default: ${DEFAULT-VALUE}.")
    long seed;

    /** --source-ips: one loopback address per /24 (ip_hash keys on the first three octets). */
    private List<InetAddress> sourceAddresses(Target target) {
        if (sourceIps == 0) {
            return List.of();
        }
        if (sourceIps < 0 || sourceIps > 60_000) {
            throw Cli.badValue(spec.commandLine(), "invalid value for --source-ips: " + sourceIps + " (expected 0 to 60000)");
        }
        InetSocketAddress to = target.resolved();
        if (to.isUnresolved() || !(to.getAddress() instanceof Inet4Address) || !to.getAddress().isLoopbackAddress()) {
            throw Cli.badValue(spec.commandLine(), "--source-ips needs an IPv4 loopback target (127.x.x.x), not " + to.getHostString());
        }
        List<InetAddress> list = new ArrayList<>(sourceIps);
        for (int i = 1; i <= sourceIps; i++) {
            try {
                list.add(InetAddress.getByAddress(new byte[] {127, (byte) (i >> 8), (byte) i, 1}));
            } catch (UnknownHostException e) {
                throw new IllegalStateException(e); // four bytes are always a valid address
            }
        }
        return list;
    }

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        boolean quick = !positional.isEmpty() && positional.get(0).matches("(?i)https?://.*");
        Scenario scenario;
        String host;
        Map<String, String> extraHeaders = parseHeaders(headers);
        if (quick) {
            if (positional.size() > 1) {
                throw Cli.badValue(spec.commandLine(), "quick mode takes one URL, got " + positional);
            }
            if (scenarioFile != null) {
                throw Cli.badValue(spec.commandLine(), "give either a URL (quick mode) or -f FILE, not both");
            }
            extraHeaders.putAll(parseHeaders(hostOrHeaders));
            String url = positional.get(0);
            scenario = Scenarios.quick(url);
            host = scenario.host();
        } else {
            if (scenarioFile == null) {
                throw Cli.badValue(spec.commandLine(), "no scenario: give -f FILE (see config/market-api.swarm.yaml) or a URL for quick mode");
            }
            if (!Files.isRegularFile(scenarioFile)) {
                err.println("stampede swarm: " + scenarioFile + ": no such file");
                return 1;
            }
            try {
                scenario = Scenarios.select(ScenarioLoader.load(scenarioFile), positional, tags, excludeTags);
            } catch (ConfigException | IllegalArgumentException e) {
                err.println("stampede swarm: " + e.getMessage());
                return 1;
            }
            host = hostOrHeaders.isEmpty() ? scenario.host() : hostOrHeaders.get(hostOrHeaders.size() - 1);
            if (host == null && !worker && fleetWorker == null) {
                throw Cli.badValue(spec.commandLine(), "no host: give -H http://HOST:PORT or set host: in " + scenarioFile);
            }
        }
        if (worker && quick) {
            throw Cli.badValue(spec.commandLine(), "--worker runs a scenario's classes: give -f FILE, not a URL");
        }
        if (worker && (masterPort < 1 || masterPort > 65535)) {
            throw Cli.badValue(spec.commandLine(), "invalid value for --master-port: " + masterPort + " (expected 1 to 65535)");
        }
        Target target;
        try {
            // A worker without a host takes the master's (its -H), which comes with each spawn.
            target = Target.of(host != null ? host : "http://127.0.0.1");
        } catch (IllegalArgumentException e) {
            throw Cli.badValue(spec.commandLine(), e.getMessage());
        }
        Pacer pacer = null;
        try {
            if (rate != null && stages != null) {
                throw new IllegalArgumentException("give --rate or --stages, not both");
            }
            if (rate != null) {
                pacer = Pacer.constant(Pacer.parseRate(rate));
            } else if (stages != null) {
                pacer = Pacer.parseStages(stages);
            }
        } catch (IllegalArgumentException e) {
            throw Cli.badValue(spec.commandLine(), e.getMessage());
        }
        List<Thresholds.Threshold> rules = new ArrayList<>();
        for (String t : thresholds) {
            try {
                rules.add(Thresholds.parse(t));
            } catch (IllegalArgumentException e) {
                throw Cli.badValue(spec.commandLine(), e.getMessage());
            }
        }
        boolean useHttp2 = http2 || scenario.http2();
        if (streamsPerConnection != null && !(quick && useHttp2)) {
            throw Cli.badValue(spec.commandLine(), "-m/--max-concurrent-streams is for quick mode with --http2 (users per connection)");
        }
        if (!quick && !useHttp2 && connections != null) {
            throw Cli.badValue(spec.commandLine(), "-c/--connections with -f is for --http2 (HTTP/1.1 users each keep their own connection)");
        }
        Segment workerSegment = null;
        if (fleetWorker != null) {
            java.util.regex.Matcher fm = java.util.regex.Pattern.compile("(\\d{1,5})/(\\d{1,3})/(\\d{1,3})").matcher(fleetWorker);
            if (!fm.matches()) {
                throw Cli.badValue(spec.commandLine(), "invalid value for --fleet-worker: '" + fleetWorker + "' (expected PORT/INDEX/COUNT)");
            }
            try {
                workerSegment = new Segment(Integer.parseInt(fm.group(2)), Integer.parseInt(fm.group(3)));
            } catch (IllegalArgumentException e) {
                throw Cli.badValue(spec.commandLine(), "invalid value for --fleet-worker: " + e.getMessage());
            }
            segmentIndex = workerSegment.index();
            segmentCount = workerSegment.count();
            if (connections != null && useHttp2) {
                connections = Math.max(1, workerSegment.users(connections)); // the users' share of HTTP/2 connections
            }
        }
        int conns = connections != null ? connections : quick ? 10 : 0;
        int perConnection = streamsPerConnection != null ? streamsPerConnection : 1;
        if (connections != null && (connections < 1 || connections > 100_000)) {
            throw Cli.badValue(spec.commandLine(), "invalid value for -c/--connections: " + connections + " (expected 1 to 100000)");
        }
        if (perConnection < 1 || perConnection > 10_000) {
            throw Cli.badValue(spec.commandLine(), "invalid value for -m/--max-concurrent-streams: " + perConnection + " (expected 1 to 10000)");
        }
        int userCount = quick ? conns * (useHttp2 ? perConnection : 1) : users != null ? users : pacer != null ? 100 : 1;
        double spawn = quick ? Math.max(1, userCount) * 10.0 : spawnRate;
        if (segment != null && processes != null) {
            throw Cli.badValue(spec.commandLine(), "--processes splits the load itself: leave out --segment");
        }
        if (segment != null) {
            java.util.regex.Matcher sm = java.util.regex.Pattern.compile("(\\d{1,6})/(\\d{1,6})").matcher(segment.trim());
            int index = sm.matches() ? Integer.parseInt(sm.group(1)) : -1;
            int count = sm.matches() ? Integer.parseInt(sm.group(2)) : 0;
            if (count < 1 || index < 0 || index >= count) {
                throw Cli.badValue(spec.commandLine(), "invalid value for --segment: '" + segment + "' (expected INDEX/COUNT with 0 <= INDEX < COUNT, e.g. 0/4)");
            }
            if (quick) {
                throw Cli.badValue(spec.commandLine(), "--segment splits a scenario's -u or --rate: give -f FILE");
            }
            if (!headless || worker) {
                throw Cli.badValue(spec.commandLine(), "--segment is for --headless runs (each process or pod runs its share to the end)");
            }
            // The users spread as evenly as they go: the first (users mod count) segments take one more.
            int share = userCount / count + (index < userCount % count ? 1 : 0);
            if (share < 1) {
                throw Cli.badValue(spec.commandLine(), "--segment " + segment + " of " + userCount + " users leaves this one none (use at most "
                        + userCount + " segments)");
            }
            userCount = share;
            spawn = spawn / count;
            segmentIndex = index;
            segmentCount = count;
        }
        // HTTP/2 connections: quick mode's -c; with a scenario -c or one per event loop.
        int http2Connections = !useHttp2 ? 0 : conns > 0 ? conns
                : threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
        Duration run = quick ? duration : runTime;
        if (run == null && pacer != null && pacer.total() != null) {
            run = pacer.total();
        }
        boolean web = !quick && !headless;
        if (pacer != null && run == null && !web) {
            throw Cli.badValue(spec.commandLine(), "--rate needs -t/--run-time (how long to keep the rate)");
        }
        if (userCount < 1 || userCount > 100_000) {
            throw Cli.badValue(spec.commandLine(), "invalid value for " + (quick ? (useHttp2 ? "-c x -m" : "-c/--connections") : "-u/--users")
                    + ": " + userCount + " (expected 1 to 100000)");
        }
        if (!(spawn > 0)) {
            throw Cli.badValue(spec.commandLine(), "invalid value for -r/--spawn-rate: " + spawnRate + " (expected above 0)");
        }
        if (run != null && run.isZero()) {
            throw Cli.badValue(spec.commandLine(), "invalid value for " + (quick ? "-d/--duration" : "-t/--run-time")
                    + ": 0s (expected a positive duration)");
        }

        checkOutputs();
        ClientTls clientTls;
        try {
            clientTls = ClientTls.build(new ClientTls.Options(insecure, caCert, clientCert, clientKey));
        } catch (IllegalArgumentException e) {
            throw Cli.badValue(spec.commandLine(), e.getMessage());
        }
        String arrivals = pacer == null ? null : rate != null ? rate : stages;
        Function<RunRequest, SwarmSettings> settingsFor = r -> {
            Target t = Target.of(r.host());
            Pacer arrivalsPacer = r.pacer() == null || segmentCount == 1 ? r.pacer() : r.pacer().segment(segmentIndex, segmentCount);
            return new SwarmSettings(t, extraHeaders, timeout.toNanos(), 64 * 1024 * 1024, r.users(), r.spawnRate(),
                    r.runTime(), stopTimeout, arrivalsPacer, seed + segmentIndex, threads, sourceAddresses(t), t.https() ? clientTls : null,
                    http2Connections);
        };
        RunRequest request = new RunRequest(userCount, spawn, host, run, arrivals);
        RunSession.Spec spec0 = new RunSession.Spec(scenario, quick ? positional.get(0) : null,
                quick ? positional.get(0) : String.valueOf(scenarioFile), resetStats, warmup);
        RunOutputs.Options outputs = new RunOutputs.Options(csvPrefix, csvFullHistory, hdrLog, jsonFile, htmlFile, onlySummary,
                rawLog);
        RunSession.Spec runSpec = spec0;
        if (metricsPort != null && (metricsPort < 0 || metricsPort > 65535)) {
            throw Cli.badValue(spec.commandLine(), "invalid value for --metrics-port: " + metricsPort + " (expected 0 to 65535)");
        }
        InetSocketAddress metricsAddress = metricsPort == null ? null : new InetSocketAddress(metricsHost, metricsPort);
        if (workerSegment != null) {
            Signal.handle(new Signal("INT"), sun.misc.SignalHandler.SIG_IGN); // Ctrl-C reaches the parent, which stops the run
            warmGenerator(new PrintWriter(java.io.Writer.nullWriter()), Math.max(1, workerSegment.users(userCount)), pacer != null, http2Connections);
            Segment seg = workerSegment;
            int streams = perConnection;
            java.util.function.IntUnaryOperator share = quick && useHttp2 ? n -> seg.users(n / streams) * streams : seg::users;
            Path ownRawLog = rawLog == null ? null : workerFile(rawLog, seg.index());
            java.util.function.Supplier<List<io.stampede.loadgen.run.RunListener>> own =
                    () -> ownRawLog == null ? List.of() : List.of(RunOutputs.raw(ownRawLog));
            return FleetWorker.run(new FleetWorker.Options(new InetSocketAddress(InetAddress.getLoopbackAddress(),
                    Integer.parseInt(fleetWorker.substring(0, fleetWorker.indexOf('/')))), seg,
                    runSpec.with(io.stampede.loadgen.engine.Load.LOCAL, seg), settingsFor, share, own), err);
        }
        Fleet fleet = null;
        if (processes != null) {
            if (processes < 1 || processes > 64) {
                throw Cli.badValue(spec.commandLine(), "invalid value for --processes: " + processes + " (expected 1 to 64)");
            }
            if (worker || segment != null) {
                throw Cli.badValue(spec.commandLine(), "--processes splits the load itself: leave out " + (worker ? "--worker" : "--segment"));
            }
            if (web && users == null && userCount < processes) {
                userCount = processes; // the form's starting value: a user per process
                request = new RunRequest(userCount, spawn, host, run, arrivals);
            }
            int units = quick && useHttp2 ? conns : userCount;
            if (units < processes) {
                throw Cli.badValue(spec.commandLine(), "--processes " + processes + " with " + units + (quick ? " connection" : " user")
                        + (units == 1 ? "" : "s")
                        + " leaves a process none (each runs at least one)");
            }
            sourceAddresses(target);
            if (web && (webPort < 0 || webPort > 65535)) {
                throw Cli.badValue(spec.commandLine(), "invalid value for --web-port: " + webPort + " (expected 0 to 65535)");
            }
            if (web && autoquit < -1) {
                throw Cli.badValue(spec.commandLine(), "invalid value for --autoquit: " + autoquit + " (expected 0 or more seconds)");
            }
            fleet = launchFleet(out, err, processes, workerArgs(quick, quick || useHttp2 ? conns > 0 ? conns : http2Connections : 0));
            if (fleet == null) {
                return 1;
            }
            runSpec = runSpec.with(FleetLoad.over(fleet), Segment.WHOLE);
            if (rawLog != null) {
                outputs = outputs.withoutRawLog();
                out.println("Raw log: each worker writes its own, " + workerFile(rawLog, 0) + " to "
                        + workerFile(rawLog, processes - 1));
                out.flush();
            }
        }
        try {
            int code = runHere(out, err, quick, web, pacer, rules, runSpec, request, settingsFor, outputs, metricsAddress, target,
                    userCount, http2Connections, fleet);
            if (fleet != null && !fleet.troubles().isEmpty() && code == 0) {
                code = 1; // a worker failed: the numbers lack its share
            }
            return code;
        } finally {
            if (fleet != null) {
                fleet.close();
            }
        }
    }

    /** Runs here: as a Locust worker, the web UI, or headless (with --processes, over the fleet's workers). */
    private int runHere(PrintWriter out, PrintWriter err, boolean quick, boolean web, Pacer pacer, List<Thresholds.Threshold> rules,
                        RunSession.Spec runSpec, RunRequest request, Function<RunRequest, SwarmSettings> settingsFor,
                        RunOutputs.Options outputs, InetSocketAddress metricsAddress, Target target, int userCount,
                        int http2Connections, Fleet fleet) throws Exception {
        if (worker) {
            if (pacer != null) {
                throw Cli.badValue(spec.commandLine(), "--worker runs the master's closed model: leave out --rate and --stages");
            }
            if (resetStats || warmup != null) {
                throw Cli.badValue(spec.commandLine(), "--worker reports to the master, which keeps the statistics: leave out --reset-stats and --warmup");
            }
            warmGenerator(out, 100, false, http2Connections);
            CountDownLatch stop = new CountDownLatch(1);
            Signal.handle(new Signal("INT"), sig -> stop.countDown());
            Signal.handle(new Signal("TERM"), sig -> stop.countDown());
            java.util.concurrent.atomic.AtomicReference<RunSession> current = new java.util.concurrent.atomic.AtomicReference<>();
            MetricsServer metrics = metricsAddress == null ? null : startMetrics(out, err, metricsAddress, current::get);
            if (metricsAddress != null && metrics == null) {
                return 1;
            }
            try {
                return LocustWorker.run(new LocustWorker.Options(masterHost, masterPort, runSpec, request.host(), settingsFor, outputs, current::set),
                        out, err, stop);
            } finally {
                if (metrics != null) {
                    metrics.close();
                }
            }
        }
        if (web) {
            if (webPort < 0 || webPort > 65535) {
                throw Cli.badValue(spec.commandLine(), "invalid value for --web-port: " + webPort + " (expected 0 to 65535)");
            }
            if (autoquit < -1) {
                throw Cli.badValue(spec.commandLine(), "invalid value for --autoquit: " + autoquit + " (expected 0 or more seconds)");
            }
            sourceAddresses(target); // checked now, so a bad --source-ips is a usage error, not a form error
            if (fleet == null) {
                warmGenerator(out, userCount, pacer != null, http2Connections);
            }
            describeHttp2(out, target, http2Connections, -1);
            WebMode.Options options = new WebMode.Options(webHost, webPort, autostart,
                    autoquit < 0 ? null : Duration.ofSeconds(autoquit), outputs, metricsAddress);
            CountDownLatch quitUi = new CountDownLatch(1);
            Signal.handle(new Signal("INT"), s -> quitUi.countDown());
            Signal.handle(new Signal("TERM"), s -> quitUi.countDown());
            StatsSnapshot last;
            try {
                last = WebMode.run(out, err, runSpec, request, settingsFor, options, quitUi);
            } catch (IllegalStateException e) {
                err.println("stampede swarm: " + e.getMessage());
                return 1;
            }
            return last == null ? 0 : exitCode(out, rules, last);
        }
        HeadlessRun.Plan plan = new HeadlessRun.Plan(runSpec, request, settingsFor.apply(request), outputs);
        if (fleet == null) {
            warmGenerator(out, userCount, pacer != null, http2Connections); // after every check of the command line: bad input fails at once
        }
        describeHttp2(out, target, http2Connections, userCount);
        CountDownLatch interrupted = new CountDownLatch(1);
        Signal.handle(new Signal("INT"), s -> interrupted.countDown());
        Signal.handle(new Signal("TERM"), s -> interrupted.countDown());
        java.util.concurrent.atomic.AtomicReference<RunSession> current = new java.util.concurrent.atomic.AtomicReference<>();
        MetricsServer metrics = metricsAddress == null ? null : startMetrics(out, err, metricsAddress, current::get);
        if (metricsAddress != null && metrics == null) {
            return 1;
        }
        StatsSnapshot last;
        try {
            last = HeadlessRun.run(plan, out, err, interrupted, current::set);
        } finally {
            if (metrics != null) {
                metrics.close();
            }
        }
        return exitCode(out, rules, last);
    }

    /** A worker process's own file beside {@code file}: run.csv becomes run.2.csv for worker 2. */
    static Path workerFile(Path file, int index) {
        String name = file.getFileName().toString();
        int dot = name.lastIndexOf('.');
        String own = dot > 0 ? name.substring(0, dot) + "." + index + name.substring(dot) : name + "." + index;
        return file.resolveSibling(own);
    }

    /** Starts the worker processes of --processes and says so; null (after saying why) when they cannot start. */
    private static Fleet launchFleet(PrintWriter out, PrintWriter err, int count, List<String> args) {
        long t0 = System.nanoTime();
        try {
            Fleet fleet = Fleet.launch(count, args, err, Duration.ofSeconds(60));
            out.printf(Locale.ROOT, "Worker processes: %d ready in %.1f s (pids %s), generators warm%n", count,
                    (System.nanoTime() - t0) / 1e9, fleet.pids().stream().map(String::valueOf).collect(java.util.stream.Collectors.joining(" ")));
            out.flush();
            return fleet;
        } catch (java.io.IOException e) {
            err.println("stampede swarm: --processes " + count + ": " + e.getMessage());
            err.flush();
            return null;
        }
    }

    /**
     * The workers' command line: this one as given, without what only the parent does (the run's
     * size and length, which each run sends; outputs; the web UI) and, with a scenario, without
     * -H (the host comes with each run too); {@code connectionsToSplit} (quick mode, HTTP/2) replaces
     * -c, so a default count is split too rather than taken by each worker.
     */
    private List<String> workerArgs(boolean quick, int connectionsToSplit) {
        List<String> args = new ArrayList<>();
        CommandLine.ParseResult parsed = spec.commandLine().getParseResult();
        for (CommandLine.Model.OptionSpec o : parsed.matchedOptions()) {
            List<String> names = List.of(o.names());
            if (names.stream().anyMatch(PARENT_ONLY::contains) || (!quick && names.contains("--host"))
                    || (connectionsToSplit > 0 && names.contains("--connections"))) {
                continue;
            }
            String name = o.longestName();
            if (o.arity().max() == 0) {
                args.add(name);
            } else {
                for (String v : o.originalStringValues()) {
                    args.add(name + "=" + v); // one word: a value that starts with '-' stays a value
                }
            }
        }
        if (connectionsToSplit > 0) {
            // The connections in force, default included, for each worker to take its share of.
            args.add("--connections=" + connectionsToSplit);
        }
        args.add("--");
        args.addAll(positional);
        return args;
    }

    /** Starts {@code --metrics-port}'s listener and says where; null (after saying why) when it cannot bind. */
    static MetricsServer startMetrics(PrintWriter out, PrintWriter err, InetSocketAddress at,
                                      java.util.function.Supplier<RunSession> run) throws InterruptedException {
        try {
            MetricsServer server = MetricsServer.start(at, new SwarmMetrics(run));
            out.printf("Metrics: http://%s:%d/metrics%n", server.address().getHostString(), server.address().getPort());
            out.flush();
            return server;
        } catch (Exception e) {
            // Netty's bind throws the checked BindException without declaring it.
            err.println("stampede swarm: cannot serve metrics on " + at.getHostString() + ":" + at.getPort() + ": " + e.getMessage()
                    + " (choose another with --metrics-port)");
            err.flush();
            return null;
        }
    }

    /** Every output file can be written, or the command stops now, naming the flag and the path. */
    private void checkOutputs() {
        CommandLine cmd = spec.commandLine();
        if (csvPrefix != null) {
            Cli.checkWritable(cmd, "--csv", Path.of(csvPrefix + "_stats.csv"));
        }
        if (hdrLog != null) {
            Cli.checkWritable(cmd, "--hdr-log", hdrLog);
        }
        if (jsonFile != null) {
            Cli.checkWritable(cmd, "--json", jsonFile);
        }
        if (htmlFile != null) {
            Cli.checkWritable(cmd, "--html", htmlFile);
        }
        if (rawLog != null) {
            Cli.checkWritable(cmd, "--raw-log", rawLog);
        }
    }

    /** Runs the generator's own path before the first arrival, so the run does not measure its cold start. */
    private void warmGenerator(PrintWriter out, int users, boolean openModel, int http2Connections) throws InterruptedException {
        if (noGeneratorWarmup) {
            return;
        }
        GeneratorWarmup.Result w = GeneratorWarmup.run(users, threads, openModel, http2Connections, 10_000, Duration.ofSeconds(1));
        out.printf(Locale.ROOT, "Generator warm-up: %,d requests to itself in %.1f s (none to the target)%n", w.requests(),
                w.took().toMillis() / 1000.0);
        out.flush();
    }

    /** Says how HTTP/2 runs, since its connection count is not the user count. */
    private static void describeHttp2(PrintWriter out, Target target, int connections, int users) {
        if (connections == 0) {
            return;
        }
        out.printf(Locale.ROOT, "HTTP/2 (%s): %s share %d connection%s%n", target.https() ? "h2 by ALPN" : "h2c, prior knowledge",
                users < 0 ? "users" : users + " user" + (users == 1 ? "" : "s"), connections, connections == 1 ? "" : "s");
        out.flush();
    }

    /** 99 when a threshold fails, else --exit-code-on-error when a request failed, else 0. */
    private int exitCode(PrintWriter out, List<Thresholds.Threshold> rules, StatsSnapshot last) {
        int code = 0;
        if (!rules.isEmpty()) {
            for (Thresholds.Result r : Thresholds.evaluate(rules, last)) {
                out.println(r.describe());
                if (!r.passed()) {
                    code = Thresholds.EXIT_CODE;
                }
            }
        }
        out.flush();
        if (code == 0 && last.total().failures() > 0) {
            code = exitCodeOnError;
        }
        return code;
    }

    private Map<String, String> parseHeaders(List<String> raw) {
        Map<String, String> out = new LinkedHashMap<>();
        for (String h : raw) {
            int colon = h.indexOf(':');
            if (colon <= 0) {
                throw Cli.badValue(spec.commandLine(), "header '" + h + "' (expected 'Name: value')");
            }
            out.put(h.substring(0, colon).trim(), h.substring(colon + 1).trim());
        }
        return out;
    }
}
