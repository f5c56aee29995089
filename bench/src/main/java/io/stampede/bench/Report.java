package io.stampede.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/** The bench's outputs: the console table, bench.json and bench.md (rewritten after every row). */
final class Report {
    private Report() {}

    static String progressLine(RowResult r, RowResult direct) {
        return String.format(Locale.ROOT, "  %-16s %8.1f ok req/s (%s), fail %s, p99 %s ms%s", r.name(), r.goodRps(),
                r == direct || direct.goodRps() <= 0 ? "direct" : String.format(Locale.ROOT, "%.2fx direct", r.goodRps() / direct.goodRps()),
                percent(r.failRatio()), ms(r.p99()), r.retries() > 0 ? ", " + r.retries() + " retries" : "");
    }

    static String table(List<RowResult> rows) {
        RowResult direct = rows.get(0);
        StringBuilder t = new StringBuilder();
        t.append(String.format(Locale.ROOT, "%-16s %-34s %8s %8s %7s %7s %7s %7s %7s %7s %8s %-19s %7s %6s %8s%n",
                "row", "algorithm", "req/s", "ok req/s", "fail", "p50", "p95", "p99", "p99.9", "max", "speedup",
                "share % per backend", "retries", "503s", "overflow"));
        for (RowResult r : rows) {
            t.append(String.format(Locale.ROOT, "%-16s %-34s %8.1f %8.1f %7s %7s %7s %7s %7s %7s %8s %-19s %7s %6d %8s%n",
                    r.name(), clip(r.algorithm(), 34), r.rps(), r.goodRps(), percent(r.failRatio()), ms(r.p50()), ms(r.p95()),
                    ms(r.p99()), ms(r.p999()), ms(r.max()), speedup(r, direct), shares(r), count(r.retries()), r.rejected(),
                    count(r.overflows())));
        }
        t.append("(latency in ms from each request's intended start; ok req/s counts successes only; speedup is ok req/s over direct;\n"
                + " share: what each backend served; retries: the proxy's attempts beyond a request's first; 503s: backends' full queues)\n");
        return t.toString();
    }

    static String markdownTable(List<RowResult> rows) {
        RowResult direct = rows.get(0);
        StringBuilder t = new StringBuilder("| row | algorithm | req/s | ok req/s | fail | p50 ms | p95 ms | p99 ms | p99.9 ms | max ms | speedup | share % | retries | 503s | overflow |\n");
        t.append("|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|--:|--:|--:|\n");
        for (RowResult r : rows) {
            t.append(String.format(Locale.ROOT, "| %s | %s | %.1f | %.1f | %s | %s | %s | %s | %s | %s | %s | %s | %s | %d | %s |%n",
                    r.name(), r.algorithm(), r.rps(), r.goodRps(), percent(r.failRatio()), ms(r.p50()), ms(r.p95()), ms(r.p99()),
                    ms(r.p999()), ms(r.max()), speedup(r, direct), shares(r), count(r.retries()), r.rejected(), count(r.overflows())));
        }
        return t.toString();
    }

