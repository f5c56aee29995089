package io.stampede.balancer.config.directive;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * nginx Plus's {@code match} block: what a health check response must look like. All tests must
 * pass. Without a match block a check passes on any 2xx or 3xx status.
 *
 * @param status allowed (or, negated, refused) status ranges; empty for "2xx or 3xx"
 * @param headers header tests, each {@code Name}, {@code ! Name}, {@code Name = v}, {@code != v},
 *     {@code ~ regex}, {@code !~ regex}
 * @param body null, or a regex the first 256k of the body must ({@code ~}) or must not ({@code !~}) match
 */
public record MatchConfig(String name, List<int[]> status, boolean statusNegated, List<HeaderTest> headers,
                          Pattern body, boolean bodyNegated) {

    public static final MatchConfig DEFAULT = new MatchConfig("(default)", List.of(), false, List.of(), null, false);

    /** One header condition. {@code op} is one of "exists", "absent", "=", "!=", "~", "!~". */
    public record HeaderTest(String name, String op, String value, Pattern regex) {
        boolean test(Function<String, String> header) {
            String v = header.apply(name);
            return switch (op) {
                case "exists" -> v != null;
                case "absent" -> v == null;
                case "=" -> value.equals(v);
                case "!=" -> !value.equals(v);
                case "~" -> v != null && regex.matcher(v).find();
                default -> v == null || !regex.matcher(v).find();
            };
        }

        @Override
        public String toString() {
            return op.equals("exists") ? name : op.equals("absent") ? "! " + name : name + " " + op + " " + value;
        }
    }

    /** Null when the response passes; otherwise why it failed ("status 500", "header X-Ready absent"). */
    public String failure(int code, Function<String, String> header, String bodyText) {
        if (status.isEmpty()) {
            if (code < 200 || code > 399) {
                return "status " + code;
            }
        } else {
            boolean in = status.stream().anyMatch(r -> code >= r[0] && code <= r[1]);
            if (in == statusNegated) {
                return "status " + code + " (match " + name + ")";
            }
        }
        for (HeaderTest h : headers) {
            if (!h.test(header)) {
                return "header test '" + h + "' failed (match " + name + ")";
            }
        }
        if (body != null && body.matcher(bodyText).find() == bodyNegated) {
            return "body " + (bodyNegated ? "matches " : "does not match ") + body.pattern() + " (match " + name + ")";
        }
        return null;
    }

    /**
     * Parses one match block: {@code status: "200-399"} (or {@code "! 500"}, {@code "200 204"}),
     * {@code header: ["Content-Type ~ json", "! X-Maintenance"]}, {@code body: '~ "ok"'}.
     *
     * @param values the block's keys with their texts (a header list as several texts)
     * @throws IllegalArgumentException naming the key and value
     */
    public static MatchConfig parse(String name, String status, List<String> headerTests, String body) {
        List<int[]> ranges = new ArrayList<>();
        boolean negated = false;
        if (status != null) {
            String s = status.trim();
            if (s.startsWith("!")) {
                negated = true;
                s = s.substring(1).trim();
            }
            for (String part : s.split("\\s+")) {
                ranges.add(range(part));
            }
        }
        List<HeaderTest> headers = new ArrayList<>();
        for (String h : headerTests) {
            headers.add(header(h.trim()));
        }
        Pattern bodyPattern = null;
        boolean bodyNegated = false;
        if (body != null) {
            String b = body.trim();
            if (b.startsWith("!~")) {
                bodyNegated = true;
                b = b.substring(2).trim();
            } else if (b.startsWith("~")) {
                b = b.substring(1).trim();
            } else {
                throw new IllegalArgumentException("body '" + body + "' (expected ~ \"regex\" or !~ \"regex\")");
            }
            bodyPattern = regex(unquote(b), "body");
        }
        return new MatchConfig(name, List.copyOf(ranges), negated, List.copyOf(headers), bodyPattern, bodyNegated);
    }

    private static int[] range(String part) {
        try {
            int dash = part.indexOf('-');
            int lo = Integer.parseInt(dash < 0 ? part : part.substring(0, dash));
            int hi = dash < 0 ? lo : Integer.parseInt(part.substring(dash + 1));
            if (lo < 100 || hi > 599 || lo > hi) {
                throw new NumberFormatException();
            }
            return new int[] {lo, hi};
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("status '" + part + "' (expected codes or ranges from 100 to 599, e.g. 200 204 or 200-399, optionally after !)");
        }
    }

    private static HeaderTest header(String h) {
        if (h.startsWith("!") && !h.startsWith("!=") && !h.startsWith("!~")) {
            return new HeaderTest(h.substring(1).trim().toLowerCase(Locale.ROOT), "absent", null, null);
        }
        String[] w = h.split("\\s+", 3);
        if (w.length == 1) {
            return new HeaderTest(w[0].toLowerCase(Locale.ROOT), "exists", null, null);
        }
        if (w.length != 3 || !Map.of("=", 1, "!=", 1, "~", 1, "!~", 1).containsKey(w[1])) {
            throw new IllegalArgumentException("header '" + h + "' (expected Name, ! Name, or Name =|!=|~|!~ value)");
        }
        String value = unquote(w[2]);
        Pattern regex = w[1].contains("~") ? regex(value, "header " + w[0]) : null;
        return new HeaderTest(w[0].toLowerCase(Locale.ROOT), w[1], value, regex);
    }

    private static Pattern regex(String text, String where) {
        try {
            return Pattern.compile(text);
        } catch (PatternSyntaxException e) {
            throw new IllegalArgumentException(where + ": '" + text + "' is not a regular expression (" + e.getDescription() + ")");
        }
    }

    private static String unquote(String s) {
        return s.length() >= 2 && (s.startsWith("\"") && s.endsWith("\"") || s.startsWith("'") && s.endsWith("'"))
                ? s.substring(1, s.length() - 1) : s;
    }
}
