package io.stampede.api.http;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Maps a method and path to an endpoint. Templates use {@code {name}} for a numeric path segment,
 * and every match carries its template so stats are counted per route, not per URL.
 */
public final class Router {
    /** A matched route: its stats key ({@code GET /api/v1/products/{id}/}) and what to run. */
    public record Match(String key, Endpoint endpoint, boolean cpuBound, ApiRequest request) {}

    private record Route(String method, String template, Pattern pattern, Endpoint endpoint, boolean cpuBound) {}

    private final List<Route> routes = new ArrayList<>();

    public Router add(String method, String template, Endpoint endpoint) {
        return add(method, template, endpoint, false);
    }

    /** A cpu-bound endpoint runs off the event loop (password hashing). */
    public Router add(String method, String template, Endpoint endpoint, boolean cpuBound) {
        String regex = template.replaceAll("\\{[a-z_]+}", "([0-9]{1,18})");
        routes.add(new Route(method, template, Pattern.compile(regex), endpoint, cpuBound));
        return this;
    }

    public Match match(ApiRequest request) {
        Set<String> allowed = new LinkedHashSet<>();
        for (Route r : routes) {
            Matcher m = r.pattern.matcher(request.path());
            if (!m.matches()) {
                continue;
            }
            if (!r.method.equals(request.method())) {
                allowed.add(r.method);
                continue;
            }
            List<String> params = new ArrayList<>(m.groupCount());
            for (int g = 1; g <= m.groupCount(); g++) {
                params.add(m.group(g));
            }
            return new Match(request.method() + " " + r.template, r.endpoint, r.cpuBound,
                    request.withPathParams(List.copyOf(params)));
        }
        if (!allowed.isEmpty()) {
            String allow = String.join(", ", allowed);
            Reply reply = Reply.error(405, "client_error", "method_not_allowed",
                    "Method \"" + request.method() + "\" not allowed.", null, 0).withHeader("Allow", allow);
            return new Match(request.method() + " (method not allowed)", r -> reply, false, request);
        }
        if (!request.path().endsWith("/") && ("GET".equals(request.method()) || "HEAD".equals(request.method()))
                && routes.stream().anyMatch(r -> r.pattern.matcher(request.path() + "/").matches())) {
            // Django's APPEND_SLASH: a GET without the trailing slash is redirected to it.
            Reply reply = new Reply(301, new byte[0], java.util.Map.of("Location", request.path() + "/"), 0);
            return new Match(request.method() + " (append slash)", r -> reply, false, request);
        }
        Reply reply = Reply.error(404, "client_error", "not_found", "Not found.", null, 0);
        return new Match(request.method() + " (not found)", r -> reply, false, request);
    }
}
