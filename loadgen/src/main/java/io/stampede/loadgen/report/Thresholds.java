package io.stampede.loadgen.report;

import io.stampede.common.Durations;
import io.stampede.loadgen.stats.EndpointStats;
import io.stampede.loadgen.stats.StatsSnapshot;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Pass/fail conditions for CI, like k6's: {@code p99<500ms}, {@code p95<=200ms}, {@code avg<100ms},
 * {@code max<2s}, {@code fail_ratio<0.01}, {@code rps>1000}, {@code failures==0}, optionally for one
 * endpoint ({@code 'GET /api/v1/products/:p99<300ms'}). Latencies are from the intended start.
 */
public final class Thresholds {
    /** k6's exit code for a failed threshold. */
    public static final int EXIT_CODE = 99;
    private static final Pattern RULE = Pattern.compile("^(?:(.+):)?(p\\d+(?:\\.\\d+)?|avg|min|max|med|fail_ratio|rps|failures|requests)"
            + "\\s*(<=|>=|==|<|>)\\s*(\\S+)$");

    /** One condition. */
    public record Threshold(String text, String endpoint, String metric, String op, double value) {}

    /** One condition's outcome. */
    public record Result(Threshold threshold, double actual, boolean passed) {
        public String describe() {
            String unit = threshold.metric.startsWith("p") || threshold.metric.equals("avg") || threshold.metric.equals("min")
                    || threshold.metric.equals("max") || threshold.metric.equals("med") ? " ms" : "";
            return String.format(Locale.ROOT, "%s %s: %s was %s%s", passed ? "PASS" : "FAIL", threshold.text,
                    (threshold.endpoint == null ? "" : threshold.endpoint + " ") + threshold.metric, fmt(actual), unit);
        }
    }

    private Thresholds() {}

    /** @throws IllegalArgumentException naming the threshold and what was expected */
    public static Threshold parse(String text) {
        Matcher m = RULE.matcher(text.trim());
        if (!m.matches()) {
            throw new IllegalArgumentException("threshold '" + text + "' (expected METRIC<VALUE, e.g. p99<500ms, "
                    + "fail_ratio<0.01, rps>1000, or 'GET /path:p95<200ms')");
        }
        String metric = m.group(2);
        String raw = m.group(4);
        double value;
        try {
            boolean latency = metric.startsWith("p") || metric.equals("avg") || metric.equals("min") || metric.equals("max")
                    || metric.equals("med");
            if (latency && !raw.matches("[0-9.]+")) {
                value = raw.endsWith("ms") && raw.contains(".") ? Double.parseDouble(raw.substring(0, raw.length() - 2))
                        : Durations.parse(raw).toNanos() / 1e6;
            } else {
                value = Double.parseDouble(raw);
            }
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("threshold '" + text + "': '" + raw + "' is not a number or duration");
        }
        if (metric.startsWith("p") && !metric.equals("p")) {
            double p = Double.parseDouble(metric.substring(1));
            if (metric.equals("p999")) {
                p = 99.9;
            }
            if (p > 100) {
                throw new IllegalArgumentException("threshold '" + text + "': percentile above 100");
            }
        }
        return new Threshold(text.trim(), m.group(1) == null ? null : m.group(1).trim(), metric, m.group(3), value);
    }

    public static List<Result> evaluate(List<Threshold> thresholds, StatsSnapshot s) {
        List<Result> out = new ArrayList<>();
        for (Threshold t : thresholds) {
            EndpointStats e = t.endpoint == null ? s.total() : find(s, t.endpoint);
            double actual = e == null ? Double.NaN : metric(t.metric, e, s);
            boolean pass = !Double.isNaN(actual) && switch (t.op) {
                case "<" -> actual < t.value;
                case "<=" -> actual <= t.value;
                case ">" -> actual > t.value;
                case ">=" -> actual >= t.value;
                default -> actual == t.value;
            };
            out.add(new Result(t, actual, pass));
        }
        return out;
    }

    private static EndpointStats find(StatsSnapshot s, String endpoint) {
        for (EndpointStats e : s.endpoints()) {
            if (e.endpoint().toString().equals(endpoint) || e.endpoint().name().equals(endpoint)) {
                return e;
            }
        }
        return null;
    }

    private static double metric(String metric, EndpointStats e, StatsSnapshot s) {
        return switch (metric) {
            case "avg" -> e.meanMs();
            case "min" -> e.minMs();
            case "max" -> e.maxMs();
            case "med" -> e.percentileMs(50);
            case "fail_ratio" -> e.failRatio();
            case "rps" -> s.rps(e);
            case "failures" -> e.failures();
            case "requests" -> e.requests();
            default -> e.percentileMs(metric.equals("p999") ? 99.9 : Double.parseDouble(metric.substring(1)));
        };
    }

    private static String fmt(double v) {
        if (Double.isNaN(v)) {
            return "absent";
        }
        return v == Math.rint(v) ? String.valueOf((long) v) : String.format(Locale.ROOT, "%.3f", v);
    }
}
