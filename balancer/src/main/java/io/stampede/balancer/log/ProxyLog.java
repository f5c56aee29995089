package io.stampede.balancer.log;

import java.io.IOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The proxy's error log. Repeated events are summarised instead of logged per request: "no live
 * upstreams", upstream errors, client errors and connection exceptions print at most once per
 * 10 seconds per kind (and upstream), with a count of what was held back, so an outage or an
 * abusive client does not flood the log, and nothing is swallowed either.
 */
public final class ProxyLog {
    private static final Logger LOG = LoggerFactory.getLogger("stampede.proxy");
    private static final long WINDOW_NANOS = 10_000_000_000L;

    private record Window(AtomicLong since, AtomicLong suppressed) {}

    private final Map<String, Window> windows = new ConcurrentHashMap<>();

    public void noLiveUpstreams(String upstream) {
        limited("no live upstreams|" + upstream, "no live upstreams while connecting to upstream \"" + upstream + "\"");
    }

    public void upstreamError(String why, String peer) {
        // One window per server and kind of error (the message's first words), so a flood of one
        // kind does not hide the first of another.
        limited("error|" + peer + "|" + why.substring(0, Math.min(why.length(), 24)),
                peer.isEmpty() ? why : why + ", upstream: " + peer);
    }

    /** Something the client did wrong (timed out, sent garbage): the server is not to blame. */
    public void clientError(String why, String client) {
        limited("client|" + why, client == null ? why : why + ", client: " + client);
    }

    /** A client's doing that nginx logs at info level only (a failed TLS handshake: scanners, old clients). */
    public void clientInfo(String why, String client) {
        limited("client-info|" + why.substring(0, Math.min(why.length(), 40)), why + ", client: " + client, false);
    }

    /**
     * An exception that closed a connection. I/O errors (resets, broken pipes) are ordinary on the
     * internet and are logged by kind; anything else (out of direct memory, a bug) names its class.
     */
    public void connectionError(String where, Throwable cause) {
        boolean io = cause instanceof IOException;
        String kind = io ? "I/O error" : cause.getClass().getName();
        // A reset or broken pipe is the peer's doing, logged at info as nginx does; anything else is ours.
        limited("exception|" + kind, "connection closed after " + kind + " on " + where + ": " + cause.getMessage(), !io);
    }

    /**
     * limit_req's lines, at the level {@code limit_req_log_level} names (rejections at it, delays
     * one level lower, as nginx logs them), one window per zone and kind.
     */
    public void limitReq(String zone, boolean rejected, String message, String level) {
        String at = rejected ? level : switch (level) {
            case "error" -> "warn";
            case "warn" -> "notice";
            default -> "info";
        };
        long now = System.nanoTime();
        Window w = windows.computeIfAbsent("limit_req|" + zone + "|" + rejected,
                k -> new Window(new AtomicLong(now - WINDOW_NANOS), new AtomicLong()));
        long since = w.since.get();
        if (now - since >= WINDOW_NANOS && w.since.compareAndSet(since, now)) {
            long held = w.suppressed.getAndSet(0);
            String line = held > 0 ? message + " (and " + held + " more like it in the last 10s)" : message;
            switch (at) {
                case "error" -> LOG.error(line);
                case "warn" -> LOG.warn(line);
                default -> LOG.info(line);
            }
        } else {
            w.suppressed.incrementAndGet();
        }
    }

    public void warn(String message) {
        LOG.warn(message);
    }

    private void limited(String key, String message) {
        limited(key, message, true);
    }

    private void limited(String key, String message, boolean error) {
        long now = System.nanoTime();
        Window w = windows.computeIfAbsent(key, k -> new Window(new AtomicLong(now - WINDOW_NANOS), new AtomicLong()));
        long since = w.since.get();
        if (now - since >= WINDOW_NANOS && w.since.compareAndSet(since, now)) {
            long held = w.suppressed.getAndSet(0);
            String line = held > 0 ? message + " (and " + held + " more like it in the last 10s)" : message;
            if (error) {
                LOG.error(line);
            } else {
                LOG.info(line);
            }
        } else {
            w.suppressed.incrementAndGet();
        }
    }
}
