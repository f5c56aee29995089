package io.stampede.loadgen.scenario;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.stampede.common.yaml.ConfigException;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class ScenarioLoaderTest {
    static Scenario parse(String yaml) {
        return ScenarioLoader.parse("s.yaml", new StringReader(yaml), Map.of(), Path.of("."));
    }

    @Test
    void theSeedScenarioMirrorsTheLocustfile() {
        Scenario s = ScenarioLoader.load(Path.of("..", "config", "market-api.swarm.yaml"), Map.of());
        assertThat(s.users()).hasSize(1);
        UserClass u = s.users().get(0);
        assertThat(u.name()).isEqualTo("MarketAPI");
        assertThat(u.waitTime()).isEqualTo(new WaitTime.Between(0, 1.9));
        assertThat(u.tasks()).extracting(Task::name, Task::weight).containsExactly(
                org.assertj.core.groups.Tuple.tuple("login", 1), org.assertj.core.groups.Tuple.tuple("list_items", 2),
                org.assertj.core.groups.Tuple.tuple("view_products", 3), org.assertj.core.groups.Tuple.tuple("refresh_token", 4));
        Step.Request login = (Step.Request) u.onStart().get(0);
        assertThat(login.method()).isEqualTo("POST");
        assertThat(login.path().render(n -> Map.of("base", "api/v1").get(n))).isEqualTo("/api/v1/auth/token/");
        assertThat(login.captures()).containsOnlyKeys("access_token", "refresh_token");
        Step.Repeat loop = (Step.Repeat) u.tasks().get(2).steps().get(0);
        assertThat(loop.from()).isEqualTo(1);
        assertThat(loop.to()).isEqualTo(49);
        Step.Request product = (Step.Request) loop.steps().get(0);
        assertThat(product.name().render(n -> "api/v1")).isEqualTo("/api/v1/products/[id]/");
        assertThat(((Step.Sleep) loop.steps().get(1)).duration()).isEqualTo(Duration.ofMillis(300));
    }

    @Test
    void environmentDefaultsAndOverrides() {
        String yaml = "users:\n  U:\n    tasks:\n      t:\n        steps:\n          - post: /x\n"
                + "            json: {email: \"${env.MARKET_EMAIL:-demo@market.test}\"}\n";
        Step.Request dflt = (Step.Request) parse(yaml).users().get(0).tasks().get(0).steps().get(0);
        Step.Request set = (Step.Request) ScenarioLoader.parse("s.yaml", new StringReader(yaml),
                Map.of("MARKET_EMAIL", "user3@market.test"), Path.of(".")).users().get(0).tasks().get(0).steps().get(0);
        assertThat(((Template) ((Map<?, ?>) ((Step.JsonBody) dflt.body()).tree()).get("email")).render(n -> null))
                .isEqualTo("demo@market.test");
        assertThat(((Template) ((Map<?, ?>) ((Step.JsonBody) set.body()).tree()).get("email")).render(n -> null))
                .isEqualTo("user3@market.test");
    }

    @Test
    void dataFeedsHandRowsOutInTurn(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("users.csv"), "email,password\nu1@x,p1\nu2@x,p2\n");
        Scenario s = ScenarioLoader.parse("s.yaml", new StringReader("data:\n  creds: {csv: users.csv}\nusers:\n  U:\n"
                + "    feed: creds\n    tasks:\n      t:\n        steps:\n          - post: /login\n"
                + "            json: {email: \"${creds.email}\"}\n"), Map.of(), dir);
        DataFeed feed = s.feeds().get("creds");
        assertThat(feed.nextRow().get("email")).isEqualTo("u1@x");
        assertThat(feed.nextRow().get("email")).isEqualTo("u2@x");
        assertThat(feed.nextRow().get("email")).isEqualTo("u1@x");
    }

    static Stream<Arguments> mistakes() {
        String head = "users:\n  U:\n";
        return Stream.of(
            Arguments.of(head + "    wait_time: between(2, 1)\n    tasks:\n      t:\n        steps: [{get: /}]\n",
                    "s.yaml:3: users.U.wait_time: 'between(2, 1)' (expected between takes two numbers, MIN <= MAX)"),
            Arguments.of(head + "    wait: 1\n    tasks:\n      t:\n        steps: [{get: /}]\n",
                    "s.yaml:3: users.U.wait: unknown key 'wait'"),
            Arguments.of(head + "    tasks:\n      t:\n        steps:\n          - get: /x/${nope}/\n",
                    "s.yaml:6: users.U: ${nope} is never set"),
            Arguments.of(head + "    on_start: [logn]\n    tasks:\n      login:\n        steps: [{get: /}]\n",
                    "s.yaml:3: users.U.on_start[0]: 'logn' (expected a task name (login) or inline steps)"),
            Arguments.of(head + "    tasks:\n      t:\n        steps:\n          - get: /x\n            capture: {a: access}\n",
                    "users.U.tasks.t.steps[0].capture.a: 'access' (expected a JSON path ($.field), header:NAME or regex:PATTERN)"),
            Arguments.of(head + "    tasks:\n      t:\n        steps:\n          - fetch: /x\n", "a step is a request"),
            Arguments.of(head + "    tasks:\n      t:\n        steps:\n          - get: /x\n            timeout: 3\n",
                    "unknown key 'timeout'"),
            Arguments.of(head + "    tasks:\n      t:\n        steps:\n          - sleep: soon\n", "'soon' (expected a duration"),
            Arguments.of(head + "    tasks:\n      t:\n        steps:\n          - get: /x\n            json: {a: \"${env.NOPE_NOT_SET}\"}\n",
                    "environment variable NOPE_NOT_SET is not set"),
            Arguments.of("host: ftp://x\n" + head + "    tasks:\n      t:\n        steps: [{get: /}]\n",
                    "s.yaml:1: host: 'ftp://x' (expected http://HOST[:PORT])"),
            Arguments.of("http2: sometimes\n" + head + "    tasks:\n      t:\n        steps: [{get: /}]\n",
                    "s.yaml:1: http2: 'sometimes' (expected true or false)"),
            Arguments.of("users: {}\n", "no user classes"),
            Arguments.of("hosts: x\n", "unknown key 'hosts'")
        );
    }

    @Test
    void http2IsOffUnlessTheScenarioSaysSo() {
        String users = "users:\n  U:\n    tasks:\n      t:\n        steps: [{get: /}]\n";
        assertThat(parse(users).http2()).isFalse();
        assertThat(parse("http2: true\n" + users).http2()).isTrue();
    }

    @ParameterizedTest
    @MethodSource("mistakes")
    void mistakesNameTheFileLineAndKey(String yaml, String message) {
        assertThatThrownBy(() -> parse(yaml)).isInstanceOf(ConfigException.class).hasMessageContaining(message);
    }

    @Test
    void waitTimesFollowLocust() {
        java.util.SplittableRandom r = new java.util.SplittableRandom(1);
        WaitTime between = WaitTime.parse("between(0, 1.9)");
        long min = Long.MAX_VALUE;
        long max = 0;
        for (int i = 0; i < 10_000; i++) {
            long w = between.waitNanos(0, r);
            min = Math.min(min, w);
            max = Math.max(max, w);
        }
        assertThat(min).isBetween(0L, 10_000_000L);
        assertThat(max).isBetween(1_890_000_000L, 1_900_000_000L);
        assertThat(WaitTime.parse("constant(1)").waitNanos(5_000_000_000L, null)).isEqualTo(1_000_000_000L);
        assertThat(WaitTime.parse("constant_pacing(2)").waitNanos(500_000_000L, null)).isEqualTo(1_500_000_000L);
        assertThat(WaitTime.parse("constant_pacing(2)").waitNanos(3_000_000_000L, null)).isZero();
        assertThat(WaitTime.parse("constant_throughput(0.5)").waitNanos(500_000_000L, null)).isEqualTo(1_500_000_000L);
        assertThatThrownBy(() -> WaitTime.parse("between(1)")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> WaitTime.parse("constant(-1)")).isInstanceOf(IllegalArgumentException.class);
    }
}
