package io.stampede.balancer.admin;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.stampede.balancer.upstream.PeerGroup;
import io.stampede.common.Transport;
import io.stampede.common.web.LocalPageGuard;
import java.net.InetSocketAddress;
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
    private Channel channel;
    private EventLoopGroup loop;
    private final LocalPageGuard guard = new LocalPageGuard("the admin listener", "127.0.0.1");

    private final ProxyMetrics metrics;

    /** @param metrics served at {@code GET /metrics}; null for none */
    public AdminServer(Supplier<Map<String, PeerGroup>> groups, ProxyMetrics metrics) {
        this.groups = groups;
        this.metrics = metrics;
    }

    public InetSocketAddress start(InetSocketAddress address) throws InterruptedException {
        loop = Transport.newGroup(1, "proxy-admin");
        guard.boundTo(address.getHostString());
        channel = new ServerBootstrap().group(loop).channel(Transport.serverChannel())
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(64 * 1024), new Handler());
                    }
                }).bind(address).sync().channel();
        return (InetSocketAddress) channel.localAddress();
    }

    public void stop() {
        if (channel != null) {
            channel.close().syncUninterruptibly();
        }
        if (loop != null) {
            loop.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    /** The status document: per upstream, per peer. */
    Map<String, Object> status() {
        Map<String, Object> upstreams = new LinkedHashMap<>();
        groups.get().forEach((name, group) -> {
            List<Map<String, Object>> peers = group.snapshot().stream().map(p -> {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("server", p.name());
                m.put("name", p.server());
                m.put("backup", p.backup());
                m.put("state", p.state());
                m.put("active", p.conns());
                m.put("requests", p.requests());
                Map<String, Object> responses = new LinkedHashMap<>();
                long total = 0;
                for (int i = 0; i < 5; i++) {
                    responses.put((i + 1) + "xx", p.responses()[i]);
                    total += p.responses()[i];
                }
                responses.put("total", total);
                m.put("responses", responses);
                m.put("fails", p.failedAttempts());
                m.put("unavail", p.unavailCount());
                m.put("current_fails", p.fails());
                Map<String, Object> checks = new LinkedHashMap<>();
                checks.put("checks", p.checks());
                checks.put("fails", p.checkFails());
                checks.put("unhealthy", p.unhealthyCount());
                checks.put("last_passed", p.lastPassedMillis() == 0 ? null : java.time.Instant.ofEpochMilli(p.lastPassedMillis()).toString());
                m.put("health_checks", checks);
                m.put("downtime", p.downtimeMs());
                m.put("selected", p.selectedAt() == 0 ? null : java.time.Instant.ofEpochSecond(p.selectedAt()).toString());
                m.put("header_time", p.headerTimeMs());
                m.put("weight", p.weight());
                m.put("effective_weight", p.effectiveWeight());
                return m;
            }).toList();
            Map<String, Object> u = new LinkedHashMap<>();
            u.put("peers", peers);
            u.put("retries", group.retries());
            if (group.queueing()) {
                long[] q = group.queueCounters();
                Map<String, Object> queue = new LinkedHashMap<>();
                queue.put("size", q[0]);
                queue.put("max_size", q[1]);
                queue.put("overflows", q[2]);
                u.put("queue", queue);
            }
            upstreams.put(name, u);
        });
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("upstreams", upstreams);
        return out;
    }

    private final class Handler extends SimpleChannelInboundHandler<FullHttpRequest> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) throws Exception {
            String path = new QueryStringDecoder(req.uri()).path();
            FullHttpResponse r;
            boolean read = req.method().equals(HttpMethod.GET) || req.method().equals(HttpMethod.HEAD);
            String refusal = guard.refusal(req.headers(), !read);
            if (refusal != null) {
                r = new DefaultFullHttpResponse(req.protocolVersion(), HttpResponseStatus.FORBIDDEN,
                        Unpooled.wrappedBuffer(JSON.writeValueAsBytes(Map.of("error", refusal))));
                r.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/json");
            } else if (req.method().equals(HttpMethod.GET) && path.equals("/status")) {
                r = new DefaultFullHttpResponse(req.protocolVersion(), HttpResponseStatus.OK,
                        Unpooled.wrappedBuffer(JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(status())));
                r.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/json");
            } else if (req.method().equals(HttpMethod.GET) && path.equals("/metrics") && metrics != null) {
                r = new DefaultFullHttpResponse(req.protocolVersion(), HttpResponseStatus.OK,
                        Unpooled.copiedBuffer(metrics.scrape(), java.nio.charset.StandardCharsets.UTF_8));
                r.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8");
            } else {
                r = new DefaultFullHttpResponse(req.protocolVersion(), HttpResponseStatus.NOT_FOUND,
                        Unpooled.copiedBuffer("{\"error\":\"not found; try GET /status or GET /metrics\"}", java.nio.charset.StandardCharsets.UTF_8));
                r.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/json");
            }
            r.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, r.content().readableBytes());
            boolean keepAlive = HttpUtil.isKeepAlive(req);
            HttpUtil.setKeepAlive(r, keepAlive);
            ctx.writeAndFlush(r).addListener(keepAlive ? ChannelFutureListener.CLOSE_ON_FAILURE : ChannelFutureListener.CLOSE);
        }
    }
}
