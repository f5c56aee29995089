package io.stampede.api.live;

import com.fasterxml.jackson.databind.JsonNode;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import io.stampede.api.catalog.Catalog;
import io.stampede.api.catalog.Product;
import io.stampede.api.http.Json;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One live session, on its connection's event loop. Messages from the client:
 * {@code {"op":"subscribe","products":[1,2]}} (optionally {@code "interval_ms"}; answered {@code {"type":"subscribed",...}}, then a
 * {@code {"type":"price","product":1,"price":"12.34","seq":N}} per product every interval, each
 * price a small random walk from the catalog's), {@code {"op":"unsubscribe"}}, and
 * {@code {"op":"ping","id":X}} (answered {@code {"type":"pong","id":X}}). Every answer names the
 * instance ({@code served_by}), so a balancer's spread of sessions shows.
 */
final class LiveSession extends SimpleChannelInboundHandler<TextWebSocketFrame> {
    private final String instance;
    private final long user;
    private final Catalog catalog;
    private final Duration interval;
    private final AtomicInteger open;
    private final Map<Long, BigDecimal> prices = new LinkedHashMap<>();
    private ScheduledFuture<?> ticker;
    private long seq;
    private boolean counted;

    LiveSession(String instance, long user, Catalog catalog, Duration interval, AtomicInteger open) {
        this.instance = instance;
        this.user = user;
        this.catalog = catalog;
        this.interval = interval;
        this.open = open;
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof WebSocketServerProtocolHandler.HandshakeComplete) {
            counted = true;
            open.incrementAndGet();
            send(ctx, Map.of("type", "welcome", "user", user, "served_by", instance));
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, TextWebSocketFrame frame) {
        JsonNode msg = Json.objectOrNull(frame.text().getBytes(java.nio.charset.StandardCharsets.UTF_8));
        String op = msg == null || !msg.hasNonNull("op") ? "" : msg.get("op").asText();
        switch (op) {
            case "subscribe" -> subscribe(ctx, msg.get("products"), msg.path("interval_ms").asLong(interval.toMillis()));
            case "unsubscribe" -> {
                prices.clear();
                stopTicker();
                send(ctx, Map.of("type", "unsubscribed", "served_by", instance));
            }
            case "ping" -> {
                Map<String, Object> pong = new LinkedHashMap<>();
                pong.put("type", "pong");
                pong.put("id", msg.has("id") ? msg.get("id") : null);
                pong.put("served_by", instance);
                send(ctx, pong);
            }
            default -> send(ctx, Map.of("type", "error", "message",
                    "expected {\"op\": \"subscribe\", \"products\": [ids]}, {\"op\": \"unsubscribe\"} or {\"op\": \"ping\"}"));
        }
    }

    /** @param everyMillis the pushes' interval the client asked for, kept within 50 ms and a minute */
    private void subscribe(ChannelHandlerContext ctx, JsonNode ids, long everyMillis) {
        List<Long> unknown = new ArrayList<>();
        if (ids != null && ids.isArray()) {
            for (JsonNode id : ids) {
                Product p = catalog.product(id.asLong()).orElse(null);
                if (p == null) {
                    unknown.add(id.asLong());
                } else {
                    prices.putIfAbsent(p.id(), new BigDecimal(p.price()));
                }
            }
        }
        Map<String, Object> ok = new LinkedHashMap<>();
        ok.put("type", "subscribed");
        ok.put("products", List.copyOf(prices.keySet()));
        ok.put("unknown", unknown);
        ok.put("served_by", instance);
        send(ctx, ok);
        if (ticker == null && !prices.isEmpty()) {
            long nanos = TimeUnit.MILLISECONDS.toNanos(Math.max(50, Math.min(60_000, everyMillis)));
            ticker = ctx.executor().scheduleAtFixedRate(() -> tick(ctx), nanos, nanos, TimeUnit.NANOSECONDS);
        }
    }

    private void tick(ChannelHandlerContext ctx) {
        if (!ctx.channel().isWritable()) {
            return; // a slow reader misses a beat instead of piling up frames
        }
        java.util.concurrent.ThreadLocalRandom r = java.util.concurrent.ThreadLocalRandom.current();
        for (Map.Entry<Long, BigDecimal> e : prices.entrySet()) {
            BigDecimal moved = e.getValue().multiply(BigDecimal.valueOf(1 + (r.nextDouble() - 0.5) / 100))
                    .setScale(2, RoundingMode.HALF_UP).max(new BigDecimal("0.01"));
            e.setValue(moved);
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("type", "price");
            m.put("product", e.getKey());
            m.put("price", moved.toPlainString());
            m.put("seq", ++seq);
            m.put("served_by", instance);
            ctx.write(new TextWebSocketFrame(new String(Json.bytes(m), java.nio.charset.StandardCharsets.UTF_8)));
        }
        ctx.flush();
    }

    private void send(ChannelHandlerContext ctx, Map<String, Object> message) {
        ctx.writeAndFlush(new TextWebSocketFrame(new String(Json.bytes(message), java.nio.charset.StandardCharsets.UTF_8)));
    }

    private void stopTicker() {
        if (ticker != null) {
            ticker.cancel(false);
            ticker = null;
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        stopTicker();
        if (counted) {
            counted = false;
            open.decrementAndGet();
        }
        ctx.fireChannelInactive();
    }
}
