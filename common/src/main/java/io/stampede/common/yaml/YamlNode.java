package io.stampede.common.yaml;

import io.stampede.common.Durations;
import io.stampede.common.Sizes;
import java.time.Duration;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;

/**
 * A YAML node that knows where it came from (file, line, key path), so every configuration error
 * can point at the exact place. Scalars are kept as the text written ({@code on}, {@code 10s},
 * {@code 127.0.0.1:8080 weight=5}): the values follow nginx's syntax, not YAML's types.
 */
public final class YamlNode {
    private final String file;
    private final String path;
    private final Node node;

    private YamlNode(String file, String path, Node node) {
        this.file = file;
        this.path = path;
        this.node = node;
    }

    /** Parses a file; a YAML syntax error is reported with its line and column. */
    public static YamlNode load(Path file) {
        try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            return parse(file.toString(), reader);
        } catch (IOException e) {
            throw new ConfigException(file + ": cannot read: " + e.getMessage());
        }
    }

    public static YamlNode parse(String file, Reader reader) {
        LoaderOptions options = new LoaderOptions();
        options.setAllowDuplicateKeys(false);
        options.setMaxAliasesForCollections(10);
        options.setCodePointLimit(8 * 1024 * 1024);
        Node root;
        try {
            root = new Yaml(new SafeConstructor(options)).compose(reader);
        } catch (MarkedYAMLException e) {
            int line = e.getProblemMark() != null ? e.getProblemMark().getLine() + 1 : 0;
            throw new ConfigException(file + ":" + line + ": not valid YAML: " + e.getProblem());
        } catch (RuntimeException e) {
            throw new ConfigException(file + ": not valid YAML: " + e.getMessage());
        }
        if (root == null) {
            throw new ConfigException(file + ":1: the file is empty (expected a map of settings)");
        }
        return new YamlNode(file, "", root);
    }

    /**
     * A tree built by other means than parsing YAML (an nginx.conf read into the same shape): its
     * nodes' marks name the file each came from, and errors name that file.
     */
    public static YamlNode of(String file, Node root) {
        return new YamlNode(file, "", root);
    }

    public String file() {
        return file;
    }

    /** The file this node was written in: the mark's (an included nginx.conf file), else the document's. */
    private String where() {
        String name = node.getStartMark() == null ? null : node.getStartMark().getName();
        return name == null || name.isEmpty() || name.startsWith("'") ? file : name;
    }

    /** The key path, e.g. {@code upstreams.api.servers[2]} ({@code (top level)} for the root). */
    public String path() {
        return path.isEmpty() ? "(top level)" : path;
    }

    public int line() {
        return node.getStartMark().getLine() + 1;
    }

    public boolean isMap() {
        return node instanceof MappingNode;
    }

    public boolean isList() {
        return node instanceof SequenceNode;
    }

    public boolean isScalar() {
        return node instanceof ScalarNode;
    }

    /** The text as written; an error unless this is a scalar. */
    public String text() {
        if (!(node instanceof ScalarNode s)) {
            throw error("expected a single value, found a " + kind());
        }
        return s.getValue();
    }

    /** The keys in file order; an error unless this is a map. */
    public Map<String, YamlNode> map() {
        if (!(node instanceof MappingNode m)) {
            throw error("expected a map of keys, found a " + kind());
        }
        Map<String, YamlNode> out = new LinkedHashMap<>();
        for (NodeTuple t : m.getValue()) {
            if (!(t.getKeyNode() instanceof ScalarNode k)) {
                throw new YamlNode(file, path, t.getKeyNode()).error("a key must be plain text");
            }
            out.put(k.getValue(), new YamlNode(file, child(k.getValue()), t.getValueNode()));
        }
        return Collections.unmodifiableMap(out);
    }

    /** A map whose keys must all be in {@code allowed}; an unknown key is an error naming it. */
    public Map<String, YamlNode> map(Set<String> allowed) {
        Map<String, YamlNode> m = map();
        for (Map.Entry<String, YamlNode> e : m.entrySet()) {
            if (!allowed.contains(e.getKey())) {
                throw e.getValue().error("unknown key '" + e.getKey() + "' (expected one of "
                        + String.join(", ", new java.util.TreeSet<>(allowed)) + ")");
            }
        }
        return m;
    }

    /** The items; an error unless this is a list. */
    public List<YamlNode> list() {
        if (!(node instanceof SequenceNode s)) {
            throw error("expected a list, found a " + kind());
        }
        List<YamlNode> out = new ArrayList<>();
        int i = 0;
        for (Node n : s.getValue()) {
            out.add(new YamlNode(file, path + "[" + i++ + "]", n));
        }
        return out;
    }

    /** A scalar as a one-item list, or the list itself ({@code listen: a} or {@code listen: [a, b]}). */
    public List<YamlNode> oneOrMany() {
        return isList() ? list() : List.of(this);
    }

    /** {@code file:line: path: message}. */
    public ConfigException error(String message) {
        return new ConfigException(where() + ":" + line() + ": " + path() + ": " + message);
    }

    /** An error about this node's value: {@code file:line: path: 'value' (expected ...)}. */
    public ConfigException invalid(String expected) {
        String shown = isScalar() ? "'" + ((ScalarNode) node).getValue() + "'" : "a " + kind();
        return error(shown + " (expected " + expected + ")");
    }

    /** A whole number from {@code min} to {@code max}; {@code expected} says so in the error. */
    public int integer(int min, int max, String expected) {
        try {
            long v = Long.parseLong(text().trim());
            if (v >= min && v <= max) {
                return (int) v;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw invalid(expected);
    }

    /** A duration such as {@code 500ms}, {@code 10s}, {@code 1m}; zero only when allowed. */
    public Duration duration(boolean zeroAllowed) {
        try {
            Duration d = Durations.parse(text());
            if (!d.isZero() || zeroAllowed) {
                return d;
            }
        } catch (IllegalArgumentException e) {
            // reported below
        }
        throw invalid((zeroAllowed ? "" : "a positive ") + "duration such as 500ms, 10s, 1m");
    }

    /** A size in bytes such as {@code 512}, {@code 8k}, {@code 1m}. */
    public long size() {
        try {
            return Sizes.parse(text());
        } catch (IllegalArgumentException e) {
            throw invalid("a size such as 512, 8k, 1m");
        }
    }

    /** A switch: {@code on}/{@code true}/{@code yes} or {@code off}/{@code false}/{@code no}. */
    public boolean flag(String expected) {
        return switch (text()) {
            case "true", "on", "yes" -> true;
            case "false", "off", "no" -> false;
            default -> throw invalid(expected);
        };
    }

    private String child(String key) {
        return path.isEmpty() ? key : path + "." + key;
    }

    private String kind() {
        return isMap() ? "map" : isList() ? "list" : "value";
    }
}
