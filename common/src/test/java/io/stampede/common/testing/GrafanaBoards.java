package io.stampede.common.testing;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Checks a Grafana dashboard of {@code deploy/grafana/} against what a real {@code /metrics}
 * exported: every query (panels, rows' panels, template variables) names only metrics the scrape
 * has, with only labels they carry (in selectors, {@code by (...)} and {@code label_values}), and
 * the board itself is one Grafana imports (unique panel ids, a place on the grid, its data source
 * the board's variable).
 */
public final class GrafanaBoards {
    /** Labels Prometheus adds when it scrapes, so no /metrics carries them. */
    private static final Set<String> TARGET_LABELS = Set.of("instance", "job");
    private static final Pattern METRIC = Pattern.compile("\\b(stampede_[a-zA-Z0-9_]+)\\s*(\\{([^}]*)})?");
    private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)\\s*(=~|!~|!=|=)");
    private static final Pattern BY = Pattern.compile("\\b(?:by|ignoring|on)\\s*\\(([^)]*)\\)");
    private static final Pattern LABEL_VALUES = Pattern.compile("label_values\\((.+),\\s*([a-zA-Z_]+)\\)\\s*$");

    private GrafanaBoards() {}

    /** Every query of the board in {@code file}; fails naming the query and what it lacks. Returns how many were checked. */
    public static int check(Path file, String scrape) throws IOException {
        Map<String, Set<String>> exported = labelsByMetric(scrape);
        JsonNode board = new ObjectMapper().readTree(file.toFile());
        assertThat(board.path("uid").asText()).as("%s: uid", file).isNotEmpty();
        List<String> queries = new ArrayList<>();
        Set<Integer> ids = new HashSet<>();
        panels(board.path("panels"), file, queries, ids);
        for (JsonNode v : board.path("templating").path("list")) {
            if (v.path("type").asText().equals("query")) {
                String q = v.path("query").path("query").asText();
                queries.add(q);
                Matcher m = LABEL_VALUES.matcher(q);
                assertThat(m.find()).as("%s: variable %s: %s is not label_values(METRIC, LABEL)", file, v.path("name").asText(), q).isTrue();
                requireLabel(file, q, exported, List.of(metricOf(m.group(1))), m.group(2));
            }
        }
        for (String q : queries) {
            List<String> metrics = new ArrayList<>();
            Matcher m = METRIC.matcher(q);
            while (m.find()) {
                String name = m.group(1);
                assertThat(exported).as("%s: the query %s names %s, which /metrics does not export", file, q, name).containsKey(name);
                metrics.add(name);
                if (m.group(3) != null) {
                    Matcher l = LABEL.matcher(m.group(3));
                    while (l.find()) {
                        requireLabel(file, q, exported, List.of(name), l.group(1));
                    }
                }
            }
            assertThat(metrics).as("%s: the query %s names no stampede metric", file, q).isNotEmpty();
            Matcher by = BY.matcher(q);
            while (by.find()) {
                for (String label : by.group(1).split(",")) {
                    requireLabel(file, q, exported, metrics, label.strip());
                }
            }
        }
        return queries.size();
    }

    private static String metricOf(String selector) {
        int brace = selector.indexOf('{');
        return (brace < 0 ? selector : selector.substring(0, brace)).strip();
    }

    private static void requireLabel(Path file, String query, Map<String, Set<String>> exported, List<String> metrics, String label) {
        if (TARGET_LABELS.contains(label)) {
            return;
        }
        boolean found = metrics.stream().anyMatch(n -> exported.getOrDefault(n, Set.of()).contains(label));
        assertThat(found).as("%s: the query %s uses the label %s, which none of %s carries", file, query, label, metrics).isTrue();
    }

    private static void panels(JsonNode panels, Path file, List<String> queries, Set<Integer> ids) {
        for (JsonNode p : panels) {
            String title = p.path("title").asText();
            assertThat(ids.add(p.path("id").asInt(-1))).as("%s: panel %s: a unique id", file, title).isTrue();
            assertThat(p.path("gridPos").path("w").asInt()).as("%s: panel %s: a width on the grid", file, title).isPositive();
            if (!p.path("type").asText().equals("row")) {
                assertThat(p.path("datasource").path("uid").asText()).as("%s: panel %s: its data source", file, title)
                        .isEqualTo("${datasource}");
                assertThat(p.path("targets").size()).as("%s: panel %s: queries", file, title).isPositive();
                for (JsonNode t : p.path("targets")) {
                    queries.add(t.path("expr").asText());
                }
            }
            panels(p.path("panels"), file, queries, ids);
        }
    }

    /** The metric names of a text-format scrape, each with the labels its series carry. */
    static Map<String, Set<String>> labelsByMetric(String scrape) {
        Map<String, Set<String>> out = new HashMap<>();
        for (String line : scrape.split("\n")) {
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            int brace = line.indexOf('{');
            int space = line.indexOf(' ');
            String name = brace >= 0 && brace < space ? line.substring(0, brace) : line.substring(0, space);
            Set<String> labels = out.computeIfAbsent(name, n -> new HashSet<>());
            if (brace >= 0 && brace < space) {
                Matcher l = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"").matcher(line.substring(brace, line.lastIndexOf('}')));
                while (l.find()) {
                    labels.add(l.group(1));
                }
            }
        }
        return out;
    }
}
