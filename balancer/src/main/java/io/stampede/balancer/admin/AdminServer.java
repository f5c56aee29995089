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
 * that changes state, before any such endpoint exists.
 */
public final class AdminServer {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Supplier<Map<String, PeerGroup>> groups;
    private HttpService service;
    private final LocalPageGuard guard = new LocalPageGuard("the admin listener", "127.0.0.1");

    private final ProxyMetrics metrics;
    private final Routes<Supplier<FullHttpResponse>> routes;

    /** @param metrics served at {@code GET /metrics}; null for none */
    public AdminServer(Supplier<Map<String, PeerGroup>> groups, ProxyMetrics metrics) {
        this.groups = groups;
        this.metrics = metrics;
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

    /** The admin pages: read-only, so GET (and HEAD) only. */
    private Routes<Supplier<FullHttpResponse>> routes() {
        Routes<Supplier<FullHttpResponse>> r = new Routes<Supplier<FullHttpResponse>>()
                .add("GET", "/status", () -> Replies.json(HttpResponseStatus.OK, status().toJson()));
        if (metrics != null) {
            r.add("GET", "/metrics", () -> Replies.bytes(HttpResponseStatus.OK, "text/plain; version=0.0.4; charset=utf-8",
                    metrics.scrape().getBytes(StandardCharsets.UTF_8)));
        }
        return r;
    }

    private final class Handler extends SimpleChannelInboundHandler<FullHttpRequest> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) throws Exception {
            String path = new QueryStringDecoder(req.uri()).path();
            boolean read = req.method().equals(HttpMethod.GET) || req.method().equals(HttpMethod.HEAD);
            String refusal = guard.refusal(req.headers(), !read);
            Routes.Match<Supplier<FullHttpResponse>> page = routes.match(req.method().name(), path);
            FullHttpResponse r;
            if (refusal != null) {
                r = Replies.json(HttpResponseStatus.FORBIDDEN, JSON.writeValueAsBytes(Map.of("error", refusal)));
            } else if (page.found()) {
                r = page.handler().get();
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
