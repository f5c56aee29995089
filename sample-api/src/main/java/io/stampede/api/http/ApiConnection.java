package io.stampede.api.http;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.util.ReferenceCountUtil;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;

/**
 * One client connection, handled like a gunicorn sync worker handles one: one request at a time,
 * answered in order. Requests pipelined behind it wait in {@code pending}; the socket is read
 * again only once the last reply is written (AUTO_READ is off), so a slow API slows its clients
 * instead of filling the heap. Everything here runs on the channel's event loop.
 */
public final class ApiConnection extends ChannelInboundHandlerAdapter {
    /** A request waiting its turn; {@code refusal} is set when it was malformed and is answered as is. */
    private record Pending(ApiRequest request, Reply refusal, HttpVersion version, boolean keepAlive) {}

    private final Dispatcher dispatcher;
    private final ArrayDeque<Pending> pending = new ArrayDeque<>();
    private final BooleanSupplier stopping;
    private ChannelHandlerContext ctx;
    private boolean busy;

    public ApiConnection(Dispatcher dispatcher) {
        this(dispatcher, () -> false);
    }

    /** @param stopping true once the server drains: requests already read are answered, then the connection closes */
    public ApiConnection(Dispatcher dispatcher, BooleanSupplier stopping) {
        this.dispatcher = dispatcher;
        this.stopping = stopping;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    /**
     * Graceful stop, on the connection's event loop: an idle connection closes now; a busy one
     * finishes the requests it has read (their replies say {@code Connection: close}) and closes.
     */
    public void drain() {
        if (!busy && pending.isEmpty()) {
            ctx.close();
        }
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        ctx.read();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof FullHttpRequest request)) {
            ReferenceCountUtil.release(msg);
            return;
        }
        try {
            Upgrade upgrade = request.decoderResult().isSuccess() && Upgrade.isWebSocket(request) && !busy && pending.isEmpty()
                    ? dispatcher.upgrade(new QueryStringDecoder(request.uri()).path()) : null;
            if (upgrade != null) {
                Reply refusal = upgrade.accept(ctx, request);
                if (refusal == null) {
                    return; // the connection is the upgrade's now
                }
                pending.addLast(new Pending(null, refusal, request.protocolVersion(), false));
            } else if (request.decoderResult().isFailure()) {
                Reply bad = Reply.error(400, "client_error", "bad_request", "Malformed HTTP request.", null, 0);
                pending.addLast(new Pending(null, bad, request.protocolVersion(), false));
            } else {
                pending.addLast(new Pending(toApiRequest(ctx, request), null, request.protocolVersion(),
                        HttpUtil.isKeepAlive(request)));
            }
        } finally {
            request.release();
        }
        next(ctx);
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (!busy && pending.isEmpty()) {
            ctx.read();
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close();
    }

    private void next(ChannelHandlerContext ctx) {
        if (busy || pending.isEmpty()) {
            return;
        }
        busy = true;
        Pending p = pending.pollFirst();
        if (p.refusal != null) {
            write(ctx, p.refusal, p.version, false);
            return;
        }
        dispatcher.dispatch(p.request, ctx.channel(), reply -> {
            busy = false;
            write(ctx, reply, p.version, p.keepAlive && !(stopping.getAsBoolean() && pending.isEmpty()));
        });
    }

    private void write(ChannelHandlerContext ctx, Reply reply, HttpVersion version, boolean keepAlive) {
        FullHttpResponse response = new DefaultFullHttpResponse(version, HttpResponseStatus.valueOf(reply.status()),
                Unpooled.wrappedBuffer(reply.body()));
        HttpHeaders h = response.headers();
        if (reply.body().length > 0) {
            h.set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON);
        }
        h.setInt(HttpHeaderNames.CONTENT_LENGTH, reply.body().length);
        h.set("X-Served-By", dispatcher.name());
        for (Map.Entry<String, String> e : reply.headers().entrySet()) {
            h.set(e.getKey(), e.getValue());
        }
        if (!keepAlive) {
            h.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        } else if (version.equals(HttpVersion.HTTP_1_0)) {
            h.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
        }
        ctx.writeAndFlush(response).addListener((ChannelFutureListener) f -> {
            if (!f.isSuccess() || !keepAlive) {
                f.channel().close();
            } else if (!pending.isEmpty()) {
                next(ctx);
            } else if (stopping.getAsBoolean()) {
                f.channel().close();
            } else {
                ctx.read();
            }
        });
    }

    private static ApiRequest toApiRequest(ChannelHandlerContext ctx, FullHttpRequest request) {
        QueryStringDecoder uri = new QueryStringDecoder(request.uri());
        byte[] body = new byte[request.content().readableBytes()];
        request.content().getBytes(request.content().readerIndex(), body);
        Map<String, List<String>> query = uri.parameters();
        HttpHeaders h = request.headers();
        boolean forwarded = h.contains("X-Forwarded-For") || h.contains("X-Real-IP") || h.contains("Forwarded");
        return new ApiRequest(request.method().name(), uri.path(), query,
                h.get(HttpHeaderNames.AUTHORIZATION), h.get(HttpHeaderNames.HOST),
                body, (InetSocketAddress) ctx.channel().remoteAddress(), forwarded, List.of());
    }
}
