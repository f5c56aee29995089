package io.stampede.loadgen.scenario;

import io.stampede.common.yaml.ConfigException;
import io.stampede.common.yaml.YamlNode;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The scenario's variables, checked once at load: every {@code ${name}} a step uses must be a
 * var of its class, a capture made before it, a repeat variable or a column of the class's feed.
 */
final class VariableCheck {
    private VariableCheck() {}

    /** Every ${name} must be a var, a capture of this class, a repeat var or a column of its feed. */
    static void check(UserClass uc, DataFeed feed, YamlNode where) {
        Set<String> known = new HashSet<>(uc.vars().keySet());
        List<Step> all = new ArrayList<>(uc.onStart());
        all.addAll(uc.onStop());
        uc.tasks().forEach(t -> all.addAll(t.steps()));
        collectDefined(all, known);
        if (feed != null) {
            feed.columns().forEach(c -> known.add(feed.name() + "." + c));
        }
        for (Step s : all) {
            checkStep(s, known, where, uc.name());
        }
        for (Map.Entry<String, Template> v : uc.vars().entrySet()) {
            for (String n : v.getValue().names()) {
                if (!known.contains(n)) {
                    throw where.error("user class " + uc.name() + ": vars." + v.getKey() + " uses ${" + n + "}, which is never set");
                }
            }
        }
    }

    private static void collectDefined(List<Step> steps, Set<String> known) {
        for (Step s : steps) {
            if (s instanceof Step.Request r) {
                known.addAll(r.captures().keySet());
            } else if (s instanceof Step.Repeat rep) {
                known.add(rep.var());
                collectDefined(rep.steps(), known);
            }
        }
    }

    private static void checkStep(Step s, Set<String> known, YamlNode where, String cls) {
        if (s instanceof Step.Repeat rep) {
            rep.steps().forEach(x -> checkStep(x, known, where, cls));
            return;
        }
        if (!(s instanceof Step.Request r)) {
            return;
        }
        List<Template> templates = new ArrayList<>();
        templates.add(r.path());
        if (r.name() != null) {
            templates.add(r.name());
        }
        templates.addAll(r.headers().values());
        if (r.body() instanceof Step.TextBody t) {
            templates.add(t.text());
        } else if (r.body() instanceof Step.JsonBody j) {
            collectTemplates(j.tree(), templates);
        }
        for (Template t : templates) {
            for (String n : t.names()) {
                if (!known.contains(n)) {
                    throw new ConfigException(where.file() + ":" + r.line() + ": users." + cls + ": ${" + n
                            + "} is never set (expected a var, a capture, a repeat var or a feed column)");
                }
            }
        }
    }

    private static void collectTemplates(Object tree, List<Template> out) {
        if (tree instanceof Template t) {
            out.add(t);
        } else if (tree instanceof Map<?, ?> m) {
            m.values().forEach(v -> collectTemplates(v, out));
        } else if (tree instanceof List<?> l) {
            l.forEach(v -> collectTemplates(v, out));
        }
    }

}
