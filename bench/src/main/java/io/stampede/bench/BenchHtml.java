package io.stampede.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.stampede.loadgen.report.BarChart;
import io.stampede.loadgen.report.HtmlReport;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * bench.html: the comparison as one self-contained page (uPlot inline, nothing fetched). It leads
 * with what the bench measures, as bars per row (ok req/s, p50/p95/p99, failures, each backend's
 * share), then the verdict and the table, then the rows over time from their Locust history
 * files: aligned on the moment each swarm's measured window opened, the warm-up before it shaded,
 * the failure preset's kill and restart marked, and the requests waiting in the proxy's queue and
 * the backends' (sampled by the bench) when any waited.
 */
final class BenchHtml {
    static final String DIRECT_COLOR = "#8c8c8c";
    static final String NGINX_COLOR = "#3c9a3c";
    static final String OURS_COLOR = "#2b7bb9";
    private static final List<String> PALETTE = List.of("#2b7bb9", "#d9534f", "#f0ad4e", "#9467bd", "#17becf", "#8c564b",
            "#e377c2", "#bcbd22", "#7f7f7f", "#1f77b4");

    private BenchHtml() {}

    static void write(Path dir, Plan plan, List<RowResult> rows, String tableMarkdown, List<String> verdict) throws IOException {
        StringBuilder h = new StringBuilder(128 * 1024);
        h.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>stampede bench: ")
                .append(HtmlReport.esc(plan.preset())).append("</title>\n<style>").append(HtmlReport.uplotCss()).append('\n').append(HtmlReport.CSS)
                .append(CSS).append("</style>\n<script>").append(HtmlReport.uplotScript()).append("</script>\n</head><body>\n");
        h.append("<h1>stampede bench: ").append(HtmlReport.esc(plan.preset())).append("</h1>\n<p>").append(HtmlReport.esc(plan.story())).append("</p>\n");
        h.append("<ul><li>backends: ").append(HtmlReport.esc(plan.backends().size() + " Market API processes")).append("</li><li>load: ")
                .append(HtmlReport.esc(Report.describeLoad(plan))).append("</li></ul>\n");
        for (String line : verdict) {
            h.append("<p class=\"verdict\">").append(HtmlReport.esc(line)).append("</p>\n");
        }
        h.append("<h2>What each row measured</h2>\n<div class=\"bars\">\n").append(bars(plan, rows)).append("</div>\n");
        h.append("<p class=\"note\">Grey: the swarm straight at one backend (the baseline). Green: nginx with the same backends."
                + " Blue: our proxy. Hover a bar for its value. Latency runs from each request's intended start.</p>\n");
        h.append("<h2>The table</h2>\n").append(table(tableMarkdown));
        h.append("<h2>Over time</h2>\n<p class=\"note\">Seconds from the moment each row's measured window opened (its"
                + " statistics were reset then); the shaded part before zero is the spawn and warm-up, which no figure above"
                + " counts. Hover for values.</p>\n<div id=\"charts\"></div>\n");
        h.append("<script>const DATA = ").append(new ObjectMapper().writeValueAsString(timeSeries(dir, plan, rows)).replace("</", "<\\/"))
                .append(";\n").append(SCRIPT).append("</script>\n</body></html>\n");
        Files.writeString(dir.resolve("bench.html"), h.toString());
    }

    /** The four bar charts. */
    static String bars(Plan plan, List<RowResult> rows) {
        List<BarChart.Row> labels = new ArrayList<>();
        List<String> colors = new ArrayList<>();
        double[][] good = new double[rows.size()][1];
        double[][] latency = new double[rows.size()][3];
        double[][] failed = new double[rows.size()][1];
        for (int i = 0; i < rows.size(); i++) {
            RowResult r = rows.get(i);
            String kind = kind(plan, r);
            labels.add(new BarChart.Row(r.name(), kind.equals("ours") ? "" : kind, !kind.equals("ours")));
            colors.add(kind.equals("direct") ? DIRECT_COLOR : kind.equals("nginx") ? NGINX_COLOR : OURS_COLOR);
            good[i][0] = r.goodRps();
            latency[i] = new double[] {r.p50(), r.p95(), r.p99()};
            failed[i][0] = r.failRatio() * 100;
        }
        StringBuilder s = new StringBuilder();
        s.append(BarChart.grouped("Successful requests per second", "", labels, List.of(new BarChart.Series("ok req/s", OURS_COLOR)),
                good, colors));
        s.append(BarChart.grouped("Response time (ms)", " ms", labels, List.of(new BarChart.Series("p50", "#9ecae1"),
                new BarChart.Series("p95", "#4292c6"), new BarChart.Series("p99", "#08519c")), latency, null));
        s.append(BarChart.grouped("Failed requests (%)", "%", labels, List.of(new BarChart.Series("failures", "#d9534f")), failed,
                null));
        List<String> backends = new ArrayList<>();
        rows.forEach(r -> r.share().keySet().forEach(b -> {
            if (!backends.contains(b)) {
                backends.add(b);
            }
        }));
        List<BarChart.Series> parts = new ArrayList<>();
        for (int k = 0; k < backends.size(); k++) {
            parts.add(new BarChart.Series(backends.get(k), PALETTE.get(k % PALETTE.size())));
        }
        double[][] shares = new double[rows.size()][backends.size()];
        for (int i = 0; i < rows.size(); i++) {
            for (int k = 0; k < backends.size(); k++) {
                shares[i][k] = rows.get(i).share().getOrDefault(backends.get(k), 0.0);
            }
        }
        s.append(BarChart.stacked(plan.tunnels() ? "Each backend's share of the open WebSocket tunnels" : "Each backend's share of the requests",
                labels, parts, shares));
        return s.toString();
    }

