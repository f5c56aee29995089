package io.stampede.loadgen.scenario;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;

/** The small JSON path subset scenarios need: {@code $}, {@code .field}, {@code ['field']}, {@code [index]}. */
public final class JsonPath {
    private final String text;
    private final List<Object> steps;

    private JsonPath(String text, List<Object> steps) {
        this.text = text;
        this.steps = steps;
    }

    /** @throws IllegalArgumentException when the path is not of that form */
    public static JsonPath parse(String text) {
        if (!text.startsWith("$")) {
            throw new IllegalArgumentException("a JSON path starts with $");
        }
        List<Object> steps = new ArrayList<>();
        int i = 1;
        while (i < text.length()) {
            char c = text.charAt(i);
            if (c == '.') {
                int j = i + 1;
                while (j < text.length() && text.charAt(j) != '.' && text.charAt(j) != '[') {
                    j++;
                }
                if (j == i + 1) {
                    throw new IllegalArgumentException("empty field name in JSON path " + text);
                }
                steps.add(text.substring(i + 1, j));
                i = j;
            } else if (c == '[') {
                int close = text.indexOf(']', i);
                if (close < 0) {
                    throw new IllegalArgumentException("unclosed [ in JSON path " + text);
                }
                String inside = text.substring(i + 1, close).trim();
                if (inside.startsWith("'") && inside.endsWith("'") && inside.length() >= 2) {
                    steps.add(inside.substring(1, inside.length() - 1));
                } else {
                    try {
                        steps.add(Integer.parseInt(inside));
                    } catch (NumberFormatException e) {
                        throw new IllegalArgumentException("[" + inside + "] in JSON path " + text + " is not an index");
                    }
                }
                i = close + 1;
            } else {
                throw new IllegalArgumentException("unexpected '" + c + "' in JSON path " + text);
            }
        }
        return new JsonPath(text, List.copyOf(steps));
    }

    /** The node at this path, or null. */
    public JsonNode find(JsonNode root) {
        JsonNode n = root;
        for (Object s : steps) {
            if (n == null) {
                return null;
            }
            n = s instanceof Integer idx ? n.get(idx) : n.get((String) s);
        }
        return n;
    }

    @Override
    public String toString() {
        return text;
    }
}
