package io.stampede.loadgen.run;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import io.stampede.loadgen.engine.SwarmSettings;
import io.stampede.loadgen.engine.Target;
import io.stampede.loadgen.scenario.Scenario;
import io.stampede.loadgen.scenario.ScenarioLoader;
import io.stampede.loadgen.stats.StatsSnapshot;
import java.io.StringReader;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The run lifecycle both modes share, on a clock the test moves: ticks, the warm-up's reset, the
 * run time (from the arrivals' start in the open model), edits, and listeners that fail. The users
 * send real requests to a loopback server; only the session's own timing is the test's.
 */
class RunSessionTest {
    static HttpServer server;
    static String url;

    private final AtomicLong now = new AtomicLong(1_000_000_000L);
    private final List<String> heard = new ArrayList<>();
    private RunSession session;

    @BeforeAll
    static void startServer() throws Exception {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", exchange -> {
            byte[] body = "ok".getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.start();
        url = "http://127.0.0.1:" + server.getAddress().getPort();
    }

    @AfterAll
    static void stopServer() {
        server.stop(0);
    }

    @AfterEach
    void stopSession() {
        if (session != null) {
            session.stop();
        }
    }

    private void advance(double seconds) {
        now.addAndGet((long) (seconds * TimeUnit.SECONDS.toNanos(1)));
    }

    /** A listener that writes what it hears into {@link #heard}. */
    private RunListener recorder() {
        return new RunListener() {
            @Override
            public void started(RunSession run) {
                heard.add("started");
            }

            @Override
            public void tick(RunSession run, StatsSnapshot snapshot, String warning) {
                heard.add("tick");
            }

            @Override
            public void reset(RunSession run, boolean measuring) {
                heard.add(measuring ? "measuring" : "reset");
            }

            @Override
            public void stopped(RunSession run, StatsSnapshot last) {
                heard.add("stopped " + last.total().requests());
            }
        };
    }

    private RunSession session(RunRequest request, Duration warmup, boolean resetWhenSpawned, RunListener... listeners)
            throws Exception {
        Scenario scenario = ScenarioLoader.parse("s.yaml", new StringReader("""
                users:
                  Reader:
                    wait_time: constant(0.1)
                    tasks:
                      root: {steps: [{get: /}]}
                """), Map.of(), Path.of("."));
        SwarmSettings settings = new SwarmSettings(Target.of(request.host()), Map.of(), Duration.ofSeconds(10).toNanos(),
                1 << 20, request.users(), request.spawnRate(), request.runTime(), Duration.ZERO, request.pacer(), 1, 1,
                List.of());
        List<RunListener> all = new ArrayList<>(List.of(listeners));
        all.add(0, recorder());
        session = new RunSession(new RunSession.Spec(scenario, null, "s.yaml", resetWhenSpawned, warmup), request, settings,
                all, now::get);
        return session;
    }

    @Test
    void ticksOncePerSecondAndALatePollIsOneTickNotABurst() throws Exception {
        RunSession s = session(new RunRequest(2, 100, url, null, null), null, false);
        s.start().join();
        s.poll();
        advance(0.999);
        s.poll();
        assertThat(heard).containsExactly("started");
        advance(0.001);
        assertThat(s.nanosToNextPoll()).isEqualTo(1);
        s.poll();
        assertThat(heard).containsExactly("started", "tick");
        assertThat(s.nanosToNextPoll()).isEqualTo(TimeUnit.SECONDS.toNanos(1));
        advance(5);
        s.poll();
        s.poll();
        assertThat(heard).containsExactly("started", "tick", "tick");
        advance(0.5);
        s.poll();
        assertThat(heard).as("the next tick half a second after the late one").containsExactly("started", "tick", "tick", "tick");
        assertThat(s.last()).isNotNull();
        assertThat(s.mode()).isEqualTo("closed");
    }

    @Test
    void theWarmUpResetsOnceItsTimeAfterTheSpawnEnded() throws Exception {
        RunSession s = session(new RunRequest(3, 1000, url, null, null), Duration.ofSeconds(3), false);
        s.start().join();
        Awaitility.await("all users spawned").atMost(Duration.ofSeconds(10)).until(() -> !s.spawning());
        assertThat(s.nanosToNextPoll()).as("looks again soon while the spawn's end is unseen")
                .isLessThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(50));
        s.poll(); // sees the spawn ended: the warm-up counts from here
        advance(0.5);
        assertThat(s.nanosToNextPoll()).isEqualTo(TimeUnit.MILLISECONDS.toNanos(500));
        advance(2.499);
        s.poll();
        assertThat(heard).containsExactly("started", "tick");
        advance(0.001);
        s.poll();
        assertThat(heard).containsExactly("started", "tick", "measuring");
        advance(10);
        s.poll();
        assertThat(heard).filteredOn(h -> h.equals("measuring")).hasSize(1);
    }

    @Test
    void resetStatsWithoutAWarmUpResetsWhenTheSpawnEnds() throws Exception {
        RunSession s = session(new RunRequest(2, 1000, url, null, null), null, true);
        s.start().join();
        Awaitility.await("all users spawned").atMost(Duration.ofSeconds(10)).until(() -> !s.spawning());
        s.poll();
        assertThat(heard).containsExactly("started", "measuring");
        s.reset();
        assertThat(heard).containsExactly("started", "measuring", "reset");
    }

    @Test
    void theRunTimeEndsThePollsAndStopTellsTheListenersOnce() throws Exception {
        RunSession s = session(new RunRequest(1, 100, url, Duration.ofSeconds(3), null), null, false);
        s.start().join();
        advance(2.999);
        assertThat(s.poll()).isFalse();
        assertThat(s.nanosToNextPoll()).isEqualTo(TimeUnit.MILLISECONDS.toNanos(1));
        advance(0.001);
        assertThat(s.poll()).isTrue();
        s.stop();
        s.stop();
        assertThat(heard).filteredOn(h -> h.startsWith("stopped")).hasSize(1);
        assertThat(s.poll()).isTrue();
        assertThat(s.stopped()).isTrue();
    }

    @Test
    void theOpenModelsRunTimeCountsFromTheArrivalsAndAnEditChangesThem() throws Exception {
        RunSession s = session(new RunRequest(4, 100, url, Duration.ofSeconds(2), "5/s"), null, false);
        s.start().join();
        assertThat(s.mode()).isEqualTo("open");
        advance(1.5);
        assertThat(s.poll()).isFalse();
        advance(0.5);
        assertThat(s.poll()).as("two seconds from the arrivals' start").isTrue();

        assertThat(s.currentRate()).isEqualTo(5.0);
        RunRequest edited = s.edit(new RunRequest(6, 10, url, null, "30s:50/s"));
        assertThat(edited.runTime()).as("the run time stays").isEqualTo(Duration.ofSeconds(2));
        assertThat(s.request().arrivals()).isEqualTo("30s:50/s");
        assertThatThrownBy(() -> s.edit(new RunRequest(6, 10, url, null, null))).hasMessageStartingWith("rate:");
        assertThatThrownBy(() -> s.edit(new RunRequest(6, 10, "http://127.0.0.2:1", null, "5/s"))).hasMessageStartingWith("host:");
    }

    @Test
    void aFailingListenerDoesNotSilenceTheOthersAndAFailedStartStopsNothing() throws Exception {
        RunListener failing = new RunListener() {
            @Override
            public void tick(RunSession run, StatsSnapshot snapshot, String warning) {
                throw new IllegalStateException("disk full");
            }
        };
        RunListener after = new RunListener() {
            @Override
            public void tick(RunSession run, StatsSnapshot snapshot, String warning) {
                heard.add("after");
            }
        };
        RunSession s = session(new RunRequest(1, 100, url, null, null), null, false, failing, after);
        s.start().join();
        advance(1);
        assertThatThrownBy(s::poll).hasMessage("disk full");
        assertThat(heard).containsExactly("started", "tick", "after");
        s.stop();

        heard.clear();
        RunListener cannotStart = new RunListener() {
            @Override
            public void started(RunSession run) {
                throw new IllegalStateException("cannot write the CSV");
            }
        };
        RunSession broken = session(new RunRequest(1, 100, url, null, null), null, false, cannotStart);
        assertThatThrownBy(broken::start).hasMessage("cannot write the CSV");
        broken.stop();
        assertThat(heard).containsExactly("started");
        assertThat(broken.stopped()).isTrue();
    }

    @Test
    void aRequestsArrivalsAreARateOrStages() {
        assertThat(new RunRequest(1, 1, url, null, "200/s").pacer().rateAt(0)).isEqualTo(200.0);
        assertThat(new RunRequest(1, 1, url, null, "10s:100/s").pacer().total()).isEqualTo(Duration.ofSeconds(10));
        assertThat(new RunRequest(1, 1, url, null, null).pacer()).isNull();
        assertThatThrownBy(() -> new RunRequest(1, 1, url, null, "fast")).hasMessageContaining("'fast' is not a rate");
        RunRequest form = RunRequest.parse(Map.of("rate", "10s:100/s"), new RunRequest(1, 1, url, null, null));
        assertThat(form.runTime()).as("stages end the run when no run time is given").isEqualTo(Duration.ofSeconds(10));
        assertThatThrownBy(() -> RunRequest.parse(Map.of("rate", "x"), form)).hasMessageStartingWith("rate:");
    }

    /**
     * A Locust master's absolute counts per class, through a running swarm: classes shrink (their
     * users stop), grow, go to zero and come back, and each time every class ends on its count.
     */
    @Test
    void exactCountsPerClassShrinkGrowAndComeBack() throws Exception {
        Scenario scenario = ScenarioLoader.parse("two.yaml", new StringReader("""
                users:
                  Reader:
                    weight: 3
                    wait_time: constant(0.05)
                    tasks:
                      root: {steps: [{get: /}]}
                  Writer:
                    wait_time: constant(0.05)
                    tasks:
                      root: {steps: [{get: /w}]}
                """), Map.of(), Path.of("."));
        RunRequest request = new RunRequest(8, 8000, url, null, null);
        SwarmSettings settings = new SwarmSettings(Target.of(url), Map.of(), Duration.ofSeconds(10).toNanos(), 1 << 20, 8, 8000, null,
                Duration.ZERO, null, 1, 2, List.of());
        session = new RunSession(new RunSession.Spec(scenario, null, "two.yaml", false, null), request, settings, List.of(), now::get);
        assertThat(session.editClasses(Map.of("Reader", 5, "Writer", 3))).isEqualTo(8);
        session.start().join();
        for (Map<String, Integer> counts : List.of(Map.of("Reader", 5, "Writer", 3), Map.of("Reader", 0, "Writer", 6),
                Map.of("Reader", 2, "Writer", 0), Map.of("Reader", 4, "Writer", 4, "Ghost", 0))) {
            session.editClasses(counts);
            int total = counts.values().stream().mapToInt(Integer::intValue).sum();
            org.awaitility.Awaitility.await("users " + counts).atMost(Duration.ofSeconds(20)).until(() ->
                    session.usersPerClass().get("Reader").equals(counts.get("Reader"))
                    && session.usersPerClass().get("Writer").equals(counts.get("Writer")) && session.users() == total);
        }
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> session.editClasses(Map.of("Ghost", 1)))
                .hasMessageContaining("user class 'Ghost' is not in the scenario (it has Reader, Writer)");
    }
}
