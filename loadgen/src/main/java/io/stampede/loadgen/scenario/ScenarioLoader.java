package io.stampede.loadgen.scenario;

import io.stampede.common.Durations;
import io.stampede.common.yaml.ConfigException;
import io.stampede.common.yaml.YamlNode;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Reads a scenario: the seed's locustfile as YAML. Everything is checked here, once (keys, values,
 * variable names, task references, feed files), and a mistake is a {@link ConfigException} naming
 * the file, line and key: nothing runs.
 */
public final class ScenarioLoader {
    private static final Set<String> TOP = Set.of("host", "users", "data", "http2");
    private static final Set<String> USER = Set.of("weight", "wait_time", "vars", "on_start", "on_stop", "tasks",
            "sequential", "feed");
    private static final Set<String> TASK = Set.of("weight", "tags", "steps");
    private static final Set<String> METHODS = Set.of("get", "post", "put", "patch", "delete", "head", "options");
    private static final Set<String> REQUEST = Set.of("name", "headers", "json", "body", "content_type", "capture", "expect");
    private static final Set<String> EXPECT = Set.of("status", "json", "contains", "regex");

    private final Map<String, String> env;
    private final Path baseDir;

    private ScenarioLoader(Map<String, String> env, Path baseDir) {
        this.env = env;
        this.baseDir = baseDir;
    }

    public static Scenario load(Path file) {
        return load(file, System.getenv());
    }

    public static Scenario load(Path file, Map<String, String> env) {
        Path dir = file.toAbsolutePath().getParent();
        return new ScenarioLoader(env, dir).build(YamlNode.load(file));
    }

    public static Scenario parse(String name, Reader reader, Map<String, String> env, Path baseDir) {
        return new ScenarioLoader(env, baseDir).build(YamlNode.parse(name, reader));
    }

    private Scenario build(YamlNode root) {
        Map<String, YamlNode> top = root.map(TOP);
        String host = top.containsKey("host") ? top.get("host").text().trim() : null;
        if (host != null && !host.matches("https?://[^\\s/]+/?")) {
            throw top.get("host").invalid("http://HOST[:PORT]");
        }
        Map<String, DataFeed> feeds = new LinkedHashMap<>();
        if (top.containsKey("data")) {
            for (Map.Entry<String, YamlNode> e : top.get("data").map().entrySet()) {
                feeds.put(e.getKey(), feed(e.getKey(), e.getValue()));
            }
        }
        YamlNode usersNode = top.get("users");
        if (usersNode == null) {
            throw root.error("missing 'users' (expected at least one user class with tasks)");
        }
        List<UserClass> users = new ArrayList<>();
        for (Map.Entry<String, YamlNode> e : usersNode.map().entrySet()) {
            users.add(userClass(e.getKey(), e.getValue(), feeds));
        }
        if (users.isEmpty()) {
            throw usersNode.error("no user classes");
        }
        boolean http2 = top.containsKey("http2") && top.get("http2").flag("true or false");
        return new Scenario(root.file(), host, List.copyOf(users), Map.copyOf(feeds), http2);
    }

    private DataFeed feed(String name, YamlNode node) {
        Map<String, YamlNode> m = node.map(Set.of("csv"));
        YamlNode csv = m.get("csv");
        if (csv == null) {
            throw node.error("missing 'csv' (expected csv: path/to/file.csv)");
        }
        Path path = baseDir.resolve(csv.text());
        List<String> lines;
        try {
            lines = Files.readAllLines(path, StandardCharsets.UTF_8).stream().filter(l -> !l.isBlank()).toList();
        } catch (IOException e) {
            throw csv.error("cannot read " + path + ": " + e.getMessage());
        }
        if (lines.size() < 2) {
            throw csv.error(path + " needs a header line and at least one row");
        }
        String[] columns = lines.get(0).split(",", -1);
        List<Map<String, String>> rows = new ArrayList<>();
        for (int i = 1; i < lines.size(); i++) {
            String[] cells = lines.get(i).split(",", -1);
            if (cells.length != columns.length) {
                throw csv.error(path + " line " + (i + 1) + " has " + cells.length + " cells, the header has " + columns.length);
            }
            Map<String, String> row = new LinkedHashMap<>();
            for (int c = 0; c < columns.length; c++) {
                row.put(columns[c].trim(), cells[c].trim());
            }
            rows.add(row);
        }
        return new DataFeed(name, rows);
    }

