package io.stampede.balancer.proxy;

import io.stampede.balancer.config.directive.BalanceMethod;
import io.stampede.balancer.config.ServerConfig;
import io.stampede.balancer.config.directive.StickyConfig;
import io.stampede.balancer.config.UpstreamConfig;
import io.stampede.balancer.vars.Template;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponse;
import java.time.ZonedDateTime;
import io.stampede.balancer.upstream.Methods;
import io.stampede.balancer.upstream.Peer;
import io.stampede.balancer.upstream.PeerGroup;
import io.stampede.balancer.upstream.PeerSpec;
import io.stampede.balancer.vars.Variables;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;
import java.util.random.RandomGenerator;

/**
 * An upstream block at run time: its settings and the peer group every event loop balances through.
 *
 * @param peers the group's servers in the order of {@code config.servers()}, one for one (the
 *     dynamic API finds a server's entry by its id through it)
 */
record UpstreamRuntime(UpstreamConfig config, PeerGroup group, Cache<String, String> sessions, List<Peer> peers) {
    private static final byte[] NO_KEY = new byte[0];

    /** sticky learn's sessions: bounded (about 4,000 per megabyte of zone), expiring when unused. */
    private static Cache<String, String> sessionsFor(StickyConfig sticky) {
        if (sticky == null || sticky.kind() != StickyConfig.Kind.LEARN) {
            return null;
        }
        return Caffeine.newBuilder().maximumSize(sticky.maxSessions()).expireAfterAccess(sticky.timeout()).build();
    }

    /** The sticky server id this request names (cookie, route variables or a learned session), or null. */
    String boundSid(Variables vars) {
        StickyConfig s = config.sticky();
        if (s == null) {
            return null;
        }
        return switch (s.kind()) {
            case COOKIE -> s.lookup().render(vars);
            case ROUTE -> {
                for (Template t : s.route()) {
                    String v = t.render(vars);
                    if (v != null && !v.isEmpty()) {
                        yield v;
                    }
                }
                yield null;
            }
            case LEARN -> {
                String session = s.lookup().render(vars);
                yield session == null || session.isEmpty() ? null : sessions.getIfPresent(session);
            }
        };
    }

    /**
     * What sticky does with the response of the server chosen: the cookie mode binds the client
     * (adds Set-Cookie); learn remembers the session the server set.
     */
    void stickyResponse(HttpResponse response, Peer peer) {
        StickyConfig s = config.sticky();
        if (s == null) {
            return;
        }
        if (s.kind() == StickyConfig.Kind.COOKIE) {
            response.headers().add(HttpHeaderNames.SET_COOKIE, s.setCookie(peer.sid(), ZonedDateTime.now()));
        } else if (s.kind() == StickyConfig.Kind.LEARN) {
            for (String header : response.headers().getAll(HttpHeaderNames.SET_COOKIE)) {
                String session = cookieValue(header, s.createCookie());
                if (session != null && !session.isEmpty()) {
                    sessions.put(session, peer.sid());
                }
            }
        }
    }

    /** The value of cookie {@code name} in one Set-Cookie header, or null. */
    static String cookieValue(String setCookie, String name) {
        int semi = setCookie.indexOf(';');
        String pair = (semi < 0 ? setCookie : setCookie.substring(0, semi)).trim();
        int eq = pair.indexOf('=');
        return eq > 0 && pair.substring(0, eq).trim().equals(name) ? pair.substring(eq + 1).trim() : null;
    }

    static Map<String, UpstreamRuntime> build(Map<String, UpstreamConfig> upstreams, LongSupplier nowSeconds,
                                              RandomGenerator random) {
        return build(upstreams, nowSeconds, random, Map.of());
    }

    /**
     * The upstreams of a configuration loaded over {@code previous} (a reload): an upstream with
     * the same name keeps its servers that have the same address, with their balancing and health
     * state, its lock, its retry count and the requests waiting in its queue; sticky learn keeps
     * the sessions it learned while its sticky directive is unchanged.
     */
    static Map<String, UpstreamRuntime> build(Map<String, UpstreamConfig> upstreams, LongSupplier nowSeconds,
                                              RandomGenerator random, Map<String, UpstreamRuntime> previous) {
        Map<String, UpstreamRuntime> out = new LinkedHashMap<>();
        for (UpstreamConfig u : upstreams.values()) {
            List<PeerSpec> specs = u.servers().stream().map(UpstreamRuntime::spec).toList();
            UpstreamRuntime before = previous.get(u.name());
            PeerGroup group;
            List<Peer> peers;
            Cache<String, String> sessions = sessionsFor(u.sticky());
            if (before == null) {
                peers = specs.stream().map(Peer::new).toList();
                group = new PeerGroup(u.name(), peers, Methods.of(u.method(), random), nowSeconds, u.queue().size());
            } else {
                peers = PeerGroup.carryOver(before.group(), specs);
                group = new PeerGroup(u.name(), peers, Methods.of(u.method(), random), nowSeconds, u.queue().size(),
                        before.group());
                if (before.sessions() != null && java.util.Objects.equals(before.config().sticky(), u.sticky())) {
                    sessions = before.sessions();
                }
            }
            out.put(u.name(), new UpstreamRuntime(u, group, sessions, peers));
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

    private static PeerSpec spec(ServerConfig s) {
        return PeerSpec.of(s.server(), s.address(), s.weight(), s.maxFails(), s.failTimeoutSeconds(),
                s.maxConns(), s.backup(), s.down(), s.route(), s.drain(), s.slowStartMillis());
    }

}