    static void write(Path dir, Plan plan, Backends backends, List<RowResult> rows) throws IOException {
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("preset", plan.preset());
        doc.put("date", ZonedDateTime.now().format(DateTimeFormatter.ISO_OFFSET_DATE_TIME));
        doc.put("machine", machine());
        doc.put("backends", backends.servers.size());
        List<Map<String, Object>> servers = new ArrayList<>();
        for (Backends.Server s : backends.servers) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", s.name);
            m.put("url", s.url());
            if (s.spec != null) {
                m.put("workers", s.spec.workers());
                m.put("db_latency_ms", s.spec.dbLatency().toMillis());
                m.put("max_queue", s.spec.maxQueue());
                m.put("capacity_rps", Math.round(s.spec.capacity()));
            }
            servers.add(m);
        }
        doc.put("servers", servers);
        Map<String, Object> load = new LinkedHashMap<>();
        load.put("model", "closed");
        load.put("scenario", "seed (config/market-api.swarm.yaml)");
        load.put("users", plan.load().users());
        load.put("spawn_rate", plan.load().spawnRate());
        load.put("warmup_s", plan.load().warmup().toMillis() / 1000.0);
        load.put("duration_s", plan.load().duration().toMillis() / 1000.0);
        load.put("source_ips", plan.load().sourceIps());
        doc.put("load", load);
        double direct = rows.isEmpty() ? 0 : rows.get(0).goodRps();
        doc.put("rows", rows.stream().map(r -> r.toJson(direct)).toList());
        doc.put("verdict", Verdict.lines(plan, rows));
        Files.writeString(dir.resolve("bench.json"),
                new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(doc) + "\n");
        Files.writeString(dir.resolve("bench.md"), markdown(plan, backends, rows));
        BenchHtml.write(dir, plan, rows, markdownTable(rows), Verdict.lines(plan, rows));
    }

    private static String markdown(Plan plan, Backends backends, List<RowResult> rows) {
        StringBuilder md = new StringBuilder();
        md.append("# stampede bench: ").append(plan.preset()).append("\n\n");
        md.append(plan.story()).append("\n\n");
        md.append("- date: ").append(ZonedDateTime.now().format(DateTimeFormatter.ISO_OFFSET_DATE_TIME)).append('\n');
        machine().forEach((k, v) -> md.append("- ").append(k).append(": ").append(v).append('\n'));
        md.append("- backends: ").append(describeBackends(backends)).append('\n');
        md.append("- load: ").append(describeLoad(plan)).append("\n\n");
        md.append(markdownTable(rows)).append('\n');
        for (String line : Verdict.lines(plan, rows)) {
            md.append(line).append("\n\n");
        }
        md.append("Files: `bench.json`, `bench.html` (this page with charts over time, one line per row); per row `runs/ROW_stats.csv`, `_stats_history.csv`, `_failures.csv`, "
                + "`_exceptions.csv` (Locust's formats), `runs/ROW.hlog` (HdrHistogram interval log), `runs/ROW.json`; "
                + "`configs/proxy.yaml` (the proxy config: row R is location /R/ with its own upstream); `logs/` (every process's output).\n");
        return md.toString();
    }

    static String describeBackends(Backends backends) {
        return backends.servers.stream().map(s -> s.spec == null ? s.url()
                : String.format(Locale.ROOT, "%s (%d workers, db-latency %dms, max-queue %d: ~%d req/s)", s.name,
                        s.spec.workers(), s.spec.dbLatency().toMillis(), s.spec.maxQueue(), Math.round(s.spec.capacity())))
                .collect(Collectors.joining(", "));
    }

    static String describeLoad(Plan plan) {
        Plan.Load l = plan.load();
        String scenario = plan.scenario() == null ? "the seed scenario" : "config/" + plan.scenario();
        return String.format(Locale.ROOT, "%d users of %s (closed model), spawned at %.0f/s, measured for %ss after a %ss warm-up%s",
                l.users(), scenario, l.spawnRate(), l.duration().toMillis() / 1000.0, l.warmup().toMillis() / 1000.0,
                l.sourceIps() > 0 ? ", from " + l.sourceIps() + " loopback addresses" : "");
    }

    static Map<String, Object> machine() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("cores", Runtime.getRuntime().availableProcessors());
        m.put("java", Runtime.version().toString());
        m.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version") + " " + System.getProperty("os.arch"));
        return m;
    }

    static String percent(double ratio) {
        return ratio == 0 ? "0%" : ratio < 0.0001 ? "<0.01%" : String.format(Locale.ROOT, "%.2f%%", ratio * 100);
    }

    static String ms(double v) {
        return v >= 100 ? String.format(Locale.ROOT, "%.0f", v) : String.format(Locale.ROOT, "%.1f", v);
    }

    private static String speedup(RowResult r, RowResult direct) {
        return r == direct ? "1.00x" : direct.goodRps() > 0 ? String.format(Locale.ROOT, "%.2fx", r.goodRps() / direct.goodRps()) : "-";
    }

    static String shares(RowResult r) {
        return r.share().values().stream().map(v -> String.valueOf(Math.round(v * 100))).collect(Collectors.joining("/"));
    }

    private static String count(long v) {
        return v < 0 ? "-" : String.valueOf(v);
    }

    private static String clip(String s, int n) {
        return s.length() <= n ? s : s.substring(0, n - 1) + "~";
    }
}
