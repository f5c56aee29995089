package io.stampede.balancer.admin;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.stampede.balancer.upstream.PeerGroup;
import io.stampede.common.http.HttpService;
import io.stampede.common.http.Replies;
import io.stampede.common.http.Routes;
import io.stampede.common.web.LocalPageGuard;
import io.stampede.common.wire.ProxyStatus;
import io.stampede.common.wire.ProxyStatus.HealthChecks;
import io.stampede.common.wire.ProxyStatus.PeerStatus;
import io.stampede.common.wire.ProxyStatus.Responses;
import io.stampede.common.wire.ProxyStatus.UpstreamStatus;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The admin listener: {@code GET /status} answers JSON with every upstream's peers and their
 * balancing state, read under each upstream's lock so a snapshot is consistent, and
 * {@code GET /metrics} Prometheus's text. It runs on a thread of its own, not on the proxy's event
 * loops, so a scrape of a large configuration never delays a proxied request. Requests whose Host
 * names another machine (DNS rebinding) are refused, and so are cross-site requests to anything
 * that changes state.
 *
 * <p>nginx Plus's API for an upstream's servers, when an {@link UpstreamEditor} is given:
 * {@code GET|POST /api/N/http/upstreams/NAME/servers} and
 * {@code GET|PATCH|DELETE /api/N/http/upstreams/NAME/servers/ID}, N from 1 to 9.
 */
public final class AdminServer {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Supplier<Map<String, PeerGroup>> groups;
    private HttpService service;
    private final LocalPageGuard guard = new LocalPageGuard("the admin listener", "127.0.0.1");

    private final ProxyMetrics metrics;
    private final UpstreamEditor editor;
    private final Routes<Page> routes;

    /** One page: the request and the values of its path's variables. */
    @FunctionalInterface
    private interface Page {
        FullHttpResponse answer(FullHttpRequest req, List<String> params) throws Exception;
    }

    /** @param metrics served at {@code GET /metrics}; null for none */
    public AdminServer(Supplier<Map<String, PeerGroup>> groups, ProxyMetrics metrics) {
        this(groups, metrics, null);
    }

    /** @param editor nginx Plus's upstream API; null for none */
    public AdminServer(Supplier<Map<String, PeerGroup>> groups, ProxyMetrics metrics, UpstreamEditor editor) {
        this.groups = groups;
        this.metrics = metrics;
        this.editor = editor;
        this.routes = routes();
    }

    public InetSocketAddress start(InetSocketAddress address) throws InterruptedException {
        guard.boundTo(address.getHostString());
        service = HttpService.start("proxy-admin", address, 64 * 1024, 64 << 20, Handler::new);
        return service.address();
    }

    public void stop() {
        if (service != null) {
            service.close();
        }
    }

    /** The status document: per upstream, per peer, from one snapshot of each upstream. */
    ProxyStatus status() {
        Map<String, UpstreamStatus> upstreams = new LinkedHashMap<>();
        groups.get().forEach((name, group) -> {
            List<PeerStatus> peers = group.snapshot().stream().map(AdminServer::peer).toList();
            upstreams.put(name, new UpstreamStatus(peers, group.retries(), group.queueing() ? group.queueCounters() : null));
        });
        return new ProxyStatus(ProxyStatus.VERSION, upstreams);
    }

    private static PeerStatus peer(PeerGroup.PeerSnapshot p) {
        return new PeerStatus(p.name(), p.server(), p.backup(), p.state(), p.conns(), p.requests(),
                Responses.of(p.responses()), p.failedAttempts(), p.unavailCount(), p.fails(),
                new HealthChecks(p.checks(), p.checkFails(), p.unhealthyCount(),
                        p.lastPassedMillis() == 0 ? null : Instant.ofEpochMilli(p.lastPassedMillis()).toString()),
                p.downtimeMs(), p.selectedAt() == 0 ? null : Instant.ofEpochSecond(p.selectedAt()).toString(),
                p.headerTimeMs(), p.weight(), p.effectiveWeight());
    }

