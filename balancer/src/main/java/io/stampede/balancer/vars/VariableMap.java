package io.stampede.balancer.vars;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * nginx's {@code map SOURCE $name { ... }}: a variable whose value is looked up from another's,
 * evaluated only when a request uses it. nginx's order: an exact string (compared ignoring case),
 * then with {@code hostnames} the longest {@code *.suffix} / {@code .suffix} mask, then the longest
 * {@code prefix.*} mask, then the first regular expression that matches ({@code ~} with case,
 * {@code ~*} without), then {@code default} (empty when not given).
 */
public final class VariableMap {
    private final String name;
    private final Template source;
    private final Map<String, Template> exact;
    private final List<Mask> suffixMasks;
    private final List<Mask> prefixMasks;
    private final List<Map.Entry<Pattern, Template>> patterns;
    private final Template otherwise;
    /** {@code hostnames}: values are host names, compared without a trailing dot. */
    private final boolean hostnames;

    private VariableMap(String name, Template source, Map<String, Template> exact, List<Mask> suffixMasks,
                        List<Mask> prefixMasks, List<Map.Entry<Pattern, Template>> patterns, Template otherwise, boolean hostnames) {
        this.hostnames = hostnames;
        this.name = name;
        this.source = source;
        this.exact = exact;
        this.suffixMasks = suffixMasks;
        this.prefixMasks = prefixMasks;
        this.patterns = patterns;
        this.otherwise = otherwise;
    }

    public String name() {
        return name;
    }

    /** The variables its source and results read (a map may not read itself, directly or through others). */
    public List<String> reads() {
        List<String> out = new ArrayList<>(source.variables());
        exact.values().forEach(t -> out.addAll(t.variables()));
        suffixMasks.forEach(m -> out.addAll(m.value().variables()));
        prefixMasks.forEach(m -> out.addAll(m.value().variables()));
        patterns.forEach(e -> out.addAll(e.getValue().variables()));
        if (otherwise != null) {
            out.addAll(otherwise.variables());
        }
        return out;
    }

    public String evaluate(Variables vars) {
        String value = source.render(vars);
        if (hostnames && value.endsWith(".")) {
            value = value.substring(0, value.length() - 1);
        }
        String lower = value.toLowerCase(Locale.ROOT);
        Template t = exact.get(lower);
        if (t == null && (!suffixMasks.isEmpty() || !prefixMasks.isEmpty())) {
            t = hostMask(lower);
        }
        if (t == null && !value.isEmpty()) {
            // As nginx: an empty value is never tried against the regular expressions.
            for (Map.Entry<Pattern, Template> p : patterns) {
                if (p.getKey().matcher(value).find()) {
                    t = p.getValue();
                    break;
                }
            }
        }
        if (t == null) {
            t = otherwise;
        }
        return t == null ? "" : t.render(vars);
    }

    /**
     * A {@code hostnames} mask: {@code *.example.com} and {@code .example.com} as the suffix
     * {@code .example.com} (the second also covering {@code example.com} itself), {@code mail.*}
     * as the prefix {@code mail.}.
     */
    private record Mask(String text, boolean alsoBare, Template value) {}

    private Template hostMask(String h) {
        // Sorted longest first, so the first that fits is nginx's choice.
        for (Mask m : suffixMasks) {
            if (h.endsWith(m.text()) || (m.alsoBare() && h.equals(m.text().substring(1)))) {
                return m.value();
            }
        }
        for (Mask m : prefixMasks) {
            if (h.startsWith(m.text())) {
                return m.value();
            }
        }
        return null;
    }

    /**
     * Builds a map from its block's lines in order, each a source value and its result.
     *
     * @param header the directive's two words: {@code SOURCE $name}
     * @throws IllegalArgumentException naming the line's value and what was expected
     */
    public static VariableMap parse(String header, List<Map.Entry<String, String>> lines) {
        String[] words = header.trim().split("\\s+");
        if (words.length != 2 || !words[1].startsWith("$") || !words[1].substring(1).matches("[A-Za-z0-9_]+")) {
            throw new IllegalArgumentException("'" + header + "' (expected SOURCE $NAME, e.g. $http_upgrade $connection_upgrade)");
        }
        String name = words[1].substring(1);
        if (Variables.builtIn(name)) {
            throw new IllegalArgumentException("'" + words[1] + "' is a built-in variable (a map needs a new name)");
        }
        Template source = Template.parse(words[0]);
        Map<String, Template> exact = new HashMap<>();
        List<Mask> suffix = new ArrayList<>();
        List<Mask> prefix = new ArrayList<>();
        List<Map.Entry<Pattern, Template>> patterns = new ArrayList<>();
        Template otherwise = null;
        boolean hostnames = false;
        for (Map.Entry<String, String> line : lines) {
            String key = line.getKey();
            String result = line.getValue();
            if (key.equals("hostnames")) {
                if (!exact.isEmpty() || !patterns.isEmpty() || otherwise != null) {
                    throw new IllegalArgumentException("'hostnames' must come before the values");
                }
                hostnames = true;
                continue;
            }
            if (key.equals("volatile")) {
                continue; // values are never cached here: every use evaluates the map
            }
            if (result == null) {
                throw new IllegalArgumentException("'" + key + "' has no value");
            }
            Template value = Template.parse(result);
            if (key.equals("default")) {
                otherwise = value;
            } else if (key.startsWith("~")) {
                boolean caseless = key.startsWith("~*");
                String re = key.substring(caseless ? 2 : 1);
                try {
                    patterns.add(Map.entry(Pattern.compile(re, caseless ? Pattern.CASE_INSENSITIVE : 0), value));
                } catch (PatternSyntaxException e) {
                    throw new IllegalArgumentException("'" + key + "' is not a regular expression: " + e.getDescription());
                }
            } else {
                String k = (key.startsWith("\\") ? key.substring(1) : key);
                k = k.equals("''") || k.equals("\"\"") ? "" : k.toLowerCase(Locale.ROOT);
                if (hostnames && k.startsWith("*.")) {
                    suffix.add(new Mask(k.substring(1), false, value));
                } else if (hostnames && k.startsWith(".")) {
                    suffix.add(new Mask(k, true, value));
                } else if (hostnames && k.endsWith(".*")) {
                    prefix.add(new Mask(k.substring(0, k.length() - 1), false, value));
                } else if (exact.putIfAbsent(k, value) != null) {
                    throw new IllegalArgumentException("duplicate value '" + key + "'");
                }
            }
        }
        suffix.sort((x, y) -> y.text().length() - x.text().length());
        prefix.sort((x, y) -> y.text().length() - x.text().length());
        return new VariableMap(name, source, Map.copyOf(exact), List.copyOf(suffix), List.copyOf(prefix),
                List.copyOf(patterns), otherwise, hostnames);
    }
}
