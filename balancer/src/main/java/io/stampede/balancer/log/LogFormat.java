package io.stampede.balancer.log;

import io.stampede.balancer.vars.Variables;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * nginx's {@code log_format NAME [escape=default|json|none] STRING}: an access log line made of
 * text and variables. Besides a request's own variables ({@code $request_method}, {@code $http_*},
 * {@code $limit_req_status}...), the log's: {@code $status}, {@code $body_bytes_sent},
 * {@code $bytes_sent}, {@code $request}, {@code $request_time}, {@code $msec},
 * {@code $time_local}, {@code $time_iso8601}, {@code $remote_user}, and per upstream attempt
 * {@code $upstream_addr}, {@code $upstream_status}, {@code $upstream_response_time} joined by
 * {@code ", "} as nginx joins them. As nginx: with {@code escape=default} a variable that is not
 * set is written {@code -}, and quotes, backslashes and bytes outside printable ASCII as
 * {@code \xHH}; with {@code escape=json} an unset variable is empty and escaping is JSON's.
 */
public final class LogFormat {
    /** How variable values are escaped. */
    public enum Escape { DEFAULT, JSON, NONE }

    private static final DateTimeFormatter TIME_LOCAL =
            DateTimeFormatter.ofPattern("dd/MMM/yyyy:HH:mm:ss Z", Locale.ENGLISH).withZone(ZoneId.systemDefault());
    private static final DateTimeFormatter ISO = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ssXXX")
            .withZone(ZoneId.systemDefault());
    private static final List<String> OWN = List.of("status", "body_bytes_sent", "bytes_sent", "request", "request_time", "msec",
            "time_local", "time_iso8601", "remote_user", "upstream_addr", "upstream_status", "upstream_response_time",
            "upstream_connect_time", "upstream_header_time");

    /** nginx's predefined {@code combined}. */
    public static final LogFormat COMBINED = parse("combined", "$remote_addr - $remote_user [$time_local] \"$request\" $status "
            + "$body_bytes_sent \"$http_referer\" \"$http_user_agent\"");

    /**
     * Ours, predefined beside {@code combined}: one JSON object a line with the request, the answer
     * and every upstream attempt, for log pipelines that read JSON. A {@code log_format json} of
     * the configuration's own takes its place.
     */
    public static final LogFormat JSON = parse("json", "escape=json {\"time\":\"$time_iso8601\",\"remote_addr\":\"$remote_addr\","
            + "\"host\":\"$host\",\"request\":\"$request\",\"status\":$status,\"body_bytes_sent\":$body_bytes_sent,"
            + "\"request_time\":$request_time,\"upstream_addr\":\"$upstream_addr\",\"upstream_status\":\"$upstream_status\","
            + "\"upstream_connect_time\":\"$upstream_connect_time\",\"upstream_header_time\":\"$upstream_header_time\","
            + "\"upstream_response_time\":\"$upstream_response_time\",\"http_referer\":\"$http_referer\","
            + "\"http_user_agent\":\"$http_user_agent\"}");

    private final String name;
    private final Escape escape;
    private final List<Object> parts;

    private LogFormat(String name, Escape escape, List<Object> parts) {
        this.name = name;
        this.escape = escape;
        this.parts = parts;
    }

    public String name() {
        return name;
    }

    /** A variable reference, kept apart from literal text. */
    private record Var(String name) {}

