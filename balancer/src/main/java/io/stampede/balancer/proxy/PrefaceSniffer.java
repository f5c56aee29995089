package io.stampede.balancer.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http2.Http2CodecUtil;

/**
 * On a cleartext listener that offers HTTP/2, tells an HTTP/2 client (prior knowledge: its first
 * bytes are the connection preface) from an HTTP/1.x one, and sets the connection up for it, as
 * nginx does on a plain port with {@code http2 on}. It reads only as far as the first byte that
 * differs from the preface, so an HTTP/1.x request is held back by at most that.
 *
 * <p>Buffer ownership: the bytes read so far ({@code seen}) are this handler's until they are
 * passed on, whole, to whichever protocol it chose, or released if the connection closes first.
 */
final class PrefaceSniffer extends ChannelInboundHandlerAdapter {
    private static final ByteBuf PREFACE = Http2CodecUtil.connectionPrefaceBuf();
    private final Runnable toHttp2;
    private ByteBuf seen;

    /** @param toHttp2 sets the pipeline up for HTTP/2 (the HTTP/1.x handlers are there already) */
    PrefaceSniffer(Runnable toHttp2) {
        this.toHttp2 = toHttp2;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof ByteBuf in)) {
            ctx.fireChannelRead(msg);
            return;
        }
        if (seen == null) {
            seen = in;
        } else {
            seen = ctx.alloc().compositeBuffer(2).addComponents(true, seen, in);
        }
        int n = Math.min(seen.readableBytes(), PREFACE.readableBytes());
        if (!ByteBufUtil.equals(seen, seen.readerIndex(), PREFACE, 0, n)) {
            passOn(ctx);
        } else if (n == PREFACE.readableBytes()) {
            toHttp2.run();
            passOn(ctx);
        } else {
            ctx.read(); // a prefix of the preface: the rest decides
        }
    }

    private void passOn(ChannelHandlerContext ctx) {
        ByteBuf bytes = seen;
        seen = null;
        ctx.pipeline().remove(this);
        ctx.fireChannelRead(bytes);
        ctx.fireChannelReadComplete();
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (seen == null) {
            ctx.fireChannelReadComplete();
        }
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        if (seen != null) {
            seen.release();
            seen = null;
        }
    }
}
