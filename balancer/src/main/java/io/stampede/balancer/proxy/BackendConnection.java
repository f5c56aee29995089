package io.stampede.balancer.proxy;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import java.net.InetSocketAddress;
import java.util.concurrent.ScheduledFuture;

/**
 * One connection to an upstream server, living on its client's event loop. While an exchange owns
 * it, everything it reads goes to that exchange; while idle in a {@link BackendPool} it expects
 * nothing, and a close or stray bytes from the server just remove it.
 */
final class BackendConnection extends ChannelInboundHandlerAdapter {
    final Channel channel;
    final InetSocketAddress address;
    final long createdNanos = System.nanoTime();
    int requests;
    /** Whether the last response let the connection be reused (HTTP/1.1, no Connection: close). */
    boolean keepAliveAllowed;
    /** The exchange using it; null while idle. */
    Exchange owner;
    /** Set while idle in a pool, to remove itself when the server closes it. */
    BackendPool.IdleList idleIn;
    ScheduledFuture<?> idleTimer;

    BackendConnection(Channel channel, InetSocketAddress address) {
        this.channel = channel;
        this.address = address;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (owner != null) {
            owner.onUpstream(this, msg);
        } else {
            ReferenceCountUtil.release(msg);
            ctx.close();
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (owner != null) {
            owner.onUpstreamClosed(this);
        } else if (idleIn != null) {
            idleIn.remove(this);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close();
    }
}
