package io.stampede.loadgen.scenario;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Takes a value out of a response into a user variable: a JSON path ({@code $.access},
 * {@code $.results[0].id}), a header ({@code header:Location}) or a regex ({@code regex:id=(\d+)},
 * group 1 when there is one).
 */
public sealed interface Capture {
    /** The value, or null when the response does not have it. */
    String extract(int status, List<java.util.Map.Entry<String, String>> headers, String body, JsonSupplier json);

    /** Parses the body as JSON at most once per response, only when a capture or check needs it. */
    @FunctionalInterface
    interface JsonSupplier {
        JsonNode get();
    }

    record Json(JsonPath path) implements Capture {
        public String extract(int status, List<java.util.Map.Entry<String, String>> headers, String body, JsonSupplier json) {
            JsonNode n = path.find(json.get());
            return n == null || n.isMissingNode() || n.isNull() ? null : n.isValueNode() ? n.asText() : n.toString();
        }
    }

    record Header(String name) implements Capture {
        public String extract(int status, List<java.util.Map.Entry<String, String>> headers, String body, JsonSupplier json) {
            for (var h : headers) {
                if (h.getKey().equalsIgnoreCase(name)) {
                    return h.getValue();
                }
            }
            return null;
        }
    }

    record Regex(Pattern pattern) implements Capture {
        public String extract(int status, List<java.util.Map.Entry<String, String>> headers, String body, JsonSupplier json) {
            Matcher m = pattern.matcher(body);
            if (!m.find()) {
                return null;
            }
            return m.groupCount() >= 1 ? m.group(1) : m.group();
        }
    }

    /** @throws IllegalArgumentException saying what was expected */
    static Capture parse(String spec) {
        if (spec.startsWith("$")) {
            return new Json(JsonPath.parse(spec));
        }
        if (spec.startsWith("header:") && spec.length() > 7) {
            return new Header(spec.substring(7).trim());
        }
        if (spec.startsWith("regex:") && spec.length() > 6) {
            try {
                return new Regex(Pattern.compile(spec.substring(6)));
            } catch (java.util.regex.PatternSyntaxException e) {
                throw new IllegalArgumentException("bad regex: " + e.getDescription());
            }
        }
        throw new IllegalArgumentException("a JSON path ($.field), header:NAME or regex:PATTERN");
    }
}
