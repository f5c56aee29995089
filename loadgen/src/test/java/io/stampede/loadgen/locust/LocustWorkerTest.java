package io.stampede.loadgen.locust;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.stampede.common.Cli;
import io.stampede.loadgen.MarketTarget;
import io.stampede.loadgen.SwarmCommand;
import io.stampede.loadgen.SwarmMain;
import java.io.File;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Our swarm as workers of a real Locust master (Debian's python3-locust): the master's counts equal
 * the workers' own exactly, two workers share a run, a test stopped and started again from the
 * master's web UI runs again, and a worker killed mid-run is noticed by the master (its heartbeats
 * stop). Skips loudly without locust.
 */
class LocustWorkerTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    static MarketTarget target;

    /** The master's stub: the same class names and weights as the scenario; its tasks never run. */
    static final String STUB = "from locust import HttpUser, task, constant\n" + stubClass("Reader", 3) + stubClass("Writer", 1);

    private static String stubClass(String name, int weight) {
        return "\nclass " + name + "(HttpUser):\n    weight = " + weight + "\n    wait_time = constant(1)\n"
                + "    @task\n    def t(self):\n        pass\n";
    }

    static final String SCENARIO = """
            users:
              Reader:
                weight: 3
                wait_time: constant(0.02)
                tasks:
                  health: {steps: [{get: /healthz}]}
              Writer:
                weight: 1
                wait_time: constant(0.02)
                tasks:
                  missing: {steps: [{get: /nope/, name: /nope}]}
            """;

    @TempDir
    Path dir;
    Path locust;

    @BeforeAll
    static void startApi() throws Exception {
        target = MarketTarget.start(50, 3, "locust-worker-0123456789", 5);
    }

    @AfterAll
    static void stopApi() {
        target.close();
    }

    @BeforeEach
    void needsLocust() throws Exception {
        locust = onPath("locust");
        if (locust == null) {
            System.err.println("SKIPPED LocustWorkerTest: locust is not installed (apt-get install python3-locust)");
            Assumptions.abort("locust is not installed");
        }
        Files.writeString(dir.resolve("stub.py"), STUB);
        Files.writeString(dir.resolve("scenario.yaml"), SCENARIO);
    }

    @Test
    void twoWorkersShareAHeadlessRunAndTheMastersCountsEqualTheirsExactly() throws Exception {
        int port = freePort();
        Process master = master(List.of("--headless", "-u", "8", "-r", "4", "-t", "5s", "--expect-workers", "2",
                "--master-bind-port", String.valueOf(port), "--csv", dir.resolve("master").toString()));
        List<CompletableFuture<Integer>> workers = new ArrayList<>();
        List<StringWriter> logs = new ArrayList<>();
        // A thread each: the common pool may run one task at a time on two cores, and a worker runs until the master ends.
        java.util.concurrent.ExecutorService threads = java.util.concurrent.Executors.newFixedThreadPool(2);
        for (int i = 0; i < 2; i++) {
            StringWriter log = new StringWriter();
            logs.add(log);
            String json = dir.resolve("worker" + i + ".json").toString();
            workers.add(CompletableFuture.supplyAsync(() -> swarm(log, "--worker", "-f", dir.resolve("scenario.yaml").toString(),
                    "--master-port", String.valueOf(port), "--json", json), threads));
        }
        threads.shutdown();
        assertThat(master.waitFor(90, TimeUnit.SECONDS)).as("the master finished:%n%s", masterLog()).isTrue();
        assertThat(master.exitValue()).as("the master's exit status (a 404 is a failure, so 1):%n%s", masterLog()).isEqualTo(1);
        for (int i = 0; i < 2; i++) {
            assertThat(workers.get(i).get(30, TimeUnit.SECONDS)).as("worker %d:%n%s", i, logs.get(i)).isZero();
        }
        String log = masterLog();
        assertThat(log).contains("(index 0) reported as ready", "(index 1) reported as ready", "running a different version (stampede-")
                .doesNotContain("old (pre 2.0)");
        long requests = 0;
        long failures = 0;
        int readers = 0;
        int writers = 0;
        for (int i = 0; i < 2; i++) {
            JsonNode summary = JSON.readTree(dir.resolve("worker" + i + ".json").toFile());
            requests += summary.get("requests").asLong();
            failures += summary.get("failures").asLong();
            // The master gives each worker its absolute counts per class; together they are its 6 Readers and 2 Writers.
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("4 users running \\{Reader=(\\d+), Writer=(\\d+)}")
                    .matcher(logs.get(i).toString());
            assertThat(m.find()).as("worker %d ran 4 users:%n%s", i, logs.get(i)).isTrue();
            readers += Integer.parseInt(m.group(1));
            writers += Integer.parseInt(m.group(2));
        }
        assertThat(List.of(readers, writers)).isEqualTo(List.of(6, 2));
        // The master's CSV, summed from the workers' deltas, counts exactly what the workers counted.
        List<String> csv = Files.readAllLines(dir.resolve("master_stats.csv"));
        String[] total = csv.stream().filter(l -> l.startsWith(",Aggregated,")).findFirst().orElseThrow().split(",");
        assertThat(requests).isGreaterThan(100);
        assertThat(Long.parseLong(total[2])).as("the master's requests").isEqualTo(requests);
        assertThat(Long.parseLong(total[3])).as("the master's failures").isEqualTo(failures);
        assertThat(csv).anyMatch(l -> l.startsWith("GET,/healthz,")).anyMatch(l -> l.startsWith("GET,/nope,"));
        assertThat(Files.readString(dir.resolve("master_failures.csv"))).contains("/nope");
    }

    @Test
    void theMastersStopTimeoutLetsEveryUserFinishItsTask() throws Exception {
        // A task of two requests 1.5 s apart: a run stopped at 3 s finds users in the middle of it.
        Files.writeString(dir.resolve("stub.py"), "from locust import HttpUser, task, constant\n" + stubClass("Slow", 1));
        Files.writeString(dir.resolve("scenario.yaml"), """
                users:
                  Slow:
                    wait_time: constant(0)
                    tasks:
                      two:
                        steps:
                          - {get: /healthz, name: first}
                          - sleep: 1500ms
                          - {get: /healthz, name: second}
                """);
        int port = freePort();
        Process master = master(List.of("--headless", "-u", "6", "-r", "100", "-t", "3s", "--stop-timeout", "10",
                "--expect-workers", "1", "--master-bind-port", String.valueOf(port)));
        StringWriter log = new StringWriter();
        java.util.concurrent.ExecutorService thread = java.util.concurrent.Executors.newSingleThreadExecutor();
        String json = dir.resolve("slow.json").toString();
        CompletableFuture<Integer> worker = CompletableFuture.supplyAsync(() -> swarm(log, "--worker", "-f",
                dir.resolve("scenario.yaml").toString(), "--master-port", String.valueOf(port), "--json", json), thread);
        thread.shutdown();
        assertThat(master.waitFor(90, TimeUnit.SECONDS)).as("the master finished:%n%s", masterLog()).isTrue();
        assertThat(worker.get(30, TimeUnit.SECONDS)).as("the worker:%n%s", log).isZero();
        long first = 0;
        long second = 0;
        for (JsonNode e : JSON.readTree(dir.resolve("slow.json").toFile()).get("endpoints")) {
            if (e.get("name").asText().equals("first")) {
                first = e.get("requests").asLong();
            } else if (e.get("name").asText().equals("second")) {
                second = e.get("requests").asLong();
            }
        }
        assertThat(first).as("tasks begun").isGreaterThanOrEqualTo(6);
        // The master's 10 s stop timeout came with its spawn: every task begun was finished.
        assertThat(second).as("tasks finished, of %d begun", first).isEqualTo(first);
    }

    @Test
    void theMastersWebUiStopsAndRestartsTheWorkersAndNoticesOneKilled() throws Exception {
        int port = freePort();
        int web = freePort();
        Process master = master(List.of("--web-host", "127.0.0.1", "--web-port", String.valueOf(web),
                "--master-bind-port", String.valueOf(port), "-H", target.url()));
        String ui = "http://127.0.0.1:" + web;
        List<Process> workers = new ArrayList<>();
        try {
            for (int i = 0; i < 2; i++) {
                workers.add(workerProcess(port, dir.resolve("w" + i + ".log")));
            }
            Awaitility.await("two workers ready").atMost(Duration.ofSeconds(60)).ignoreExceptions().until(() -> workerStates(ui).size() == 2);
            post(ui + "/swarm", "user_count=4&spawn_rate=4&host=" + target.url());
            Awaitility.await("4 users running and counted").atMost(Duration.ofSeconds(30)).until(() -> {
                JsonNode s = stats(ui);
                return s.path("state").asText().equals("running") && s.path("user_count").asInt() == 4
                        && s.path("stats").get(s.path("stats").size() - 1).path("num_requests").asLong() > 0;
            });
            get(ui + "/stop");
            Awaitility.await("stopped, the workers ready again").atMost(Duration.ofSeconds(30)).until(() ->
                    stats(ui).path("state").asText().equals("stopped") && workerStates(ui).equals(List.of("ready", "ready")));
            post(ui + "/swarm", "user_count=2&spawn_rate=2&host=" + target.url());
            Awaitility.await("running again with 2").atMost(Duration.ofSeconds(30)).until(() -> {
                JsonNode s = stats(ui);
                return s.path("state").asText().equals("running") && s.path("user_count").asInt() == 2;
            });
            // A worker that dies without a word: the master marks it missing once its heartbeats stop.
            workers.get(1).destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            Awaitility.await("the killed worker missing").atMost(Duration.ofSeconds(30))
                    .until(() -> workerStates(ui).contains("missing"));
            assertThat(workerStates(ui)).containsExactlyInAnyOrder("missing", "running");
            // The master's own stop (SIGTERM) tells the live worker to quit, and it does.
            master.destroy();
            assertThat(workers.get(0).waitFor(30, TimeUnit.SECONDS)).as("the worker quit with the master:%n%s",
                    Files.readString(dir.resolve("w0.log"))).isTrue();
            assertThat(workers.get(0).exitValue()).isZero();
            assertThat(Files.readString(dir.resolve("w0.log"))).contains("the master said quit");
        } finally {
            workers.forEach(Process::destroyForcibly);
            master.destroyForcibly();
        }
    }

    private Process master(List<String> args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(locust.toString(), "-f", dir.resolve("stub.py").toString(), "--master"));
        cmd.addAll(args);
        if (!args.contains("-H")) {
            cmd.addAll(List.of("-H", target.url()));
        }
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve("master.log").toFile());
        pb.environment().put("PYTHONDONTWRITEBYTECODE", "1");
        return pb.start();
    }

    private String masterLog() throws Exception {
        return Files.readString(dir.resolve("master.log"));
    }

    private Process workerProcess(int port, Path log) throws Exception {
        List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dio.netty.leakDetection.level=paranoid", "-cp", System.getProperty("java.class.path"), SwarmMain.class.getName(),
                "--worker", "-f", dir.resolve("scenario.yaml").toString(), "--master-port", String.valueOf(port));
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    private static int swarm(StringWriter log, String... args) {
        CommandLine cmd = Cli.configure(new CommandLine(new SwarmCommand()));
        PrintWriter out = new PrintWriter(log, true);
        cmd.setOut(out);
        cmd.setErr(out);
        return cmd.execute(args);
    }

    private static JsonNode stats(String ui) throws Exception {
        return JSON.readTree(get(ui + "/stats/requests"));
    }

    private static List<String> workerStates(String ui) throws Exception {
        List<String> states = new ArrayList<>();
        stats(ui).path("workers").forEach(w -> states.add(w.path("state").asText()));
        return states;
    }

    private static String get(String url) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString()).body();
    }

    private static void post(String url, String form) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(url)).header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(form)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as("POST %s: %s", url, r.body()).isEqualTo(200);
    }

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    static Path onPath(String tool) {
        for (String entry : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            Path candidate = Path.of(entry, tool);
            if (Files.isExecutable(candidate)) {
                return candidate;
            }
        }
        return null;
    }
}
