package io.stampede.balancer.vars;

import java.util.ArrayList;
import java.util.List;

/**
 * Text with nginx variables in it ({@code "$request_uri"}, {@code "user-${arg_id}-x"}), parsed
 * once at load and rendered per request. Variable names are letters, digits and underscores; a
 * {@code ${name}} form separates a name from text that follows.
 */
public final class Template {
    private final String source;
    private final List<Object> parts;

    private Template(String source, List<Object> parts) {
        this.source = source;
        this.parts = parts;
    }

    /** Two templates are the same when written the same (a reload compares configurations). */
    @Override
    public boolean equals(Object o) {
        return o instanceof Template t && t.source.equals(source);
    }

    @Override
    public int hashCode() {
        return source.hashCode();
    }

    /** A variable reference, kept apart from literal text. */
    private record Var(String name) {}

    /** Text taken as it is, with no variables in it (a value already rendered). */
    public static Template literal(String text) {
        return new Template(text, List.of(text));
    }

    /** @throws IllegalArgumentException naming an unknown variable or a malformed reference */
    public static Template parse(String text) {
        List<Object> parts = new ArrayList<>();
        StringBuilder literal = new StringBuilder();
        int i = 0;
        while (i < text.length()) {
            char c = text.charAt(i);
            if (c != '$') {
                literal.append(c);
                i++;
                continue;
            }
            int start = i + 1;
            boolean braced = start < text.length() && text.charAt(start) == '{';
            int j = braced ? start + 1 : start;
            while (j < text.length() && (Character.isLetterOrDigit(text.charAt(j)) || text.charAt(j) == '_')) {
                j++;
            }
            String name = text.substring(braced ? start + 1 : start, j);
            if (name.isEmpty() || (braced && (j >= text.length() || text.charAt(j) != '}'))) {
                throw new IllegalArgumentException("invalid variable reference in '" + text + "' at position " + i);
            }
            if (!Variables.known(name)) {
                throw new IllegalArgumentException("unknown variable '$" + name + "' in '" + text + "'");
            }
            if (!literal.isEmpty()) {
                parts.add(literal.toString());
                literal.setLength(0);
            }
            parts.add(new Var(name));
            i = braced ? j + 1 : j;
        }
        if (!literal.isEmpty()) {
            parts.add(literal.toString());
        }
        return new Template(text, List.copyOf(parts));
    }

    /** The names of the variables it reads, in order. */
    public List<String> variables() {
        List<String> out = new ArrayList<>();
        for (Object p : parts) {
            if (p instanceof Var v) {
                out.add(v.name);
            }
        }
        return out;
    }

    public String render(Variables vars) {
        if (parts.size() == 1 && parts.get(0) instanceof Var v) {
            String value = vars.get(v.name);
            return value == null ? "" : value;
        }
        StringBuilder out = new StringBuilder();
        for (Object part : parts) {
            if (part instanceof Var v) {
                String value = vars.get(v.name);
                if (value != null) {
                    out.append(value);
                }
            } else {
                out.append((String) part);
            }
        }
        return out.toString();
    }

    public boolean isConstant() {
        return parts.stream().noneMatch(p -> p instanceof Var);
    }

    public String source() {
        return source;
    }

    @Override
    public String toString() {
        return source;
    }
}