    private UserClass userClass(String name, YamlNode node, Map<String, DataFeed> feeds) {
        Map<String, YamlNode> m = node.map(USER);
        int weight = m.containsKey("weight") ? integer(m.get("weight"), 1, 1_000_000) : 1;
        WaitTime wait = new WaitTime.Constant(0);
        if (m.containsKey("wait_time")) {
            try {
                wait = WaitTime.parse(m.get("wait_time").text());
            } catch (IllegalArgumentException e) {
                throw m.get("wait_time").invalid(e.getMessage());
            }
        }
        Map<String, Template> vars = new LinkedHashMap<>();
        if (m.containsKey("vars")) {
            for (Map.Entry<String, YamlNode> v : m.get("vars").map().entrySet()) {
                vars.put(v.getKey(), template(v.getValue()));
            }
        }
        String feed = null;
        if (m.containsKey("feed")) {
            feed = m.get("feed").text();
            if (!feeds.containsKey(feed)) {
                throw m.get("feed").invalid("the name of a data feed (" + String.join(", ", feeds.keySet()) + ")");
            }
        }
        YamlNode tasksNode = m.get("tasks");
        if (tasksNode == null || tasksNode.map().isEmpty()) {
            throw node.error("no tasks (expected tasks: {NAME: {weight: N, steps: [...]}})");
        }
        Map<String, Task> tasks = new LinkedHashMap<>();
        for (Map.Entry<String, YamlNode> t : tasksNode.map().entrySet()) {
            tasks.put(t.getKey(), task(t.getKey(), t.getValue()));
        }
        List<Step> onStart = m.containsKey("on_start") ? hook(m.get("on_start"), tasks) : List.of();
        List<Step> onStop = m.containsKey("on_stop") ? hook(m.get("on_stop"), tasks) : List.of();
        boolean sequential = m.containsKey("sequential") && bool(m.get("sequential"));
        UserClass uc = new UserClass(name, weight, wait, Map.copyOf(vars), onStart, onStop, List.copyOf(tasks.values()),
                sequential, feed);
        VariableCheck.check(uc, feed == null ? null : feeds.get(feed), tasksNode);
        return uc;
    }

    /** on_start / on_stop: task names, inline steps, or a mix. */
    private List<Step> hook(YamlNode node, Map<String, Task> tasks) {
        List<Step> out = new ArrayList<>();
        for (YamlNode item : node.oneOrMany()) {
            if (item.isScalar()) {
                Task t = tasks.get(item.text());
                if (t == null) {
                    throw item.invalid("a task name (" + String.join(", ", tasks.keySet()) + ") or inline steps");
                }
                out.addAll(t.steps());
            } else {
                out.add(step(item));
            }
        }
        return List.copyOf(out);
    }

    private Task task(String name, YamlNode node) {
        Map<String, YamlNode> m = node.map(TASK);
        int weight = m.containsKey("weight") ? integer(m.get("weight"), 0, 1_000_000) : 1;
        Set<String> tags = new LinkedHashSet<>();
        if (m.containsKey("tags")) {
            for (YamlNode t : m.get("tags").oneOrMany()) {
                tags.add(t.text());
            }
        }
        YamlNode steps = m.get("steps");
        if (steps == null || steps.list().isEmpty()) {
            throw node.error("no steps (expected steps: [{get: /path}, ...])");
        }
        return new Task(name, weight, Set.copyOf(tags), steps(steps));
    }

    private List<Step> steps(YamlNode node) {
        List<Step> out = new ArrayList<>();
        for (YamlNode s : node.list()) {
            out.add(step(s));
        }
        return List.copyOf(out);
    }

