package io.stampede.api.http;

import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;

/** A path that switches protocols (WebSocket): it takes the connection over, or refuses. */
public interface Upgrade {
    /**
     * @param ctx the HTTP handler's context, which leaves the pipeline when the switch is made
     * @return null when the connection switched; otherwise the answer to send
     */
    Reply accept(ChannelHandlerContext ctx, FullHttpRequest request);

    static boolean isWebSocket(FullHttpRequest request) {
        return request.headers().containsValue(HttpHeaderNames.UPGRADE, HttpHeaderValues.WEBSOCKET, true)
                && request.headers().containsValue(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE, true);
    }
}
