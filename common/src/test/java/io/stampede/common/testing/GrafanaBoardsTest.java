package io.stampede.common.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The board check fails on what Grafana would show as "No data". */
class GrafanaBoardsTest {
    private static final String SCRAPE = """
            # TYPE stampede_x_total counter
            stampede_x_total{peer="a",upstream="u"} 3.0
            stampede_y_seconds_bucket{le="0.1",upstream="u"} 1.0
            """;

    private static Path board(Path dir, String expr) throws Exception {
        return Files.writeString(dir.resolve("b.json"), """
                {"uid": "t", "panels": [{"id": 1, "type": "timeseries", "title": "t", "gridPos": {"w": 12},
                  "datasource": {"uid": "${datasource}"}, "targets": [{"expr": "%s"}]}],
                 "templating": {"list": [{"type": "query", "name": "u",
                   "query": {"query": "label_values(stampede_x_total{instance=~\\"$i\\"}, upstream)"}}]}}
                """.formatted(expr.replace("\"", "\\\"")));
    }

    @Test
    void passesWhatTheScrapeHasAndNamesWhatItLacks(@TempDir Path dir) throws Exception {
        assertThat(GrafanaBoards.check(board(dir, "sum by (le, upstream) (rate(stampede_y_seconds_bucket{upstream=~\"$u\"}[1m]))"),
                SCRAPE)).isEqualTo(2);
        assertThatThrownBy(() -> GrafanaBoards.check(board(dir, "rate(stampede_z_total[1m])"), SCRAPE))
                .hasMessageContaining("names stampede_z_total, which /metrics does not export");
        assertThatThrownBy(() -> GrafanaBoards.check(board(dir, "stampede_x_total{code=\"2xx\"}"), SCRAPE))
                .hasMessageContaining("uses the label code");
        assertThatThrownBy(() -> GrafanaBoards.check(board(dir, "sum by (state) (stampede_x_total)"), SCRAPE))
                .hasMessageContaining("uses the label state");
        assertThatThrownBy(() -> GrafanaBoards.check(board(dir, "vector(1)"), SCRAPE)).hasMessageContaining("names no stampede metric");
    }
}
