package io.stampede.loadgen.report;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.stampede.loadgen.stats.EndpointStats;
import io.stampede.loadgen.stats.ErrorKey;
import io.stampede.loadgen.stats.StatsSnapshot;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code --html FILE}: one self-contained page (uPlot's script and the data inline, nothing
 * fetched) with the run's settings, the statistics, latency-versus-service and failure tables,
 * and charts over time: users, requests and failures per second, response-time percentiles, and
 * per endpoint requests per second and p95.
 */
public final class HtmlReport {
    private static final String UPLOT = "META-INF/resources/webjars/uplot/1.6.30/dist/";

    private HtmlReport() {}

    /** Writes a rendered page to {@code file}, creating its directory. */
    public static void write(Path file, String html) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        Files.writeString(file, html, StandardCharsets.UTF_8);
    }

    /** The page as a string (the live UI serves it at {@code /stats/report}). */
    public static String render(String title, Map<String, String> settings, StatsSnapshot s, Timeline t) throws IOException {
        StringBuilder h = new StringBuilder(64 * 1024);
        h.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>").append(esc(title)).append("</title>\n");
        h.append("<style>").append(resource("uPlot.min.css")).append("\n").append(CSS).append("</style>\n");
        h.append("<script>").append(resource("uPlot.iife.min.js")).append("</script>\n</head><body>\n");
        h.append("<h1>").append(esc(title)).append("</h1>\n<table class=\"settings\">");
        settings.forEach((k, v) -> h.append("<tr><th>").append(esc(k)).append("</th><td>").append(esc(v)).append("</td></tr>"));
        h.append("</table>\n");
        statistics(h, s);
        h.append("<h2>Charts</h2>\n<div id=\"charts\"></div>\n");
        failures(h, s);
        h.append("<script>const DATA = ").append(data(t)).append(";\n").append(SCRIPT).append("</script>\n</body></html>\n");
        return h.toString();
    }

    private static void statistics(StringBuilder h, StatsSnapshot s) {
        h.append("<h2>Statistics</h2>\n<table><tr><th>Type</th><th>Name</th><th># reqs</th><th># fails</th><th>Avg</th>"
                + "<th>Min</th><th>Max</th><th>p50</th><th>p95</th><th>p99</th><th>p99.9</th><th>req/s</th></tr>\n");
        List<EndpointStats> rows = new ArrayList<>(s.endpoints());
        rows.add(s.total());
        for (EndpointStats e : rows) {
            boolean total = e == s.total();
            h.append(total ? "<tr class=\"total\">" : "<tr>").append("<td>").append(total ? "" : esc(e.endpoint().method()))
                    .append("</td><td>").append(total ? "Aggregated" : esc(e.endpoint().name())).append("</td>")
                    .append(td(e.requests())).append(td(e.failures())).append(td(e.meanMs())).append(td(e.minMs()))
                    .append(td(e.maxMs())).append(td(e.percentileMs(50))).append(td(e.percentileMs(95)))
                    .append(td(e.percentileMs(99))).append(td(e.percentileMs(99.9))).append(td(s.rps(e))).append("</tr>\n");
        }
        h.append("</table>\n<p class=\"note\">Milliseconds, from each request's intended start (HdrHistogram, coordinated"
                + " omission corrected).</p>\n");
        h.append("<h2>Latency from the intended start beside service time</h2>\n<table><tr><th>Type</th><th>Name</th>"
                + "<th>latency p50</th><th>service p50</th><th>latency p99</th><th>service p99</th><th>latency max</th>"
                + "<th>service max</th></tr>\n");
        for (EndpointStats e : rows) {
            boolean total = e == s.total();
            h.append("<tr><td>").append(total ? "" : esc(e.endpoint().method())).append("</td><td>")
                    .append(total ? "Aggregated" : esc(e.endpoint().name())).append("</td>")
                    .append(td(e.percentileMs(50))).append(td(e.servicePercentileMs(50))).append(td(e.percentileMs(99)))
                    .append(td(e.servicePercentileMs(99))).append(td(e.maxMs())).append(td(e.servicePercentileMs(100)))
                    .append("</tr>\n");
        }
        h.append("</table>\n<p class=\"note\">Service time runs from the moment a request was sent; when the two differ,"
                + " requests waited to be sent (the target, or the generator, fell behind).</p>\n");
    }

    private static void failures(StringBuilder h, StatsSnapshot s) {
        h.append("<h2>Failures</h2>\n");
        if (s.errors().isEmpty()) {
            h.append("<p>None.</p>\n");
        } else {
            h.append("<table><tr><th># occurrences</th><th>Method</th><th>Name</th><th>Error</th></tr>\n");
            for (Map.Entry<ErrorKey, Long> e : s.errors().entrySet()) {
                h.append("<tr>").append(td(e.getValue())).append("<td>").append(esc(e.getKey().method())).append("</td><td>")
                        .append(esc(e.getKey().name())).append("</td><td>").append(esc(e.getKey().error())).append("</td></tr>\n");
            }
            h.append("</table>\n");
        }
        h.append("<h2>Exceptions</h2>\n");
        if (s.exceptions().isEmpty()) {
            h.append("<p>None.</p>\n");
        } else {
            h.append("<table><tr><th># occurrences</th><th>Message</th></tr>\n");
            s.exceptions().forEach((m, n) -> h.append("<tr>").append(td(n)).append("<td>").append(esc(m)).append("</td></tr>\n"));
            h.append("</table>\n");
        }
    }

    private static String data(Timeline t) throws IOException {
        // "</script>" inside a string would end the script element early.
        return new ObjectMapper().writeValueAsString(t.toMap()).replace("</", "<\\/");
    }

    /** uPlot's script, to inline in a page of one's own (the bench's report). */
    public static String uplotScript() throws IOException {
        return resource("uPlot.iife.min.js");
    }

    public static String uplotCss() throws IOException {
        return resource("uPlot.min.css");
    }

    private static String resource(String name) throws IOException {
        try (InputStream in = HtmlReport.class.getClassLoader().getResourceAsStream(UPLOT + name)) {
            if (in == null) {
                throw new IOException("uPlot's " + name + " is missing from the class path (the uplot WebJar)");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private static String td(double v) {
        return "<td class=\"n\">" + (v >= 100 || v == Math.rint(v) ? String.format(Locale.ROOT, "%.0f", v)
                : String.format(Locale.ROOT, "%.2f", v)) + "</td>";
    }

    /** Text made safe inside HTML elements and attribute values. */
    public static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }

    /** The page style the reports share (with uPlot's own). */
    public static final String CSS = """
            body{font-family:system-ui,sans-serif;margin:2em;color:#222}
            table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:.2em .6em;text-align:left}
            td.n{text-align:right;font-variant-numeric:tabular-nums}tr.total{font-weight:bold}
            .note{color:#666;font-size:.9em}.chart{margin:1em 0}
            """;

    /** Builds one uPlot chart per series group; the data is DATA (times in epoch seconds). */
    private static final String SCRIPT = """
            (function () {
              const charts = document.getElementById('charts');
              const width = Math.max(600, Math.min(1100, window.innerWidth - 80));
              function chart(title, names, columns, unit) {
                const div = document.createElement('div');
                div.className = 'chart';
                charts.appendChild(div);
                const colors = ['#2b7bb9', '#d9534f', '#5cb85c', '#f0ad4e', '#9467bd', '#8c564b', '#e377c2', '#17becf'];
                const series = [{}].concat(names.map((n, i) => ({label: n, stroke: colors[i % colors.length], width: 1.5,
                  value: (u, v) => v == null ? '' : v + unit})));
                new uPlot({title: title, width: width, height: 260, series: series,
                  axes: [{}, {size: 80, values: (u, vals) => vals.map(v => v + unit)}]}, [DATA.t].concat(columns), div);
              }
              chart('Users', ['users'], [DATA.users], '');
              chart('Requests per second', ['requests/s', 'failures/s'], [DATA.rps, DATA.fps], '');
              chart('Response time (ms, last interval, from the intended start)', ['p50', 'p95', 'p99'],
                [DATA.p50, DATA.p95, DATA.p99], ' ms');
              const names = Object.keys(DATA.endpointRps);
              if (names.length > 0) {
                chart('Requests per second, per endpoint', names, names.map(n => DATA.endpointRps[n]), '');
                chart('p95 response time per endpoint (ms)', names, names.map(n => DATA.endpointP95[n]), ' ms');
              }
            })();
            """;
}