    /** "direct", "nginx" or "ours", from the plan's row of that name. */
    private static String kind(Plan plan, RowResult r) {
        for (Plan.Row row : plan.rows()) {
            if (row.name().equals(r.name())) {
                return row.isDirect() ? "direct" : row.nginx() ? "nginx" : "ours";
            }
        }
        return r.algorithm().equals("-") ? "direct" : "ours";
    }

    /**
     * The rows' histories on one axis: x is seconds since each row's measured window opened, so
     * the warm-up is x &lt; 0 on every row. The rates of the reset's second (its window cut short,
     * then emptied) are left out rather than drawn as a spike or an outage.
     */
    static Map<String, Object> timeSeries(Path dir, Plan plan, List<RowResult> rows) throws IOException {
        long fallback = plan.load().spawnTime().plus(plan.load().warmup()).toSeconds();
        List<History> histories = new ArrayList<>();
        for (RowResult r : rows) {
            histories.add(History.read(dir.resolve("runs").resolve(r.name() + "_stats_history.csv"),
                    dir.resolve("runs").resolve(r.name() + Waiting.SUFFIX), fallback));
        }
        int min = 0;
        int max = 0;
        for (History hi : histories) {
            min = Math.min(min, -hi.start);
            max = Math.max(max, hi.rows.size() - 1 - hi.start);
        }
        List<Integer> x = new ArrayList<>();
        for (int i = min; i <= max; i++) {
            x.add(i);
        }
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("names", rows.stream().map(RowResult::name).toList());
        data.put("x", x);
        String[] metrics = {"rps", "fps", "p50", "p95"};
        for (int m = 0; m < metrics.length; m++) {
            List<List<Double>> columns = new ArrayList<>();
            for (History hi : histories) {
                List<Double> col = new ArrayList<>();
                for (int t = min; t <= max; t++) {
                    int i = t + hi.start;
                    double v = i >= 0 && i < hi.rows.size() ? hi.rows.get(i)[m] : Double.NaN;
                    // The reset's row rates a window cut short by the reset (a spike or a dip), and the row
                    // after it reads 0 req/s while the emptied window refills: neither is what the target
                    // did. Whether the second row is such a one is told by its req/s, for both rates.
                    boolean refilling = t == 1 && i < hi.rows.size() && hi.rows.get(i)[0] == 0;
                    if (m < 2 && hi.reset && (t == 0 || refilling)) {
                        v = Double.NaN;
                    }
                    col.add(Double.isNaN(v) ? null : v);
                }
                columns.add(col);
            }
            data.put(metrics[m], columns);
        }
        data.put("proxyQueue", waiting(histories, min, max, 0));
        data.put("backendQueue", waiting(histories, min, max, 1));
        data.put("marks", marks(rows));
        return data;
    }

    /** One waiting-requests column per row, or null when nothing waited anywhere (no chart then). */
    private static List<List<Double>> waiting(List<History> histories, int min, int max, int which) {
        boolean any = false;
        List<List<Double>> columns = new ArrayList<>();
        for (History hi : histories) {
            List<Double> col = new ArrayList<>();
            for (int t = min; t <= max; t++) {
                Double v = hi.waiting.get(t + hi.start) == null ? null : hi.waiting.get(t + hi.start)[which];
                any |= v != null && v > 0;
                col.add(v);
            }
            columns.add(col);
        }
        return any ? columns : null;
    }

    /** Events to draw as vertical lines: the failure preset's kill and restart, per row. */
    private static List<Map<String, Object>> marks(List<RowResult> rows) {
        List<Map<String, Object>> marks = new ArrayList<>();
        for (int i = 0; i < rows.size(); i++) {
            Map<String, Object> d = rows.get(i).disruption();
            for (String[] e : new String[][] {{"killed_at_s", "killed"}, {"back_at_s", "restarted"}}) {
                if (d.get(e[0]) instanceof Number at) {
                    marks.add(Map.of("row", i, "x", at.doubleValue(), "label", d.getOrDefault("backend", "backend") + " " + e[1]));
                }
            }
        }
        return marks;
    }

    /** One row's history: per second req/s, failures/s, p50, p95, and where its measured window opened. */
    private static final class History {
        final List<double[]> rows;
        /** The index of the first row after the statistics reset. */
        final int start;
        final boolean reset;
        /** Sampled waiting requests by history index: {proxy queue, backends' queues}. */
        final Map<Integer, Double[]> waiting;