    /** The admin pages: {@code /status}, {@code /metrics}, and the upstream API. */
    private Routes<Page> routes() {
        Routes<Page> r = new Routes<Page>()
                .add("GET", "/status", (req, p) -> Replies.json(HttpResponseStatus.OK, status().toJson()));
        if (metrics != null) {
            r.add("GET", "/metrics", (req, p) -> Replies.bytes(HttpResponseStatus.OK, "text/plain; version=0.0.4; charset=utf-8",
                    metrics.scrape().getBytes(StandardCharsets.UTF_8)));
        }
        if (editor != null) {
            String servers = "/api/{version}/http/upstreams/{upstream}/servers";
            r.add("GET", servers, (req, p) -> api(p, () -> editor.servers(p.get(1))))
                    .add("POST", servers, (req, p) -> api(p, () -> editor.add(p.get(1), body(req))))
                    .add("GET", servers + "/{id}", (req, p) -> api(p, () -> editor.server(p.get(1), id(p.get(2)))))
                    .add("PATCH", servers + "/{id}", (req, p) -> api(p, () -> editor.change(p.get(1), id(p.get(2)), body(req))))
                    .add("DELETE", servers + "/{id}", (req, p) -> api(p, () -> editor.remove(p.get(1), id(p.get(2)))));
        }
        return r;
    }

    /** One API call: its version checked (nginx Plus's 1 to 9), its answer written as JSON. */
    private static FullHttpResponse api(List<String> params, Supplier<UpstreamEditor.Answer> call) throws Exception {
        UpstreamEditor.Answer a;
        if (!params.get(0).matches("[1-9]")) {
            a = new UpstreamEditor.Answer(404, Map.of("error", Map.of("status", 404, "text", "unknown version",
                    "code", "UnknownVersion")));
        } else {
            try {
                a = call.get();
            } catch (BadRequest e) {
                a = new UpstreamEditor.Answer(400, Map.of("error", Map.of("status", 400, "text", e.getMessage(),
                        "code", e.code)));
            }
        }
        return Replies.json(HttpResponseStatus.valueOf(a.status()), JSON.writeValueAsBytes(a.body()));
    }

    private static final class BadRequest extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final String code;

        BadRequest(String message, String code) {
            super(message);
            this.code = code;
        }
    }

    private static int id(String text) {
        try {
            return Integer.parseInt(text);
        } catch (NumberFormatException e) {
            throw new BadRequest("server id '" + text + "' is not a number", "UpstreamBadServerId");
        }
    }

    private static com.fasterxml.jackson.databind.JsonNode body(FullHttpRequest req) {
        try {
            return JSON.readTree(req.content().toString(StandardCharsets.UTF_8));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new BadRequest("the body is not JSON: " + e.getOriginalMessage(), "JsonError");
        }
    }

    private final class Handler extends SimpleChannelInboundHandler<FullHttpRequest> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) throws Exception {
            String path = new QueryStringDecoder(req.uri()).path();
            boolean read = req.method().equals(HttpMethod.GET) || req.method().equals(HttpMethod.HEAD);
            String refusal = guard.refusal(req.headers(), !read);
            Routes.Match<Page> page = routes.match(req.method().name(), path);
            FullHttpResponse r;
            if (refusal != null) {
                r = Replies.json(HttpResponseStatus.FORBIDDEN, JSON.writeValueAsBytes(Map.of("error", refusal)));
            } else if (page.found()) {
                r = page.handler().answer(req, page.params());
            } else if (page.wrongMethod()) {
                r = Replies.json(HttpResponseStatus.METHOD_NOT_ALLOWED, JSON.writeValueAsBytes(
                        Map.of("error", req.method() + " " + path + ": only " + page.allowHeader() + " here")));
                r.headers().set(HttpHeaderNames.ALLOW, page.allowHeader());
            } else {
                r = Replies.json(HttpResponseStatus.NOT_FOUND, "{\"error\":\"not found; try GET /status or GET /metrics\"}");
            }
            Replies.send(ctx, req, r);
        }
    }
}
