package io.stampede.balancer.config.nginx;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;
import org.yaml.snakeyaml.nodes.Tag;

/**
 * The native configuration's tree, built from an nginx.conf: maps (in order), lists and text,
 * each remembering the nginx.conf file and line it came from. It becomes the YAML parser's nodes
 * (so the configuration is checked by the same code, with errors naming the nginx.conf line), or
 * YAML text ({@code stampede config convert}).
 */
final class YamlTree {
    final String file;
    final int line;
    final String text;
    final Map<String, YamlTree> map;
    final List<YamlTree> list;

    private YamlTree(String file, int line, String text, Map<String, YamlTree> map, List<YamlTree> list) {
        this.file = file;
        this.line = line;
        this.text = text;
        this.map = map;
        this.list = list;
    }

    static YamlTree text(String value, String file, int line) {
        return new YamlTree(file, line, value, null, null);
    }

    static YamlTree map(String file, int line) {
        return new YamlTree(file, line, null, new LinkedHashMap<>(), null);
    }

    static YamlTree list(String file, int line) {
        return new YamlTree(file, line, null, null, new ArrayList<>());
    }

    /** The YAML parser's node for this tree, with marks naming the nginx.conf file and line. */
    Node toNode() {
        Mark mark = new Mark(file, 0, Math.max(0, line - 1), 0, new int[0], 0);
        if (text != null) {
            return new ScalarNode(Tag.STR, text, mark, mark, DumperOptions.ScalarStyle.PLAIN);
        }
        if (map != null) {
            List<NodeTuple> tuples = new ArrayList<>();
            map.forEach((k, v) -> tuples.add(new NodeTuple(new ScalarNode(Tag.STR, k, v.mark(), v.mark(),
                    DumperOptions.ScalarStyle.PLAIN), v.toNode())));
            return new MappingNode(Tag.MAP, true, tuples, mark, mark, DumperOptions.FlowStyle.BLOCK);
        }
        List<Node> items = new ArrayList<>();
        list.forEach(i -> items.add(i.toNode()));
        return new SequenceNode(Tag.SEQ, true, items, mark, mark, DumperOptions.FlowStyle.BLOCK);
    }

    private Mark mark() {
        return new Mark(file, 0, Math.max(0, line - 1), 0, new int[0], 0);
    }

    /** As YAML text, block style, quoting only what must be. */
    String toYaml() {
        StringBuilder out = new StringBuilder();
        write(out, "");
        return out.toString();
    }

    private void write(StringBuilder out, String indent) {
        if (map != null) {
            for (Map.Entry<String, YamlTree> e : map.entrySet()) {
                out.append(indent).append(quote(e.getKey())).append(':');
                e.getValue().writeValue(out, indent);
            }
        } else if (list != null) {
            for (YamlTree item : list) {
                out.append(indent).append('-');
                if (item.text != null) {
                    out.append(' ').append(quote(item.text)).append('\n');
                } else if (item.map != null && !item.map.isEmpty()) {
                    // The first key on the dash's line, the rest under it.
                    StringBuilder inner = new StringBuilder();
                    item.write(inner, indent + "  ");
                    out.append(' ').append(inner.substring(indent.length() + 2));
                } else {
                    item.writeValue(out, indent);
                }
            }
        }
    }

    private void writeValue(StringBuilder out, String indent) {
        if (text != null) {
            out.append(' ').append(quote(text)).append('\n');
        } else if (map != null && map.isEmpty()) {
            out.append(" {}\n");
        } else if (list != null && list.isEmpty()) {
            out.append(" []\n");
        } else {
            out.append('\n');
            write(out, indent + "  ");
        }
    }

    /** Plain when YAML would read it back as the same text, double-quoted otherwise. */
    static String quote(String s) {
        boolean plain = !s.isEmpty() && s.equals(s.trim())
                && s.chars().allMatch(c -> c >= 0x20 && c < 0x7f && c != '"' && c != '\\')
                && "-?:,[]{}#&*!|>'\"%@`~^".indexOf(s.charAt(0)) < 0
                && !s.contains(": ") && !s.contains(" #") && !s.endsWith(":");
        if (plain) {
            return s;
        }
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\t' -> b.append("\\t");
                case '\r' -> b.append("\\r");
                default -> b.append(c);
            }
        }
        return b.append('"').toString();
    }
}
