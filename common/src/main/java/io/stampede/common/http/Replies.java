package io.stampede.common.http;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;

/**
 * Whole replies of the small local HTTP endpoints (the proxy's admin listener, the swarm's web UI):
 * built with their length, sent with the request's keep-alive, and without a body on HEAD (the
 * head still says how long the body would be).
 */
public final class Replies {
    private Replies() {}

    public static FullHttpResponse json(HttpResponseStatus status, String body) {
        return bytes(status, "application/json", body.getBytes(StandardCharsets.UTF_8));
    }

    public static FullHttpResponse json(HttpResponseStatus status, byte[] body) {
        return bytes(status, "application/json", body);
    }

    public static FullHttpResponse text(HttpResponseStatus status, String body) {
        return bytes(status, "text/plain; charset=utf-8", body.getBytes(StandardCharsets.UTF_8));
    }

    public static FullHttpResponse bytes(HttpResponseStatus status, String type, byte[] body) {
        FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, Unpooled.wrappedBuffer(body));
        res.headers().set(HttpHeaderNames.CONTENT_TYPE, type).setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
        return res;
    }

    /** Answers {@code req} with {@code res}: HEAD gets the head only; the connection stays open if the request allows it. */
    public static void send(ChannelHandlerContext ctx, FullHttpRequest req, FullHttpResponse res) {
        if (req.method().equals(HttpMethod.HEAD)) {
            res.content().clear();
        }
        send(ctx, HttpUtil.isKeepAlive(req), res);
    }

    /** Sends {@code res}, closing after it unless {@code keepAlive}. */
    public static void send(ChannelHandlerContext ctx, boolean keepAlive, FullHttpResponse res) {
        HttpUtil.setKeepAlive(res, keepAlive);
        ctx.writeAndFlush(res).addListener(keepAlive ? ChannelFutureListener.CLOSE_ON_FAILURE : ChannelFutureListener.CLOSE);
    }
}
