package io.stampede.loadgen.scenario;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Ready-made scenarios and the command line's selection of classes and tags. */
public final class Scenarios {
    private Scenarios() {}

    /** Quick mode (wrk's): every user GETs the URL's path again and again, without waiting. */
    public static Scenario quick(String url) {
        URI u = URI.create(url);
        String path = (u.getRawPath() == null || u.getRawPath().isEmpty() ? "/" : u.getRawPath())
                + (u.getRawQuery() == null ? "" : "?" + u.getRawQuery());
        Template p = Template.literal(path);
        Step.Request get = new Step.Request("GET", p, null, Map.of(), null, Map.of(), List.of(), 0);
        Task task = new Task("get", 1, Set.of(), List.of(get));
        UserClass cls = new UserClass("Quick", 1, new WaitTime.Constant(0), Map.of(), List.of(), List.of(), List.of(task),
                false, null);
        return new Scenario("(quick mode)", u.getScheme() + "://" + u.getRawAuthority(), List.of(cls), Map.of());
    }

    /**
     * Keeps the named user classes (all when none are named) and the tasks that pass the tags.
     *
     * @throws IllegalArgumentException naming an unknown class, or when no task is left
     */
    public static Scenario select(Scenario s, List<String> classes, List<String> tags, List<String> excludeTags) {
        List<UserClass> kept = new ArrayList<>();
        for (String name : classes) {
            if (s.users().stream().noneMatch(u -> u.name().equals(name))) {
                throw new IllegalArgumentException("no user class '" + name + "' in " + s.source() + " (it has "
                        + String.join(", ", s.users().stream().map(UserClass::name).toList()) + ")");
            }
        }
        for (UserClass u : s.users()) {
            if (!classes.isEmpty() && !classes.contains(u.name())) {
                continue;
            }
            List<Task> tasks = u.tasks().stream()
                    .filter(t -> tags.isEmpty() || t.tags().stream().anyMatch(tags::contains))
                    .filter(t -> t.tags().stream().noneMatch(excludeTags::contains))
                    .filter(t -> t.weight() > 0)
                    .toList();
            if (!tasks.isEmpty()) {
                kept.add(u.withTasks(tasks));
            }
        }
        if (kept.isEmpty()) {
            throw new IllegalArgumentException("no task left to run after selecting classes " + classes + ", tags " + tags
                    + ", excluding " + excludeTags);
        }
        return new Scenario(s.source(), s.host(), List.copyOf(kept), s.feeds(), s.http2());
    }
}