    /**
     * @param text the format, optionally led by {@code escape=default|json|none}
     * @throws IllegalArgumentException naming an unknown variable or escape
     */
    public static LogFormat parse(String name, String text) {
        Escape escape = Escape.DEFAULT;
        String t = text;
        if (t.startsWith("escape=")) {
            int sp = t.indexOf(' ');
            String e = sp < 0 ? t.substring(7) : t.substring(7, sp);
            escape = switch (e) {
                case "default" -> Escape.DEFAULT;
                case "json" -> Escape.JSON;
                case "none" -> Escape.NONE;
                default -> throw new IllegalArgumentException("escape=" + e + " (expected escape=default, json or none)");
            };
            t = sp < 0 ? "" : t.substring(sp + 1);
        }
        List<Object> parts = new ArrayList<>();
        StringBuilder literal = new StringBuilder();
        for (int i = 0; i < t.length(); i++) {
            char c = t.charAt(i);
            if (c != '$') {
                literal.append(c);
                continue;
            }
            boolean braced = i + 1 < t.length() && t.charAt(i + 1) == '{';
            int j = braced ? i + 2 : i + 1;
            int start = j;
            while (j < t.length() && (Character.isLetterOrDigit(t.charAt(j)) || t.charAt(j) == '_')) {
                j++;
            }
            String var = t.substring(start, j);
            if (var.isEmpty() || (braced && (j >= t.length() || t.charAt(j) != '}'))) {
                throw new IllegalArgumentException("invalid variable reference in log_format " + name + " at position " + i);
            }
            if (!OWN.contains(var) && !Variables.known(var)) {
                throw new IllegalArgumentException("unknown variable '$" + var + "' in log_format " + name);
            }
            if (!literal.isEmpty()) {
                parts.add(literal.toString());
                literal.setLength(0);
            }
            parts.add(new Var(var));
            i = braced ? j : j - 1;
        }
        if (!literal.isEmpty()) {
            parts.add(literal.toString());
        }
        return new LogFormat(name, escape, List.copyOf(parts));
    }

    /** The line for {@code r}, its request over now. */
    public String line(AccessRecord r) {
        StringBuilder b = new StringBuilder(200);
        for (Object p : parts) {
            if (p instanceof Var v) {
                append(b, value(v.name(), r));
            } else {
                b.append((String) p);
            }
        }
        return b.toString();
    }

    private String value(String var, AccessRecord r) {
        return switch (var) {
            case "status" -> String.valueOf(r.status);
            case "body_bytes_sent", "bytes_sent" -> String.valueOf(r.bytesSent);
            case "request" -> r.requestLine;
            case "request_time" -> AccessFormat.seconds(System.nanoTime() - r.startNanos);
            case "msec" -> msec(r.startMillis());
            case "time_local" -> TIME_LOCAL.format(Instant.ofEpochMilli(r.startMillis()));
            case "time_iso8601" -> ISO.format(Instant.ofEpochMilli(r.startMillis()));
            case "remote_user" -> null; // no authentication here
            case "remote_addr" -> r.remoteAddr;
            case "upstream_addr" -> r.joined(AccessRecord.Try::addr);
            case "upstream_status" -> r.joined(t -> String.valueOf(t.status()));
            case "upstream_response_time" -> r.joined(t -> AccessFormat.seconds(t.nanos()));
            case "upstream_connect_time" -> r.joined(t -> secondsOrDash(t.connectNanos()));
            case "upstream_header_time" -> r.joined(t -> secondsOrDash(t.headerNanos()));
            case "http_referer" -> r.vars != null ? r.vars.get(var) : r.referer;
            case "http_user_agent" -> r.vars != null ? r.vars.get(var) : r.userAgent;
            default -> r.vars == null ? null : r.vars.get(var);
        };
    }

    private static String msec(long millis) {
        return millis / 1000 + "." + String.format(Locale.ROOT, "%03d", millis % 1000);
    }

    private static String secondsOrDash(long nanos) {
        return nanos < 0 ? "-" : AccessFormat.seconds(nanos);
    }

    private void append(StringBuilder b, String value) {
        if (value == null) {
            if (escape != Escape.JSON) {
                b.append('-');
            }
            return;
        }
        switch (escape) {
            case NONE -> b.append(value);
            case DEFAULT -> {
                for (int i = 0; i < value.length(); i++) {
                    char c = value.charAt(i);
                    if (c == '"' || c == '\\' || c < 0x20 || c > 0x7e) {
                        b.append(String.format(Locale.ROOT, "\\x%02X", (int) c & 0xff));
                    } else {
                        b.append(c);
                    }
                }
            }
            case JSON -> {
                for (int i = 0; i < value.length(); i++) {
                    char c = value.charAt(i);
                    switch (c) {
                        case '"' -> b.append("\\\"");
                        case '\\' -> b.append("\\\\");
                        case '\n' -> b.append("\\n");
                        case '\r' -> b.append("\\r");
                        case '\t' -> b.append("\\t");
                        case '\b' -> b.append("\\b");
                        case '\f' -> b.append("\\f");
                        default -> {
                            if (c < 0x20) {
                                b.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
                            } else {
                                b.append(c);
                            }
                        }
                    }
                }
            }
        }
    }
}
