package io.stampede.common;

import io.netty.channel.Channel;
import io.netty.channel.group.ChannelGroup;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The wait of a graceful stop (nginx's "graceful shutdown"): ask every open connection to finish,
 * on its own event loop, until none is left or the grace period is over. The request is repeated
 * on each pass, since a connection accepted just before the listener closed may register with its
 * loop only after the first one.
 */
public final class Drain {
    private Drain() {}

    /**
     * @param finish called on each channel's event loop: close now if idle, else after the work in hand
     * @return true when every connection finished within {@code grace}
     */
    public static boolean await(ChannelGroup channels, Consumer<Channel> finish, Duration grace) {
        long deadline = System.nanoTime() + grace.toNanos();
        while (!channels.isEmpty()) {
            for (Channel ch : channels) {
                ch.eventLoop().execute(() -> finish.accept(ch));
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            try {
                Thread.sleep(Math.min(20, Math.max(1, TimeUnit.NANOSECONDS.toMillis(left))));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return true;
    }
}
