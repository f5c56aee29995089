package io.stampede.balancer.proxy;

import io.stampede.balancer.config.BalanceMethod;
import io.stampede.balancer.config.ServerConfig;
import io.stampede.balancer.config.UpstreamConfig;
import io.stampede.balancer.upstream.Methods;
import io.stampede.balancer.upstream.Peer;
import io.stampede.balancer.upstream.PeerGroup;
import io.stampede.balancer.vars.Variables;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;
import java.util.random.RandomGenerator;

/** An upstream block at run time: its settings and the peer group every event loop balances through. */
record UpstreamRuntime(UpstreamConfig config, PeerGroup group) {
    private static final byte[] NO_KEY = new byte[0];

    static Map<String, UpstreamRuntime> build(Map<String, UpstreamConfig> upstreams, LongSupplier nowSeconds,
                                              RandomGenerator random) {
        Map<String, UpstreamRuntime> out = new LinkedHashMap<>();
        for (UpstreamConfig u : upstreams.values()) {
            List<Peer> peers = u.servers().stream().map(UpstreamRuntime::peer).toList();
            out.put(u.name(), new UpstreamRuntime(u, new PeerGroup(u.name(), peers, method(u.method(), random), nowSeconds,
                    u.queue().size())));
        }
        return Map.copyOf(out);
    }

    /** The request's balancing key, evaluated once per request. */
    byte[] key(Variables vars, InetAddress client) {
        BalanceMethod m = config.method();
        if (m instanceof BalanceMethod.IpHash) {
            return Methods.ipHashKey(client);
        }
        if (m instanceof BalanceMethod.Hash h) {
            return h.key().render(vars).getBytes(StandardCharsets.UTF_8);
        }
        return NO_KEY;
    }

    private static Peer peer(ServerConfig s) {
        return new Peer(s.server(), s.address(), s.weight(), s.maxFails(), s.failTimeoutSeconds(), s.maxConns(),
                s.down(), s.backup());
    }

    private static PeerGroup.SelectorFactory method(BalanceMethod m, RandomGenerator random) {
        if (m instanceof BalanceMethod.LeastConn) {
            return Methods.leastConn();
        }
        if (m instanceof BalanceMethod.IpHash) {
            return Methods.ipHash();
        }
        if (m instanceof BalanceMethod.Hash h) {
            return Methods.hash(h.consistent());
        }
        if (m instanceof BalanceMethod.Random r) {
            return Methods.random(r.two(), random);
        }
        if (m instanceof BalanceMethod.LeastTime t) {
            return Methods.leastTime(t.lastByte(), t.inflight());
        }
        if (m instanceof BalanceMethod.RandomTwoLeastTime t) {
            return Methods.randomTwoLeastTime(t.lastByte(), random);
        }
        return Methods.roundRobin();
    }
}
