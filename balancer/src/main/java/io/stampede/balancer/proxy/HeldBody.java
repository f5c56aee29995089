package io.stampede.balancer.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.handler.codec.http.DefaultHttpContent;
import java.util.ArrayList;
import java.util.List;

/**
 * The parts of a request body an exchange holds: all of a body small enough to send again on a
 * retry, or what arrived of a streamed one while its connection was still opening. The owner of
 * every part held; {@link #release} gives them all back, once, however the exchange ends.
 */
final class HeldBody {
    private final List<ByteBuf> parts = new ArrayList<>();

    /** Keeps {@code part}, which the caller retained for it. */
    void add(ByteBuf part) {
        parts.add(part);
    }

    /**
     * Writes every part on {@code ch} as request content (duplicates: the parts stay held for a
     * retry), after {@code last}; returns the future of the last write.
     */
    ChannelFuture writeTo(Channel ch, ChannelFuture last) {
        for (ByteBuf part : parts) {
            last = ch.write(new DefaultHttpContent(part.retainedDuplicate()));
        }
        return last;
    }

    boolean isEmpty() {
        return parts.isEmpty();
    }

    void release() {
        parts.forEach(ByteBuf::release);
        parts.clear();
    }
}
