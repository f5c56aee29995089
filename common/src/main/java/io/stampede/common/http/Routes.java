package io.stampede.common.http;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A method and path table for the small HTTP servers (the Market API, the proxy's admin listener,
 * the swarm's web UI). Templates name variable segments {@code {name}}; the first route that
 * matches wins, so a literal route listed before a template shadows it. A path that matches with
 * another method is told apart from one that matches nothing, so a server can answer 405 with
 * {@code Allow} rather than 404.
 *
 * @param <H> what a route leads to: a handler, an endpoint
 */
public final class Routes<H> {
    /**
     * What a request found.
     *
     * @param handler the route's handler, or null when nothing matched with this method
     * @param template the route's template, as written ({@code /api/v1/products/{id}/}), or null
     * @param params the variable segments' values, in template order
     * @param allowed the methods the path has routes for, when {@code handler} is null
     */
    public record Match<H>(H handler, String template, List<String> params, Set<String> allowed) {
        public boolean found() {
            return handler != null;
        }

        /** The path exists but not for this method: answer 405 with {@code Allow}. */
        public boolean wrongMethod() {
            return handler == null && !allowed.isEmpty();
        }

        public String allowHeader() {
            return String.join(", ", allowed);
        }
    }

    private record Route<H>(String method, String template, Pattern pattern, H handler) {}

    private static final Pattern VARIABLE = Pattern.compile("\\{[a-z_]+}");

    private final List<Route<H>> routes = new ArrayList<>();
    private final String segment;
    private final boolean headAsGet;

    /**
     * @param segment what a variable segment may hold, as a regular expression ({@code [^/]+} for any)
     * @param headAsGet a HEAD request takes the GET route when it has none of its own (the server
     *     then sends the head only, as {@link Replies#send} does)
     */
    public Routes(String segment, boolean headAsGet) {
        this.segment = segment;
        this.headAsGet = headAsGet;
    }

    /** Any non-empty segment, and HEAD served as GET. */
    public Routes() {
        this("[^/]+", true);
    }

    public Routes<H> add(String method, String template, H handler) {
        StringBuilder regex = new StringBuilder();
        Matcher v = VARIABLE.matcher(template);
        int from = 0;
        while (v.find()) {
            regex.append(Pattern.quote(template.substring(from, v.start()))).append('(').append(segment).append(')');
            from = v.end();
        }
        regex.append(Pattern.quote(template.substring(from)));
        routes.add(new Route<>(method, template, Pattern.compile(regex.toString()), handler));
        return this;
    }

    public Match<H> match(String method, String path) {
        Match<H> m = find(method, path);
        if (!m.found() && headAsGet && method.equals("HEAD")) {
            Match<H> get = find("GET", path);
            if (get.found()) {
                return get;
            }
        }
        return m;
    }

    private Match<H> find(String method, String path) {
        Set<String> allowed = new LinkedHashSet<>();
        for (Route<H> r : routes) {
            Matcher m = r.pattern.matcher(path);
            if (!m.matches()) {
                continue;
            }
            if (!r.method.equals(method)) {
                allowed.add(r.method);
                if (headAsGet && r.method.equals("GET")) {
                    allowed.add("HEAD");
                }
                continue;
            }
            List<String> params = new ArrayList<>(m.groupCount());
            for (int g = 1; g <= m.groupCount(); g++) {
                params.add(m.group(g));
            }
            return new Match<>(r.handler, r.template, List.copyOf(params), Set.of());
        }
        return new Match<>(null, null, List.of(), allowed);
    }

    /** Whether any route, whatever its method, matches {@code path} (Django's APPEND_SLASH asks this of path + "/"). */
    public boolean matchesAnyMethod(String path) {
        for (Route<H> r : routes) {
            if (r.pattern.matcher(path).matches()) {
                return true;
            }
        }
        return false;
    }
}
