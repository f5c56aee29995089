package io.stampede.api.live;

import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import io.stampede.api.auth.JwtTokens;
import io.stampede.api.catalog.Catalog;
import io.stampede.api.http.Reply;
import io.stampede.api.http.Upgrade;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@code GET /api/v1/live}: live product prices over WebSocket, for authenticated users (the access
 * token in {@code Authorization: Bearer}, or {@code ?access_token=} as browsers must). A client
 * subscribes to products and gets their prices pushed every {@code interval}; it may ping to
 * measure a round trip. Each message is JSON (see {@link LiveSession}).
 */
public final class LiveFeed implements Upgrade {
    public static final String PATH = "/api/v1/live";

    private final String instance;
    private final JwtTokens tokens;
    private final Catalog catalog;
    private final Duration interval;
    private final AtomicInteger open = new AtomicInteger();

    public LiveFeed(String instance, JwtTokens tokens, Catalog catalog, Duration interval) {
        this.instance = instance;
        this.tokens = tokens;
        this.catalog = catalog;
        this.interval = interval;
    }

    /** WebSocket sessions open now (for the admin stats). */
    public int open() {
        return open.get();
    }

    /**
     * Takes a WebSocket handshake on {@link #PATH}: with a valid token the connection becomes a live
     * session (the HTTP handler {@code ctx} leaves the pipeline); without one the refusal is returned.
     *
     * @return null when switched; otherwise the answer to send
     */
    @Override
    public Reply accept(ChannelHandlerContext ctx, FullHttpRequest request) {
        String token = null;
        String auth = request.headers().get(HttpHeaderNames.AUTHORIZATION);
        if (auth != null && auth.regionMatches(true, 0, "Bearer ", 0, 7)) {
            token = auth.substring(7).trim();
        } else {
            List<String> q = new QueryStringDecoder(request.uri()).parameters().get("access_token");
            token = q == null || q.isEmpty() ? null : q.get(0);
        }
        if (token == null) {
            return Reply.error(401, "client_error", "not_authenticated", "Authentication credentials were not provided.", null, 0);
        }
        var user = tokens.verifyAccess(token);
        if (user.isEmpty()) {
            return Reply.error(401, "client_error", "token_not_valid", "Given token not valid for any token type", null, 0);
        }
        WebSocketServerProtocolHandler handshake = new WebSocketServerProtocolHandler(WebSocketServerProtocolConfig.newBuilder()
                .websocketPath(PATH).checkStartsWith(true).maxFramePayloadLength(64 * 1024).build());
        ctx.pipeline().addAfter(ctx.name(), "live-handshake", handshake);
        ctx.pipeline().addAfter("live-handshake", "live", new LiveSession(instance, user.get(), catalog, interval, open));
        ctx.fireChannelRead(request.retain());
        ctx.pipeline().remove(ctx.handler());
        // A session reads as frames come (they are small); its pushes skip a beat when the client is slow.
        ctx.channel().config().setAutoRead(true);
        return null;
    }
}
