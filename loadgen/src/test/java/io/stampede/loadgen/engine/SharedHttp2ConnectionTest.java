package io.stampede.loadgen.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.stampede.loadgen.scenario.Scenario;
import io.stampede.loadgen.scenario.ScenarioLoader;
import io.stampede.loadgen.stats.StatsCollector;
import java.io.StringReader;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/** HTTP/2 details a server cannot show: this responder says nothing until a request has ended. */
class SharedHttp2ConnectionTest {
    /**
     * One user, a pause before each POST: its body must leave with its head, although nothing
     * arrives on the quiet connection to set Netty's flow controller writing (the body waits
     * there until the HTTP/2 handler itself flushes).
     */
    @Test
    void aBodyOnAQuietConnectionLeavesWithItsHead() throws Exception {
        try (GeneratorWarmup.Http2Responder responder = GeneratorWarmup.Http2Responder.start()) {
            String url = "http://127.0.0.1:" + responder.port();
            Scenario scenario = ScenarioLoader.parse("quiet.yaml", new StringReader("host: " + url + "\nhttp2: true\nusers:\n"
                    + "  U:\n    wait_time: constant(0.1)\n    tasks:\n      post:\n        steps:\n"
                    + "          - post: /echo\n            json: {a: 1}\n"), Map.of(), Path.of("."));
            SwarmSettings settings = new SwarmSettings(Target.of(url), Map.of(), TimeUnit.MILLISECONDS.toNanos(500), 1 << 20, 1,
                    100, null, Duration.ZERO, null, 1, 1, List.of(), null, 1);
            StatsCollector collector = new StatsCollector(System::nanoTime);
            try (Swarm swarm = new Swarm(scenario, settings, collector)) {
                swarm.start().join();
                Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> collector.collect().total().requests() >= 5);
            }
            assertThat(collector.collect().total().failures()).as("no request waited for its timeout").isZero();
        }
    }
}
