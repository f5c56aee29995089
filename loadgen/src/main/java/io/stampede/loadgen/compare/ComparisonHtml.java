package io.stampede.loadgen.compare;

import io.stampede.loadgen.report.BarChart;
import io.stampede.loadgen.report.HtmlReport;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/**
 * {@code stampede report --html}: the comparison as bar charts, each row (endpoint, or bench row)
 * with its before and after bar side by side, rows that regressed set apart, then the table.
 * Self-contained SVG: no script, nothing fetched.
 */
final class ComparisonHtml {
    private static final BarChart.Series BEFORE = new BarChart.Series("before", "#9e9e9e");
    private static final BarChart.Series AFTER = new BarChart.Series("after", "#2b7bb9");

    private ComparisonHtml() {}

    /**
     * @param sharesBefore each bench row's share per backend before (empty for swarm summaries, which
     *                     have none); drawn as a stacked bar before and after per row
     */
    static String render(String beforeName, String afterName, Map<String, Map<String, Double>> sharesBefore,
                         Map<String, Map<String, Double>> sharesAfter, String kind, List<Comparison.Row> all, String verdict) {
        List<Comparison.Row> rows = all.stream().filter(r -> r.before() != null && r.after() != null).toList();
        List<BarChart.Row> labels = new ArrayList<>();
        for (Comparison.Row r : rows) {
            labels.add(new BarChart.Row(r.name(), r.regressions().isEmpty() ? "" : "regressed", !r.regressions().isEmpty()));
        }
        StringBuilder h = new StringBuilder(32 * 1024);
        String title = "stampede report: " + beforeName + " → " + afterName;
        h.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>").append(HtmlReport.esc(title))
                .append("</title>\n<style>").append(HtmlReport.CSS).append("svg{display:block;margin:1.2em 0}</style>\n</head><body>\n");
        boolean bench = kind.contains("bench");
        h.append("<h1>").append(HtmlReport.esc(title)).append("</h1>\n<p>").append(bench ? "Two bench runs, row by row" : "Two swarm runs,"
                + " endpoint by endpoint").append(": grey before, blue after. ").append(HtmlReport.esc(verdict)).append("</p>\n");
        h.append(chart(bench ? "Successful requests per second" : "Requests per second", "", labels, rows, Comparison.Side::rps));
        h.append(chart("p50 response time (ms)", " ms", labels, rows, s -> s.latency().p50()));
        h.append(chart("p95 response time (ms)", " ms", labels, rows, s -> s.latency().p95()));
        h.append(chart("p99 response time (ms)", " ms", labels, rows, s -> s.latency().p99()));
        h.append(chart("Failed requests (%)", "%", labels, rows, s -> s.failRatio() * 100));
        if (!sharesBefore.isEmpty() && !sharesAfter.isEmpty()) {
            h.append(shares(rows, sharesBefore, sharesAfter));
        }
        h.append("<h2>The table</h2>\n<table><tr><th>row</th><th>req/s before</th><th>after</th><th>fail % before</th><th>after</th>"
                + "<th>p50 before</th><th>after</th><th>p95 before</th><th>after</th><th>p99 before</th><th>after</th><th>regressions</th></tr>\n");
        for (Comparison.Row r : all) {
            h.append("<tr><td>").append(HtmlReport.esc(r.name())).append("</td>");
            if (r.before() == null || r.after() == null) {
                h.append("<td colspan=\"11\">only in ").append(HtmlReport.esc(r.before() == null ? afterName : beforeName)).append("</td></tr>\n");
                continue;
            }
            for (ToDoubleFunction<Comparison.Side> f : List.<ToDoubleFunction<Comparison.Side>>of(Comparison.Side::rps,
                    s -> s.failRatio() * 100, s -> s.latency().p50(), s -> s.latency().p95(), s -> s.latency().p99())) {
                h.append("<td class=\"n\">").append(BarChart.format(f.applyAsDouble(r.before()), "")).append("</td><td class=\"n\">")
                        .append(BarChart.format(f.applyAsDouble(r.after()), "")).append("</td>");
            }
            h.append("<td>").append(HtmlReport.esc(String.join(", ", r.regressions()))).append("</td></tr>\n");
        }
        return h.append("</table>\n</body></html>\n").toString();
    }

    /** Each row's backends' shares, before and after, as two stacked bars (backends by name, in order first seen). */
    private static String shares(List<Comparison.Row> rows, Map<String, Map<String, Double>> before,
                                 Map<String, Map<String, Double>> after) {
        List<String> backends = new ArrayList<>();
        for (Map<String, Map<String, Double>> side : List.of(before, after)) {
            side.values().forEach(m -> m.keySet().forEach(b -> {
                if (!backends.contains(b)) {
                    backends.add(b);
                }
            }));
        }
        List<BarChart.Series> parts = new ArrayList<>();
        for (int k = 0; k < backends.size(); k++) {
            parts.add(new BarChart.Series(backends.get(k), PALETTE.get(k % PALETTE.size())));
        }
        List<BarChart.Row> labels = new ArrayList<>();
        List<double[]> fractions = new ArrayList<>();
        for (Comparison.Row r : rows) {
            for (String when : List.of("before", "after")) {
                Map<String, Double> share = (when.equals("before") ? before : after).getOrDefault(r.name(), Map.of());
                labels.add(new BarChart.Row(r.name() + " " + when, "", false));
                fractions.add(backends.stream().mapToDouble(b -> share.getOrDefault(b, 0.0)).toArray());
            }
        }
        return BarChart.stacked("Each backend's share", labels, parts, fractions.toArray(new double[0][]));
    }

    private static final List<String> PALETTE = List.of("#2b7bb9", "#d9534f", "#f0ad4e", "#9467bd", "#17becf", "#8c564b",
            "#e377c2", "#bcbd22", "#7f7f7f", "#1f77b4");

    private static String chart(String title, String unit, List<BarChart.Row> labels, List<Comparison.Row> rows,
                                ToDoubleFunction<Comparison.Side> value) {
        double[][] values = new double[rows.size()][];
        for (int i = 0; i < rows.size(); i++) {
            values[i] = new double[] {value.applyAsDouble(rows.get(i).before()), value.applyAsDouble(rows.get(i).after())};
        }
        return BarChart.grouped(title, unit, labels, List.of(BEFORE, AFTER), values, null);
    }
}