        private History(List<double[]> rows, int start, boolean reset, Map<Integer, Double[]> waiting) {
            this.rows = rows;
            this.start = start;
            this.reset = reset;
            this.waiting = waiting;
        }

        static History read(Path csv, Path waitingCsv, long fallbackStart) throws IOException {
            List<double[]> rows = new ArrayList<>();
            List<Long> totals = new ArrayList<>();
            if (Files.exists(csv)) {
                for (String line : Files.readAllLines(csv)) {
                    String[] f = line.split(",", -1);
                    if (f.length > 17 && f[3].equals("Aggregated")) {
                        rows.add(new double[] {num(f[4]), num(f[5]), num(f[6]), num(f[11])});
                        totals.add((long) num(f[17]));
                    }
                }
            }
            // The reset shows as the total count going down; without one (no warm-up, or nothing
            // counted before it) the plan says when the window opened.
            int start = -1;
            for (int i = 1; i < totals.size(); i++) {
                if (totals.get(i) < totals.get(i - 1)) {
                    start = i;
                    break;
                }
            }
            boolean reset = start >= 0;
            if (!reset) {
                start = (int) Math.min(fallbackStart, Math.max(0, rows.size() - 1));
            }
            return new History(rows, start, reset, Waiting.read(waitingCsv));
        }

        private static double num(String s) {
            try {
                return Double.parseDouble(s);
            } catch (NumberFormatException e) {
                return Double.NaN; // "N/A" before the first response
            }
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

    private static final String CSS = """
            .bars svg{display:block;margin:1.2em 0}.verdict{font-size:1.05em}
            """;

    private static final String SCRIPT = """
            (function () {
              const charts = document.getElementById('charts');
              const width = Math.max(600, Math.min(1100, window.innerWidth - 80));
              const colors = ['#7f7f7f', '#2b7bb9', '#d9534f', '#5cb85c', '#f0ad4e', '#9467bd', '#8c564b', '#e377c2', '#17becf'];
              // The warm-up (x < 0) shaded under the lines, and events as dashed lines over them.
              function shade(u) {
                const ctx = u.ctx, left = u.valToPos(u.scales.x.min, 'x', true), zero = u.valToPos(0, 'x', true);
                if (zero <= left) return;
                ctx.save();
                ctx.fillStyle = 'rgba(0,0,0,0.07)';
                ctx.fillRect(left, u.bbox.top, zero - left, u.bbox.height);
                ctx.fillStyle = '#666';
                ctx.font = (11 * devicePixelRatio) + 'px system-ui,sans-serif';
                ctx.fillText('warm-up (not measured)', left + 6 * devicePixelRatio, u.bbox.top + 14 * devicePixelRatio);
                ctx.restore();
              }
              function events(u) {
                const ctx = u.ctx;
                ctx.save();
                ctx.setLineDash([6 * devicePixelRatio, 4 * devicePixelRatio]);
                ctx.font = (11 * devicePixelRatio) + 'px system-ui,sans-serif';
                const labelled = {};
                DATA.marks.forEach(m => {
                  const x = u.valToPos(m.x, 'x', true);
                  ctx.strokeStyle = colors[m.row % colors.length];
                  ctx.beginPath();
                  ctx.moveTo(x, u.bbox.top);
                  ctx.lineTo(x, u.bbox.top + u.bbox.height);
                  ctx.stroke();
                  if (!labelled[m.label]) {
                    labelled[m.label] = true;
                    ctx.fillStyle = '#333';
                    ctx.fillText(m.label, x + 4 * devicePixelRatio, u.bbox.top + 28 * devicePixelRatio);
                  }
                });
                ctx.restore();
              }
              // Every figure here counts from zero (rates, times, waiting requests): the axes do too.
              function chart(title, columns, unit) {
                const div = document.createElement('div');
                div.className = 'chart';
                charts.appendChild(div);
                // Legends show values while the pointer is over a chart, and nothing otherwise.
                const series = [{label: 's', value: (u, v) => v == null ? '' : v + ' s'}].concat(DATA.names.map((n, i) => ({
                  label: n, stroke: colors[i % colors.length], width: 1.5, spanGaps: false,
                  value: (u, v) => v == null ? '' : (Math.round(v * 10) / 10) + unit})));
                new uPlot({title: title, width: width, height: 260, scales: {x: {time: false}, y: {range: (u, lo, hi) => [0, hi > 0 ? hi * 1.05 : 1]}}, series: series,
                  hooks: {drawClear: [shade], draw: [events]},
                  axes: [{}, {size: 80, values: (u, vals) => vals.map(v => v + unit)}]}, [DATA.x].concat(columns), div);
              }
              chart('Requests per second', DATA.rps, '');
              chart('Failures per second', DATA.fps, '');
              chart('Median response time', DATA.p50, ' ms');
              chart('95th percentile response time', DATA.p95, ' ms');
              if (DATA.proxyQueue) chart("Requests waiting in the proxy's queue", DATA.proxyQueue, '');
              if (DATA.backendQueue) chart("Requests waiting in the backends' own queues", DATA.backendQueue, '');
            })();
            """;
}
