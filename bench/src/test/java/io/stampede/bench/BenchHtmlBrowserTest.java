package io.stampede.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.stampede.common.testing.Chromium;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * bench.html in a real headless Chromium: every chart drawn (each bar chart's bars, each time
 * chart's canvas with its lines and shading), nothing fetched from anywhere, legends empty until
 * the pointer is over a chart, and a screenshot written beside the report.
 * {@code -Dbench.report=DIR} looks at the bench.html of a real bench run in DIR instead of the one
 * made here (the README's picture is taken that way).
 */
class BenchHtmlBrowserTest {

    @Test
    void everyChartIsDrawnWithNothingFetchedAndAScreenshotBesideTheReport(@TempDir Path tmp) throws Exception {
        if (!Chromium.installed()) {
            System.err.println("SKIPPED BenchHtmlBrowserTest: chromium is not installed (apt-get install chromium)");
            Assumptions.abort("chromium is not installed");
        }
        String given = System.getProperty("bench.report");
        Path dir = given != null ? Path.of(given) : sample(tmp);
        try (Chromium chrome = new Chromium(tmp.resolve("profile"))) {
            chrome.navigate(dir.resolve("bench.html").toUri().toString());
            int bars = chrome.eval("document.querySelectorAll('svg.barchart').length").asInt();
            assertThat(bars).isEqualTo(4);
            // Every bar chart has a bar with a length on it (the failure chart may be all zeros).
            assertThat(chrome.eval("[...document.querySelectorAll('svg.barchart')].filter(s => s.querySelector('rect.bar'))"
                    + ".length").asInt()).isEqualTo(4);
            assertThat(chrome.eval("[...document.querySelectorAll('rect.bar')].filter(r => r.getBBox().width > 0).length").asInt())
                    .isGreaterThan(8);
            int timeCharts = chrome.eval("document.querySelectorAll('#charts .uplot').length").asInt();
            assertThat(timeCharts).isGreaterThanOrEqualTo(given != null ? 4 : 5);
            // Each chart's canvas has something drawn in its plot area (lines, the warm-up's shade).
            String painted = "[...document.querySelectorAll('#charts .uplot canvas')].map(c => {"
                    + " const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data; let n = 0;"
                    + " for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++; return n; })";
            assertThat(chrome.eval("JSON.stringify(" + painted + ".map(n => n > 500))").asText())
                    .isEqualTo("[" + String.join(",", java.util.Collections.nCopies(timeCharts, "true")) + "]");
            // Nothing fetched: the page is whole in itself.
            assertThat(chrome.eval("performance.getEntriesByType('resource').length").asInt()).isZero();
            // Legends: empty until the pointer is over a chart, then values.
            assertThat(chrome.eval("[...document.querySelectorAll('.u-legend .u-value')].every(e => e.textContent === '')")
                    .asBoolean()).isTrue();
            String hover = "(() => { const o = document.querySelector('#charts .u-over'); const r = o.getBoundingClientRect();"
                    + " o.dispatchEvent(new MouseEvent('mouseenter', {clientX: r.left + r.width * 0.8, clientY: r.top + 20}));"
                    + " o.dispatchEvent(new MouseEvent('mousemove', {clientX: r.left + r.width * 0.8, clientY: r.top + 20}));"
                    + " return [...document.querySelector('#charts .uplot').querySelectorAll('.u-legend .u-value')]"
                    + ".filter(e => e.textContent !== '').length; })()";
            assertThat(chrome.eval(hover).asInt()).isGreaterThanOrEqualTo(2);
            chrome.screenshot(dir.resolve("bench.png"));
        }
        assertThat(Files.size(dir.resolve("bench.png"))).isGreaterThan(10_000);
    }

    /** A report of three rows with a warm-up, a kill and restart, and waiting requests. */
    private static Path sample(Path tmp) throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("bench"));
        Files.createDirectories(dir.resolve("runs"));
        Plan plan = Presets.build("failure", new Presets.Options(true, 4, null, null, null, List.of("round_robin", "least_conn"),
                false, 64));
        List<RowResult> rows = new java.util.ArrayList<>();
        java.util.Random random = new java.util.Random(7);
        for (Plan.Row row : plan.rows()) {
            boolean direct = row.isDirect();
            double rate = direct ? 180 : 680;
            StringBuilder csv = new StringBuilder(BenchHtmlTestData.HEADER);
            StringBuilder waiting = new StringBuilder("second,proxy,backends\n");
            long total = 0;
            for (int i = 0; i < 30; i++) {
                if (i == 8) {
                    total = 0; // the reset
                }
                double rps = i == 8 ? 0 : rate * (0.9 + 0.2 * random.nextDouble()) * (i > 14 && i < 20 && !direct ? 0.8 : 1);
                total += (long) rps;
                csv.append(BenchHtmlTestData.row(rps, i > 14 && i < 17 && !direct ? 20 : 0, 40 + random.nextInt(20),
                        120 + random.nextInt(60), total));
                waiting.append(i + 1).append(",,").append(random.nextInt(direct ? 30 : 5)).append('\n');
            }
            Files.writeString(dir.resolve("runs/" + row.name() + "_stats_history.csv"), csv.toString());
            Files.writeString(dir.resolve("runs/" + row.name() + Waiting.SUFFIX), waiting.toString());
            Map<String, Double> share = direct ? Map.of("api-1", 1.0)
                    : Map.of("api-1", 0.27, "api-2", 0.19, "api-3", 0.27, "api-4", 0.27);
            rows.add(new RowResult(row.name(), row.algorithm(), direct ? 1 : 4, (long) (rate * 20), direct ? 0 : 60, 20,
                    new double[] {45, 150, 240, 400, 900}, new java.util.TreeMap<>(share), -1, -1, 0, Map.of(),
                    direct ? Map.of() : Map.of("backend", "api-2", "killed_at_s", 6.5, "back_at_s", 12.0)));
        }
        BenchHtml.write(dir, plan, rows, Report.markdownTable(rows), Verdict.lines(plan, rows));
        return dir;
    }
}
