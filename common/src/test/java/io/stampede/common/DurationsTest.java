package io.stampede.common;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class DurationsTest {

    @ParameterizedTest
    @CsvSource({
        "500ms, 500", "10s, 10000", "10, 10000", "1m, 60000", "1h, 3600000", "1d, 86400000",
        "1w, 604800000", "1M, 2592000000", "1y, 31536000000", "1h 30m, 5400000", "1m30s, 90000", "0, 0",
        "' 2s ', 2000"})
    void parsesNginxTimeSyntax(String text, long millis) {
        assertThat(Durations.parse(text)).isEqualTo(Duration.ofMillis(millis));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", " ", "ms", "10q", "-1s", "1.5s", "s10", "10 ms x", "99999999999999999s"})
    void refusesAnythingElseNamingTheValue(String text) {
        assertThatThrownBy(() -> Durations.parse(text))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'" + text + "'")
                .hasMessageContaining("expected");
    }

    @ParameterizedTest
    @CsvSource({"500, 500ms", "10000, 10s", "60000, 1m", "7200000, 2h", "0, 0s", "1500, 1500ms"})
    void formatsTheWayNginxUsersWriteIt(long millis, String text) {
        assertThat(Durations.format(Duration.ofMillis(millis))).isEqualTo(text);
    }
}
