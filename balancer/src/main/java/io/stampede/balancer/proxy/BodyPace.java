package io.stampede.balancer.proxy;

import io.netty.util.concurrent.EventExecutor;
import io.stampede.balancer.config.ClientSettings;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * How fast a client sends its request body: nginx's {@code client_body_timeout} between two
 * pieces, and ours, {@code client_body_min_rate}: a body that has taken longer than the grace
 * period must average the rate, so a client trickling a byte every few seconds is cut off instead
 * of holding the connection for minutes. Either way {@code tooSlow} runs (the connection answers
 * 408). Runs on the connection's event loop.
 */
final class BodyPace {
    private final EventExecutor loop;
    private final ClientSettings limits;
    private final Runnable tooSlow;
    private ScheduledFuture<?> timer;
    private long startNanos;
    private long bytes;

    BodyPace(EventExecutor loop, ClientSettings limits, Runnable tooSlow) {
        this.loop = loop;
        this.limits = limits;
        this.tooSlow = tooSlow;
    }

    /** A body begins: the gap timer runs and the rate is counted from now. */
    void start() {
        startNanos = System.nanoTime();
        bytes = 0;
        arm();
    }

    /** A piece of {@code n} bytes arrived: false (and {@code tooSlow} already run) when the body is too slow. */
    boolean progress(int n) {
        bytes += n;
        long minRate = limits.bodyMinRate();
        long elapsed = System.nanoTime() - startNanos;
        if (minRate > 0 && elapsed > limits.bodyRateGrace().toNanos() && bytes * 1_000_000_000L / elapsed < minRate) {
            stop();
            tooSlow.run();
            return false;
        }
        arm();
        return true;
    }

    /**
     * A streamed body: the proxy reads the client again, so the gap timer runs until the next
     * piece (it is stopped while the proxy itself waits on the upstream).
     */
    void resume() {
        arm();
    }

    void stop() {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }

    private void arm() {
        stop();
        timer = loop.schedule(() -> {
            timer = null;
            tooSlow.run();
        }, limits.bodyTimeout().toMillis(), TimeUnit.MILLISECONDS);
    }
}
