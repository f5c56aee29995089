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
        Iterator<io.netty.util.concurrent.EventExecutor> it = loops.iterator();
        Map<List<Object>, UpstreamTls> contexts = new HashMap<>();
        for (Pending p : planned) {
            if (!it.hasNext()) {
                it = loops.iterator();
            }
            HealthCheckConfig check = p.check();
            UpstreamTls tls = check.tls() == null ? null : contexts.computeIfAbsent(
                    List.of(check.tls(), check.host(), check.http2()),
                    k -> UpstreamTls.build(check.tls(), check.tls().nameFor(check.host()), check.http2()));
            PeerCheck c = new PeerCheck(p.group(), p.peer(), check, tls, (io.netty.channel.EventLoop) it.next(), random, log);
            running.add(c);
            c.start();
        }
    }

    public synchronized void stop() {
        running.forEach(PeerCheck::stop);
        running.clear();
    }
}
