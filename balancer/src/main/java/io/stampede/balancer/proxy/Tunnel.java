package io.stampede.balancer.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import io.stampede.common.LazyDeadline;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;

/**
 * The bytes of a connection a 101 switched to another protocol (WebSocket, or any other), relayed
 * both ways between the client and the server, on the event loop they share. A side is read again
 * only once what was last read from it was written to the other, so a slow reader holds back its
 * writer and nothing piles up in between.
 *
 * <p>It ends, as nginx's upgraded connections do, when either side closes (the other is closed once
 * what it was given is flushed), when no byte moved either way for {@code proxy_read_timeout}, or
 * when a write to the server waits longer than {@code proxy_send_timeout} (to the client:
 * {@code send_timeout}).
 *
 * <p>Buffer ownership: each buffer read from one side is handed to the other side's write, which
 * releases it; a buffer arriving after the end is released here.
 */
final class Tunnel {
    private final Channel client;
    private final Channel upstream;
    private final long upstreamSendNanos;
    private final long clientSendNanos;
    private final long idleNanos;
    private final LazyDeadline idle;
    /**
     * Told once, when the tunnel is over: why it was cut (null for a side's close), and the write
     * after which the client's connection may close (what it was given is on its way).
     */
    private final BiConsumer<String, ChannelFuture> ended;
    private boolean over;
    /** Bytes relayed each way, for the access log and status. */
    long toClient;
    long toUpstream;

    Tunnel(Channel client, Channel upstream, java.time.Duration readTimeout, java.time.Duration upstreamSend,
           java.time.Duration clientSend, BiConsumer<String, ChannelFuture> ended) {
        this.client = client;
        this.upstream = upstream;
        this.idleNanos = readTimeout.toNanos();
        this.upstreamSendNanos = upstreamSend.toNanos();
        this.clientSendNanos = clientSend.toNanos();
        this.ended = ended;
        this.idle = new LazyDeadline(client.eventLoop(), () -> cut("upstream timed out (no data either way for "
                + readTimeout.toMillis() / 1000 + "s on an upgraded connection)"));
    }

    void start() {
        if (over) {
            return; // bytes the client decoder held already failed to go
        }
        idle.arm(idleNanos);
        client.read();
        upstream.read();
    }

    boolean over() {
        return over;
    }

    void fromClient(Object msg) {
        relay(msg, upstream, client, upstreamSendNanos, true);
    }

    void fromUpstream(Object msg) {
        relay(msg, client, upstream, clientSendNanos, false);
    }

    private void relay(Object msg, Channel to, Channel from, long sendNanos, boolean up) {
        if (over || !(msg instanceof ByteBuf buf)) {
            // After the end, or the empty end of the 101's head that the decoder sends after it.
            ReferenceCountUtil.release(msg);
            if (!over) {
                from.read();
            }
            return;
        }
        if (!buf.isReadable()) {
            buf.release();
            from.read();
            return;
        }
        if (up) {
            toUpstream += buf.readableBytes();
        } else {
            toClient += buf.readableBytes();
        }
        idle.arm(idleNanos);
        ChannelFuture written = to.writeAndFlush(buf);
        if (written.isDone()) {
            afterWrite(written, from);
            return;
        }
        ScheduledFuture<?> stall = sendNanos <= 0 ? null : to.eventLoop().schedule(() -> cut(up
                ? "upstream timed out (sending to it on an upgraded connection)"
                : "client timed out (sending to it on an upgraded connection)"), sendNanos, TimeUnit.NANOSECONDS);
        written.addListener(w -> {
            if (stall != null) {
                stall.cancel(false);
            }
            afterWrite(w, from);
        });
    }

    private void afterWrite(Future<?> written, Channel from) {
        if (over) {
            return;
        }
        if (written.isSuccess()) {
            from.read();
        } else {
            cut(null); // the side written to is gone; its close ends the tunnel the same way
        }
    }

    /** A side closed: the other gets what it was already given, then closes too. */
    void closed(boolean byClient) {
        if (over) {
            return;
        }
        over = true;
        idle.cancel();
        if (byClient) {
            // The server gets what it was given, within proxy_send_timeout; then it is closed anyway.
            ChannelFuture flushed = upstream.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
            if (!flushed.isDone()) {
                upstream.eventLoop().schedule(() -> {
                    upstream.close();
                }, Math.max(upstreamSendNanos, 0), TimeUnit.NANOSECONDS);
            }
            ended.accept(null, client.newSucceededFuture());
        } else {
            upstream.close();
            ended.accept(null, client.writeAndFlush(Unpooled.EMPTY_BUFFER));
        }
    }

    /** Ends both sides at once. */
    void cut(String why) {
        if (over) {
            return;
        }
        over = true;
        idle.cancel();
        client.close();
        upstream.close();
        ended.accept(why, client.newSucceededFuture());
    }
}
