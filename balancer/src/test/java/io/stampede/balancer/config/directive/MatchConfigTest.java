package io.stampede.balancer.config.directive;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class MatchConfigTest {
    private static final Map<String, String> JSON = Map.of("content-type", "application/json");

    @Test
    void withoutAMatchBlockAny2xxOr3xxPasses() {
        assertThat(MatchConfig.DEFAULT.failure(204, JSON::get, "")).isNull();
        assertThat(MatchConfig.DEFAULT.failure(302, JSON::get, "")).isNull();
        assertThat(MatchConfig.DEFAULT.failure(500, JSON::get, "")).isEqualTo("status 500");
        assertThat(MatchConfig.DEFAULT.failure(101, JSON::get, "")).isEqualTo("status 101");
    }

    @Test
    void statusListsRangesAndNegation() {
        MatchConfig some = MatchConfig.parse("m", "200 204 300-302", List.of(), null);
        assertThat(some.failure(204, JSON::get, "")).isNull();
        assertThat(some.failure(301, JSON::get, "")).isNull();
        assertThat(some.failure(201, JSON::get, "")).isEqualTo("status 201 (match m)");
        MatchConfig not = MatchConfig.parse("m", "! 500-599", List.of(), null);
        assertThat(not.failure(404, JSON::get, "")).isNull();
        assertThat(not.failure(503, JSON::get, "")).isNotNull();
    }

    @Test
    void headerTestsAsNginxWritesThem() {
        MatchConfig m = MatchConfig.parse("m", null, List.of("Content-Type = application/json", "X-Ready", "! X-Maintenance",
                "Content-Type ~ json$", "Content-Type !~ xml", "Content-Type != text/html"), null);
        assertThat(m.failure(200, JSON::get, "")).isEqualTo("header test 'x-ready' failed (match m)");
        Map<String, String> ready = Map.of("content-type", "application/json", "x-ready", "1");
        assertThat(m.failure(200, ready::get, "")).isNull();
        Map<String, String> maintenance = Map.of("content-type", "application/json", "x-ready", "1", "x-maintenance", "on");
        assertThat(m.failure(200, maintenance::get, "")).isEqualTo("header test '! x-maintenance' failed (match m)");
    }

    @Test
    void bodyRegexMustOrMustNotMatch() {
        MatchConfig ok = MatchConfig.parse("m", null, List.of(), "~ \"\\\"status\\\": *\\\"ok\\\"\"");
        assertThat(ok.failure(200, JSON::get, "{\"status\": \"ok\"}")).isNull();
        assertThat(ok.failure(200, JSON::get, "{\"status\": \"failing\"}")).contains("does not match");
        MatchConfig noError = MatchConfig.parse("m", null, List.of(), "!~ error");
        assertThat(noError.failure(200, JSON::get, "all good")).isNull();
        assertThat(noError.failure(200, JSON::get, "an error")).contains("matches error");
    }
}