    private Step step(YamlNode node) {
        Map<String, YamlNode> m = node.map();
        if (m.containsKey("sleep")) {
            if (m.size() != 1) {
                throw node.error("a sleep step has only 'sleep' (found " + String.join(", ", m.keySet()) + ")");
            }
            try {
                return new Step.Sleep(Durations.parse(m.get("sleep").text()));
            } catch (IllegalArgumentException e) {
                throw m.get("sleep").invalid("a duration such as 300ms or 1s");
            }
        }
        if (m.containsKey("repeat")) {
            Map<String, YamlNode> r = m.get("repeat").map(Set.of("var", "from", "to"));
            node.map(Set.of("repeat", "steps"));
            if (!r.containsKey("var") || !r.containsKey("from") || !r.containsKey("to") || !m.containsKey("steps")) {
                throw node.error("expected repeat: {var: NAME, from: N, to: M} with steps: [...]");
            }
            int from = integer(r.get("from"), Integer.MIN_VALUE, Integer.MAX_VALUE);
            int to = integer(r.get("to"), Integer.MIN_VALUE, Integer.MAX_VALUE);
            if (to < from) {
                throw r.get("to").invalid("a number >= from (" + from + ")");
            }
            return new Step.Repeat(r.get("var").text(), from, to, steps(m.get("steps")));
        }
        if (m.containsKey("ws_connect") || m.containsKey("ws_send") || m.containsKey("ws_expect") || m.containsKey("ws_close")) {
            return webSocketStep(node, m);
        }
        String method = null;
        for (String k : m.keySet()) {
            if (METHODS.contains(k)) {
                if (method != null) {
                    throw node.error("a step has one method, found '" + method + "' and '" + k + "'");
                }
                method = k;
            }
        }
        if (method == null) {
            throw node.error("a step is a request (get/post/put/patch/delete/head/options: PATH), sleep: DURATION, "
                    + "repeat: {...} with steps, or ws_connect / ws_send / ws_expect / ws_close; found " + String.join(", ", m.keySet()));
        }
        for (Map.Entry<String, YamlNode> e : m.entrySet()) {
            if (!e.getKey().equals(method) && !REQUEST.contains(e.getKey())) {
                throw e.getValue().error("unknown key '" + e.getKey() + "' (expected one of "
                        + String.join(", ", new java.util.TreeSet<>(REQUEST)) + ")");
            }
        }
        YamlNode pathNode = m.get(method);
        String path = pathNode.text();
        if (!path.startsWith("/") && !path.startsWith("${") && !path.startsWith("http")) {
            throw pathNode.invalid("a path starting with /");
        }
        Template name = m.containsKey("name") ? template(m.get("name")) : null;
        Map<String, Template> headers = new LinkedHashMap<>();
        if (m.containsKey("headers")) {
            for (Map.Entry<String, YamlNode> h : m.get("headers").map().entrySet()) {
                headers.put(h.getKey(), template(h.getValue()));
            }
        }
        Step.Body body = null;
        if (m.containsKey("json") && m.containsKey("body")) {
            throw node.error("a request has json or body, not both");
        }
        if (m.containsKey("json")) {
            body = new Step.JsonBody(jsonTree(m.get("json")));
        } else if (m.containsKey("body")) {
            String type = m.containsKey("content_type") ? m.get("content_type").text() : "text/plain; charset=utf-8";
            body = new Step.TextBody(template(m.get("body")), type);
        }
        Map<String, Capture> captures = captures(m.get("capture"));
        List<Expect> expects = m.containsKey("expect") ? expects(m.get("expect")) : List.of();
        return new Step.Request(method.toUpperCase(Locale.ROOT), template(pathNode), name, Map.copyOf(headers), body,
                Map.copyOf(captures), expects, node.line());
    }

    /** {@code ws_connect: PATH}, {@code ws_send: {json: ...} | TEXT}, {@code ws_expect: {json: ..., contains: ...}}, {@code ws_close: true}. */
    private Step webSocketStep(YamlNode node, Map<String, YamlNode> m) {
        Template name = m.containsKey("name") ? template(m.get("name")) : null;
        if (m.containsKey("ws_connect")) {
            node.map(Set.of("ws_connect", "name", "headers"));
            YamlNode path = m.get("ws_connect");
            if (!path.text().startsWith("/") && !path.text().startsWith("${")) {
                throw path.invalid("a path starting with /");
            }
            Map<String, Template> headers = new LinkedHashMap<>();
            if (m.containsKey("headers")) {
                m.get("headers").map().forEach((k, v) -> headers.put(k, template(v)));
            }
            return new Step.WsConnect(template(path), name, Map.copyOf(headers), node.line());
        }
        if (m.containsKey("ws_send")) {
            node.map(Set.of("ws_send", "name"));
            YamlNode v = m.get("ws_send");
            if (v.isMap()) {
                Map<String, YamlNode> b = v.map(Set.of("json", "text"));
                if (b.size() != 1) {
                    throw v.error("expected {json: ...} or {text: ...}");
                }
                return new Step.WsSend(b.containsKey("json") ? new Step.JsonBody(jsonTree(b.get("json")))
                        : new Step.TextBody(template(b.get("text")), "text/plain"), name, node.line());
            }
            return new Step.WsSend(new Step.TextBody(template(v), "text/plain"), name, node.line());
        }
        if (m.containsKey("ws_expect")) {
            node.map(Set.of("ws_expect", "name", "timeout", "capture"));
            List<Expect> expects = expects(m.get("ws_expect"));
            if (expects.stream().anyMatch(e -> e instanceof Expect.Status)) {
                throw m.get("ws_expect").error("a WebSocket message has no status (expected json: or contains:)");
            }
            java.time.Duration timeout = java.time.Duration.ofSeconds(10);
            if (m.containsKey("timeout")) {
                try {
                    timeout = Durations.parse(m.get("timeout").text());
                } catch (IllegalArgumentException e) {
                    throw m.get("timeout").invalid("a duration such as 5s");
                }
            }
            Map<String, Capture> captures = captures(m.get("capture"));
            return new Step.WsExpect(expects, Map.copyOf(captures), timeout, name, node.line());
        }
        node.map(Set.of("ws_close"));
        return new Step.WsClose();
    }

