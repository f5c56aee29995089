package io.stampede.loadgen.metrics;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.stampede.common.http.HttpService;
import io.stampede.common.http.Replies;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;

/**
 * {@code --metrics-port}: {@code GET /metrics} alone, on an event loop of its own, for Prometheus
 * to scrape a headless swarm (a CI job, a Kubernetes pod). It only reads, so unlike the web UI
 * it answers whatever name it is reached by: a scraper in another pod uses the pod's name.
 */
public final class MetricsServer implements AutoCloseable {
    /** Prometheus's text format. */
    public static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

    private final HttpService service;

    private MetricsServer(HttpService service) {
        this.service = service;
    }

    public static MetricsServer start(InetSocketAddress address, SwarmMetrics metrics) throws InterruptedException {
        Handler handler = new Handler(metrics);
        return new MetricsServer(HttpService.start("swarm-metrics", address, 8192, 16 << 20, () -> handler));
    }

    public InetSocketAddress address() {
        return service.address();
    }

    @Override
    public void close() {
        service.close();
    }

    @ChannelHandler.Sharable
    private static final class Handler extends SimpleChannelInboundHandler<FullHttpRequest> {
        private final SwarmMetrics metrics;

        Handler(SwarmMetrics metrics) {
            this.metrics = metrics;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
            String path = new QueryStringDecoder(req.uri()).path();
            boolean read = req.method().equals(HttpMethod.GET) || req.method().equals(HttpMethod.HEAD);
            if (!path.equals("/metrics")) {
                Replies.send(ctx, req, Replies.text(HttpResponseStatus.NOT_FOUND, "not found: " + path + " (try /metrics)\n"));
            } else if (!read) {
                var res = Replies.text(HttpResponseStatus.METHOD_NOT_ALLOWED, "only GET here\n");
                res.headers().set(HttpHeaderNames.ALLOW, "GET, HEAD");
                Replies.send(ctx, req, res);
            } else {
                Replies.send(ctx, req, Replies.bytes(HttpResponseStatus.OK, CONTENT_TYPE, metrics.scrape().getBytes(StandardCharsets.UTF_8)));
            }
        }
    }
}
