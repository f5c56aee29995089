package io.stampede.balancer.health;

import io.netty.channel.EventLoopGroup;
import io.stampede.balancer.config.directive.HealthCheckConfig;
import io.stampede.balancer.upstream.Peer;
import io.stampede.balancer.upstream.PeerGroup;
import java.util.ArrayList;
import io.stampede.balancer.tls.UpstreamTls;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.random.RandomGenerator;

/** Every active health check of one configuration: one {@link PeerCheck} per check and server, spread over the proxy's event loops. */
public final class HealthChecks {
    private record Pending(PeerGroup group, Peer peer, HealthCheckConfig check) {}

    private final List<Pending> planned = new ArrayList<>();
    private final List<PeerCheck> running = new ArrayList<>();
    private final RandomGenerator random;
    private final Consumer<String> log;

    public HealthChecks(Map<PeerGroup, List<HealthCheckConfig>> checks, RandomGenerator random, Consumer<String> log) {
        this.random = random;
        this.log = log;
        checks.forEach((group, list) -> {
            for (HealthCheckConfig check : list) {
                for (Peer p : group.peers()) {
                    if (!p.isDown()) {
                        planned.add(new Pending(group, p, check));
                    }
                }
            }
        });
    }

    /**
     * Starts the checks on the proxy's loops. Call before the listeners open: a mandatory check
     * puts its server in "checking" as it is created, so no request reaches it before it passes.
     */
    public synchronized void start(EventLoopGroup loops) {
        start(loops, null);
    }

    /**
     * Starts the checks of a reloaded configuration in place of {@code before}'s, which are
     * stopped. A check that probes a server kept by the reload as it did before goes on with its
     * verdicts (the server stays out if it was unhealthy); a mandatory one without
     * {@code persistent} starts afresh, the server "checking" until it passes, as nginx Plus does.
     * Checks that are gone take their verdicts back.
     */
    public synchronized void start(EventLoopGroup loops, HealthChecks before) {
        // The TLS contexts first: if the library refused one, the checks running now go on untouched.
        Map<List<Object>, UpstreamTls> contexts = new HashMap<>();
        for (Pending p : planned) {
            HealthCheckConfig check = p.check();
            if (check.tls() != null) {
                contexts.computeIfAbsent(List.of(check.tls(), check.host(), check.http2()),
                        k -> UpstreamTls.build(check.tls(), check.tls().nameFor(check.host()), check.http2()));
            }
        }
        List<PeerCheck> old = before == null ? List.of() : before.takeRunning();
        java.util.Set<PeerCheck> continuedFrom = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        Iterator<io.netty.util.concurrent.EventExecutor> it = loops.iterator();
        for (Pending p : planned) {
            if (!it.hasNext()) {
                it = loops.iterator();
            }
            HealthCheckConfig check = p.check();
            UpstreamTls tls = check.tls() == null ? null : contexts.get(List.of(check.tls(), check.host(), check.http2()));
            PeerCheck previous = null;
            if (!check.mandatory() || check.persistent()) {
                for (PeerCheck o : old) {
                    if (o.peer() == p.peer() && o.check().sameProbe(check) && !continuedFrom.contains(o)) {
                        previous = o;
                        continuedFrom.add(o);
                        break;
                    }
                }
            }
            PeerCheck c = new PeerCheck(p.group(), p.peer(), check, tls, (io.netty.channel.EventLoop) it.next(), random, log,
                    previous);
            running.add(c);
        }
        for (PeerCheck o : old) {
            if (!continuedFrom.contains(o)) {
                o.retract();
            }
        }
        running.forEach(PeerCheck::start);
    }

    /** Stops every check and hands them over (a reload's checks continue or retract them). */
    private synchronized List<PeerCheck> takeRunning() {
        List<PeerCheck> out = List.copyOf(running);
        out.forEach(PeerCheck::stop);
        running.clear();
        return out;
    }

    public synchronized void stop() {
        running.forEach(PeerCheck::stop);
        running.clear();
    }
}
