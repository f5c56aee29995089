package io.stampede.balancer.health;

import io.netty.channel.EventLoop;
import io.stampede.balancer.config.directive.HealthCheckConfig;
import io.stampede.balancer.tls.UpstreamTls;
import io.stampede.balancer.upstream.Peer;
import io.stampede.balancer.upstream.PeerGroup;
import java.net.InetSocketAddress;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.random.RandomGenerator;

/**
 * One {@code health_check} on one server: a timer on one event loop (no thread of its own), its
 * consecutive passes and failures, and its verdict. The first check fires at a random point of
 * the first interval so a group's checks don't all go out in the same millisecond; each later one
 * after {@code interval} plus a random share of {@code jitter}.
 */
final class PeerCheck {
    private final PeerGroup group;
    private final Peer peer;
    private final HealthCheckConfig check;
    /** TLS to the server, as the location's requests speak it; null for cleartext. */
    private final UpstreamTls tls;
    private final EventLoop loop;
    private final RandomGenerator random;
    private final Consumer<String> log;
    private final InetSocketAddress target;
    private boolean healthy = true;
    private boolean pending;
    private int passes;
    private int fails;
    private volatile boolean stopped;
    private ScheduledFuture<?> next;

    PeerCheck(PeerGroup group, Peer peer, HealthCheckConfig check, UpstreamTls tls, EventLoop loop, RandomGenerator random,
              Consumer<String> log) {
        this(group, peer, check, tls, loop, random, log, null);
    }

    /**
     * @param before the same probe of the same server in the configuration a reload replaced, whose
     *     verdicts this one continues (its contribution to the server's state stays as it is); null
     *     for a fresh check
     */
    PeerCheck(PeerGroup group, Peer peer, HealthCheckConfig check, UpstreamTls tls, EventLoop loop, RandomGenerator random,
              Consumer<String> log, PeerCheck before) {
        this.group = group;
        this.peer = peer;
        this.check = check;
        this.tls = tls;
        this.loop = loop;
        this.random = random;
        this.log = log;
        InetSocketAddress a = peer.address();
        this.target = check.port() == 0 ? a : new InetSocketAddress(a.getAddress(), check.port());
        this.continued = before != null;
        if (before != null) {
            // Under its monitor: a verdict of the old check cannot land between the copy and its stop.
            synchronized (before) {
                healthy = before.healthy;
                pending = before.pending;
                passes = before.passes;
                fails = before.fails;
            }
        } else if (check.mandatory()) {
            pending = true;
            group.startChecking(peer, System.currentTimeMillis());
        }
    }

    /** Whether it continues a check from before a reload. */
    private final boolean continued;

    /**
     * A mandatory check runs at once (its server waits for it); others, and checks continued
     * across a reload, at a random point of the first interval.
     */
    void start() {
        schedule(check.mandatory() && !continued ? 0 : random.nextLong(Math.max(1, check.interval().toMillis())));
    }

    Peer peer() {
        return peer;
    }

    HealthCheckConfig check() {
        return check;
    }

    /** Takes this check's verdict back from its server: it is gone after a reload, and so is what it said. */
    synchronized void retract() {
        group.forgetCheck(peer, !healthy, pending);
    }

    synchronized void stop() {
        stopped = true;
        loop.execute(() -> {
            if (next != null) {
                next.cancel(false);
            }
        });
    }

    private void schedule(long delayMs) {
        if (!stopped) {
            next = loop.schedule(this::fire, delayMs, TimeUnit.MILLISECONDS);
        }
    }

    private void fire() {
        if (stopped) {
            return;
        }
        CheckRequest.run(loop, target, check, tls, failure -> {
            verdict(failure);
            long jitter = check.jitter().toMillis();
            schedule(check.interval().toMillis() + (jitter > 0 ? random.nextLong(jitter + 1) : 0));
        });
    }

    /** Applies one result: thresholds of consecutive passes and failures, as nginx Plus counts them. */
    synchronized void verdict(String failure) {
        if (stopped) {
            return;
        }
        boolean pass = failure == null;
        int failing = 0;
        int pendingDelta = 0;
        if (pass) {
            passes++;
            fails = 0;
            if (pending) {
                pending = false;
                pendingDelta = -1;
            } else if (!healthy && passes >= check.passes()) {
                healthy = true;
                failing = -1;
            }
        } else {
            fails++;
            passes = 0;
            if (pending) {
                pending = false;
                pendingDelta = -1;
                healthy = false;
                failing = 1;
            } else if (healthy && fails >= check.fails()) {
                healthy = false;
                failing = 1;
            }
        }
        PeerGroup.StateChange states = group.checked(peer, pass, failing, pendingDelta, System.currentTimeMillis());
        if (states.changed()) {
            log.accept("server " + peer.name() + " in upstream " + group.name() + " is now " + states.after() + " (was "
                    + states.before() + "): " + (pass ? "check passed: " + check.uri() : "check failed: " + failure));
        }
    }
}
