package io.stampede.loadgen.scenario;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Text with {@code ${name}} placeholders, parsed once at load. A name is a user variable, a
 * capture, a repeat variable or a data feed column ({@code ${feed.column}}); {@code ${env.NAME}}
 * reads the environment at load and {@code ${env.NAME:-default}} supplies a fallback.
 */
public final class Template {
    private final String source;
    private final List<Object> parts;

    private record Ref(String name) {}

    private Template(String source, List<Object> parts) {
        this.source = source;
        this.parts = parts;
    }

    /** Text used as it is, with no placeholders. */
    public static Template literal(String text) {
        return new Template(text, List.of(text));
    }

    /** @throws IllegalArgumentException for an unclosed placeholder or an empty name */
    public static Template parse(String text, Map<String, String> env) {
        List<Object> parts = new ArrayList<>();
        StringBuilder literal = new StringBuilder();
        int i = 0;
        while (i < text.length()) {
            int open = text.indexOf("${", i);
            if (open < 0) {
                literal.append(text, i, text.length());
                break;
            }
            literal.append(text, i, open);
            int close = text.indexOf('}', open);
            if (close < 0) {
                throw new IllegalArgumentException("unclosed '${' in '" + text + "'");
            }
            String name = text.substring(open + 2, close).trim();
            if (name.isEmpty()) {
                throw new IllegalArgumentException("empty '${}' in '" + text + "'");
            }
            if (name.startsWith("env.")) {
                String spec = name.substring(4);
                int dflt = spec.indexOf(":-");
                String var = dflt < 0 ? spec : spec.substring(0, dflt);
                String value = env.get(var);
                if (value == null || value.isEmpty()) {
                    if (dflt < 0) {
                        throw new IllegalArgumentException("environment variable " + var + " is not set (use ${env."
                                + var + ":-default} for a fallback)");
                    }
                    value = spec.substring(dflt + 2);
                }
                literal.append(value);
            } else {
                if (!name.matches("[A-Za-z_][A-Za-z0-9_.]*")) {
                    throw new IllegalArgumentException("'${" + name + "}' is not a variable name");
                }
                if (!literal.isEmpty()) {
                    parts.add(literal.toString());
                    literal.setLength(0);
                }
                parts.add(new Ref(name));
            }
            i = close + 1;
        }
        if (!literal.isEmpty() || parts.isEmpty()) {
            parts.add(literal.toString());
        }
        return new Template(text, List.copyOf(parts));
    }

    /** Fills in the placeholders; an unknown name is an error the request reports as its failure. */
    public String render(Vars vars) {
        if (parts.size() == 1 && parts.get(0) instanceof String s) {
            return s;
        }
        StringBuilder out = new StringBuilder();
        for (Object p : parts) {
            if (p instanceof Ref r) {
                String v = vars.get(r.name);
                if (v == null) {
                    throw new MissingVariableException(r.name);
                }
                out.append(v);
            } else {
                out.append((String) p);
            }
        }
        return out.toString();
    }

    /** The names this template reads. */
    public List<String> names() {
        return parts.stream().filter(p -> p instanceof Ref).map(p -> ((Ref) p).name).toList();
    }

    public boolean isConstant() {
        return names().isEmpty();
    }

    public String source() {
        return source;
    }

    @Override
    public String toString() {
        return source;
    }

    /** A variable lookup: captures, user vars, repeat vars and feed columns. */
    @FunctionalInterface
    public interface Vars {
        String get(String name);
    }

    /** A placeholder had no value when a request was built. */
    public static final class MissingVariableException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        public MissingVariableException(String name) {
            super("variable ${" + name + "} has no value (not captured yet?)");
        }
    }
}
