package io.stampede.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.stampede.loadgen.report.HtmlReport;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * bench.html: the comparison as one self-contained page (uPlot inline, nothing fetched): the
 * table, the verdict, and one chart per metric over each run's time with a line per row, read
 * from the rows' Locust history files.
 */
final class BenchHtml {
    private BenchHtml() {}

    static void write(Path dir, Plan plan, List<RowResult> rows, String tableMarkdown, List<String> verdict) throws IOException {
        Map<String, Object> data = new LinkedHashMap<>();
        List<String> names = new ArrayList<>();
        Map<String, List<double[]>> series = new LinkedHashMap<>();
        for (RowResult r : rows) {
            names.add(r.name());
            series.put(r.name(), history(dir.resolve("runs").resolve(r.name() + "_stats_history.csv")));
        }
        data.put("names", names);
        // One shared x axis: seconds since each run started, 0..longest.
        int length = series.values().stream().mapToInt(List::size).max().orElse(0);
        List<Integer> x = new ArrayList<>();
        for (int i = 0; i < length; i++) {
            x.add(i);
        }
        data.put("x", x);
        String[] metrics = {"rps", "fps", "p50", "p95"};
        for (int m = 0; m < metrics.length; m++) {
            List<List<Double>> columns = new ArrayList<>();
            for (String name : names) {
                List<double[]> h = series.get(name);
                List<Double> col = new ArrayList<>();
                for (int i = 0; i < length; i++) {
                    col.add(i < h.size() && !Double.isNaN(h.get(i)[m]) ? h.get(i)[m] : null);
                }
                columns.add(col);
            }
            data.put(metrics[m], columns);
        }
        StringBuilder h = new StringBuilder(96 * 1024);
        h.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>stampede bench: ")
                .append(HtmlReport.esc(plan.preset())).append("</title>\n<style>").append(HtmlReport.uplotCss()).append('\n').append(HtmlReport.CSS)
                .append("</style>\n<script>").append(HtmlReport.uplotScript()).append("</script>\n</head><body>\n");
        h.append("<h1>stampede bench: ").append(HtmlReport.esc(plan.preset())).append("</h1>\n<p>").append(HtmlReport.esc(plan.story())).append("</p>\n");
        h.append("<ul><li>backends: ").append(HtmlReport.esc(plan.backends().size() + " Market API processes")).append("</li><li>load: ")
                .append(HtmlReport.esc(Report.describeLoad(plan))).append("</li></ul>\n");
        h.append(table(tableMarkdown));
        for (String line : verdict) {
            h.append("<p>").append(HtmlReport.esc(line)).append("</p>\n");
        }
        h.append("<h2>Over time (seconds since each run's swarm started; warm-up included)</h2>\n<div id=\"charts\"></div>\n");
        h.append("<script>const DATA = ").append(new ObjectMapper().writeValueAsString(data).replace("</", "<\\/"))
                .append(";\n").append(SCRIPT).append("</script>\n</body></html>\n");
        Files.writeString(dir.resolve("bench.html"), h.toString());
    }

    /** The Aggregated rows of a Locust history file: req/s, failures/s, p50, p95 per second. */
    static List<double[]> history(Path csv) throws IOException {
        List<double[]> out = new ArrayList<>();
        if (!Files.exists(csv)) {
            return out;
        }
        for (String line : Files.readAllLines(csv)) {
            String[] f = line.split(",", -1);
            if (f.length > 11 && f[3].equals("Aggregated")) {
                out.add(new double[] {num(f[4]), num(f[5]), num(f[6]), num(f[11])});
            }
        }
        return out;
    }

    private static double num(String s) {
        try {
            return Double.parseDouble(s);
        } catch (NumberFormatException e) {
            return Double.NaN; // "N/A" before the first response
        }
    }

    /** The markdown table of {@link Report#markdownTable} as HTML. */
    private static String table(String markdown) {
        StringBuilder t = new StringBuilder("<table>\n");
        List<String> lines = markdown.lines().filter(l -> l.startsWith("|")).toList();
        for (int i = 0; i < lines.size(); i++) {
            if (i == 1) {
                continue; // the alignment row
            }
            String tag = i == 0 ? "th" : "td";
            t.append("<tr>");
            String[] cells = lines.get(i).split("\\|");
            for (int c = 1; c < cells.length; c++) {
                t.append('<').append(tag).append('>').append(HtmlReport.esc(cells[c].trim())).append("</").append(tag).append('>');
            }
            t.append("</tr>\n");
        }
        return t.append("</table>\n").toString();
    }

    private static final String SCRIPT = """
            (function () {
              const charts = document.getElementById('charts');
              const width = Math.max(600, Math.min(1100, window.innerWidth - 80));
              const colors = ['#7f7f7f', '#2b7bb9', '#d9534f', '#5cb85c', '#f0ad4e', '#9467bd', '#8c564b', '#e377c2', '#17becf'];
              function chart(title, columns, unit) {
                const div = document.createElement('div');
                div.className = 'chart';
                charts.appendChild(div);
                const series = [{label: 's'}].concat(DATA.names.map((n, i) => ({label: n, stroke: colors[i % colors.length],
                  width: 1.5, value: (u, v) => v == null ? '-' : v + unit})));
                new uPlot({title: title, width: width, height: 260, scales: {x: {time: false}}, series: series,
                  axes: [{}, {size: 80, values: (u, vals) => vals.map(v => v + unit)}]}, [DATA.x].concat(columns), div);
              }
              chart('Requests per second', DATA.rps, '');
              chart('Failures per second', DATA.fps, '');
              chart('Median response time', DATA.p50, ' ms');
              chart('95th percentile response time', DATA.p95, ' ms');
            })();
            """;
}