    /** {@code capture: {NAME: SPEC}}, in order; none when absent. */
    private static Map<String, Capture> captures(YamlNode node) {
        Map<String, Capture> captures = new LinkedHashMap<>();
        if (node != null) {
            for (Map.Entry<String, YamlNode> c : node.map().entrySet()) {
                try {
                    captures.put(c.getKey(), Capture.parse(c.getValue().text()));
                } catch (IllegalArgumentException e) {
                    throw c.getValue().invalid(e.getMessage());
                }
            }
        }
        return captures;
    }

    private List<Expect> expects(YamlNode node) {
        Map<String, YamlNode> m = node.map(EXPECT);
        List<Expect> out = new ArrayList<>();
        if (m.containsKey("status")) {
            Set<Integer> allowed = new LinkedHashSet<>();
            for (YamlNode s : m.get("status").oneOrMany()) {
                allowed.add(integer(s, 100, 599));
            }
            out.add(new Expect.Status(Set.copyOf(allowed)));
        }
        if (m.containsKey("json")) {
            for (Map.Entry<String, YamlNode> e : m.get("json").map().entrySet()) {
                try {
                    out.add(new Expect.JsonEquals(JsonPath.parse(e.getKey()), template(e.getValue())));
                } catch (IllegalArgumentException ex) {
                    throw e.getValue().error(ex.getMessage());
                }
            }
        }
        if (m.containsKey("contains")) {
            out.add(new Expect.BodyContains(m.get("contains").text()));
        }
        if (m.containsKey("regex")) {
            try {
                out.add(new Expect.BodyMatches(java.util.regex.Pattern.compile(m.get("regex").text())));
            } catch (java.util.regex.PatternSyntaxException e) {
                throw m.get("regex").invalid("a regular expression (" + e.getDescription() + ")");
            }
        }
        return List.copyOf(out);
    }

    /** A YAML tree for a JSON body: maps, lists, and scalars (strings become templates). */
    private Object jsonTree(YamlNode node) {
        if (node.isMap()) {
            Map<String, Object> out = new LinkedHashMap<>();
            node.map().forEach((k, v) -> out.put(k, jsonTree(v)));
            return out;
        }
        if (node.isList()) {
            List<Object> out = new ArrayList<>();
            node.list().forEach(v -> out.add(jsonTree(v)));
            return out;
        }
        String text = node.text();
        if (text.matches("-?\\d+")) {
            return Long.parseLong(text);
        }
        if (text.matches("-?\\d+\\.\\d+")) {
            return Double.parseDouble(text);
        }
        if (text.equals("true") || text.equals("false")) {
            return Boolean.parseBoolean(text);
        }
        if (text.equals("null") || text.equals("~")) {
            return null;
        }
        return template(node);
    }

    private Template template(YamlNode node) {
        try {
            return Template.parse(node.text(), env);
        } catch (IllegalArgumentException e) {
            throw node.error(e.getMessage());
        }
    }

    private static int integer(YamlNode n, int min, int max) {
        return n.integer(min, max, "an integer" + (min == Integer.MIN_VALUE ? "" : " >= " + min));
    }

    private static boolean bool(YamlNode n) {
        return n.flag("true or false");
    }
}
