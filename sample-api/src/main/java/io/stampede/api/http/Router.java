package io.stampede.api.http;

import io.stampede.common.http.Routes;
import java.util.Map;

/**
 * The Market API's routes on the shared route table: templates use {@code {name}} for a numeric
 * path segment, every match carries its template so stats are counted per route, not per URL,
 * and what matches nothing is answered as Django REST framework would (405 with {@code Allow},
 * APPEND_SLASH's redirect, 404), in its error shape.
 */
public final class Router {
    /** A matched route: its stats key ({@code GET /api/v1/products/{id}/}) and what to run. */
    public record Match(String key, Endpoint endpoint, boolean cpuBound, ApiRequest request) {}

    private record Route(Endpoint endpoint, boolean cpuBound) {}

    /** Django's {@code <int:id>}: digits only, and HEAD is not GET (DRF answers it 405 here). */
    private final Routes<Route> routes = new Routes<>("[0-9]{1,18}", false);

    public Router add(String method, String template, Endpoint endpoint) {
        return add(method, template, endpoint, false);
    }

    /** A cpu-bound endpoint runs off the event loop (password hashing). */
    public Router add(String method, String template, Endpoint endpoint, boolean cpuBound) {
        routes.add(method, template, new Route(endpoint, cpuBound));
        return this;
    }

    public Match match(ApiRequest request) {
        Routes.Match<Route> m = routes.match(request.method(), request.path());
        if (m.found()) {
            return new Match(request.method() + " " + m.template(), m.handler().endpoint(), m.handler().cpuBound(),
                    request.withPathParams(m.params()));
        }
        if (m.wrongMethod()) {
            Reply reply = Reply.error(405, "client_error", "method_not_allowed",
                    "Method \"" + request.method() + "\" not allowed.", null, 0).withHeader("Allow", m.allowHeader());
            return new Match(request.method() + " (method not allowed)", r -> reply, false, request);
        }
        if (!request.path().endsWith("/") && ("GET".equals(request.method()) || "HEAD".equals(request.method()))
                && routes.matchesAnyMethod(request.path() + "/")) {
            // Django's APPEND_SLASH: a GET without the trailing slash is redirected to it.
            Reply reply = new Reply(301, new byte[0], Map.of("Location", request.path() + "/"), 0);
            return new Match(request.method() + " (append slash)", r -> reply, false, request);
        }
        Reply reply = Reply.error(404, "client_error", "not_found", "Not found.", null, 0);
        return new Match(request.method() + " (not found)", r -> reply, false, request);
    }
}
