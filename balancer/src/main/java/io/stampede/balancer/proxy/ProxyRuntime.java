package io.stampede.balancer.proxy;

import io.stampede.balancer.limit.ConnZone;
import io.stampede.balancer.limit.RequestZone;
import io.stampede.balancer.log.AccessRecord;
import io.stampede.balancer.log.AccessFormat;
import io.stampede.balancer.log.ProxyLog;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFactory;
import io.netty.channel.ReflectiveChannelFactory;
import io.stampede.balancer.config.LocationConfig;
import io.stampede.common.Transport;
import io.stampede.balancer.config.ProxyConfig;
import io.stampede.balancer.config.ProxySettings;
import io.stampede.balancer.upstream.NextUpstream;
import io.stampede.balancer.tls.UpstreamTls;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import io.stampede.balancer.admin.ProxyMetrics;
import io.stampede.balancer.log.AccessLog;
import java.util.Map;

/**
 * What every connection of one loaded configuration shares.
 *
 * @param upstreamChannels makes the channels to upstream servers: the transport's sockets, or
 *     in tests {@code EmbeddedChannel}s the test feeds by hand
 * @param upstreamTls TLS to the servers of each location whose proxy_pass is https://
 */
record ProxyRuntime(ProxyConfig config, Map<String, UpstreamRuntime> upstreams, BackendPool pool, ProxyLog log,
                    AccessLog accessLog, ProxyMetrics metrics, Map<LocationConfig, NextUpstream> retries,
                    ChannelFactory<? extends Channel> upstreamChannels, Map<LocationConfig, UpstreamTls> upstreamTls,
                    Map<String, RequestZone> limitZones,
                    Map<String, ConnZone> connZones) {

    ProxyRuntime(ProxyConfig config, Map<String, UpstreamRuntime> upstreams, BackendPool pool, ProxyLog log,
                 AccessLog accessLog, ProxyMetrics metrics) {
        this(config, upstreams, pool, log, accessLog, metrics, retryRules(config),
                new ReflectiveChannelFactory<>(Transport.clientChannel()), upstreamTls(config), limitZones(config, Map.of()),
                connZones(config, Map.of()));
    }

    /** The same runtime with upstream channels made by {@code factory}. */
    ProxyRuntime withUpstreamChannels(ChannelFactory<? extends Channel> factory) {
        return new ProxyRuntime(config, upstreams, pool, log, accessLog, metrics, retries, factory, upstreamTls, limitZones, connZones);
    }

    /**
     * The runtime of a configuration loaded over {@code previous} (a reload): the same pools, logs
     * and metrics, the upstreams built over the previous ones ({@code upstreams}), and the TLS
     * contexts already made ({@code upstreamTls}, from {@link #upstreamTls(ProxyConfig, ProxyRuntime)}).
     */
    static ProxyRuntime reloaded(ProxyConfig config, Map<String, UpstreamRuntime> upstreams, ProxyRuntime previous,
                                 AccessLog accessLog, Map<LocationConfig, UpstreamTls> upstreamTls) {
        return new ProxyRuntime(config, upstreams, previous.pool, previous.log, accessLog, previous.metrics,
                retryRules(config), previous.upstreamChannels, upstreamTls, limitZones(config, previous.limitZones),
                connZones(config, previous.connZones));
    }

    /** Each {@code limit_conn_zone}'s counts; an unchanged zone keeps them across a reload (requests in progress still count). */
    private static Map<String, ConnZone> connZones(ProxyConfig config, Map<String, ConnZone> previous) {
        return zones(config.limitConnZones(), previous, ConnZone::sameAs, ConnZone::new);
    }

    /**
     * A {@code limit_req_zone}'s buckets for each zone of {@code config}; a zone {@code previous}
     * had with the same name, size, rate and key keeps its buckets across a reload, as nginx's
     * shared zones do.
     */
    private static Map<String, RequestZone> limitZones(ProxyConfig config, Map<String, RequestZone> previous) {
        return zones(config.limitReqZones(), previous, RequestZone::sameAs, RequestZone::new);
    }

    private static <C, Z> Map<String, Z> zones(Map<String, C> configured, Map<String, Z> previous,
                                               java.util.function.BiPredicate<Z, C> same, java.util.function.Function<C, Z> create) {
        Map<String, Z> out = new HashMap<>();
        configured.forEach((name, z) -> {
            Z before = previous.get(name);
            out.put(name, before != null && same.test(before, z) ? before : create.apply(z));
        });
        return Map.copyOf(out);
    }

    private static Map<LocationConfig, UpstreamTls> upstreamTls(ProxyConfig config) {
        return upstreamTls(config, null);
    }

    /**
     * One TLS client context per distinct proxy_ssl_* settings and name, shared by the locations
     * that have them; one that {@code previous} had already is kept, so its pooled connections and
     * sessions stay usable across a reload.
     *
     * @throws IllegalArgumentException naming the directive the TLS library refuses
     */
    static Map<LocationConfig, UpstreamTls> upstreamTls(ProxyConfig config, ProxyRuntime previous) {
        Map<LocationConfig, UpstreamTls> out = new IdentityHashMap<>();
        Map<List<Object>, UpstreamTls> built = new HashMap<>();
        if (previous != null) {
            previous.upstreamTls.forEach((l, t) -> built.put(List.of(l.proxy().ssl(), t.name(), t.http2()), t));
        }
        for (LocationConfig l : config.locations()) {
            if (l.https()) {
                String name = l.proxy().ssl().nameFor(l.proxyHost());
                boolean h2 = l.proxy().http2();
                out.put(l, built.computeIfAbsent(List.of(l.proxy().ssl(), name, h2),
                        k -> UpstreamTls.build(l.proxy().ssl(), name, h2)));
            }
        }
        return out;
    }

    /** TLS to {@code location}'s servers; null for cleartext. */
    UpstreamTls upstreamTls(LocationConfig location) {
        return upstreamTls.get(location);
    }

    private static Map<LocationConfig, NextUpstream> retryRules(ProxyConfig config) {
        Map<LocationConfig, NextUpstream> out = new IdentityHashMap<>();
        for (LocationConfig l : config.locations()) {
            ProxySettings p = l.proxy();
            out.put(l, new NextUpstream(p.nextUpstream(), p.nextUpstreamTries(), p.nextUpstreamTimeout().toMillis()));
        }
        return out;
    }

    NextUpstream nextUpstream(LocationConfig location) {
        return retries.get(location);
    }

    boolean logsAccess() {
        return accessLog != null;
    }

    UpstreamRuntime upstream(String name) {
        UpstreamRuntime u = upstreams.get(name);
        if (u == null) {
            throw new IllegalStateException("no upstream " + name);
        }
        return u;
    }

    void noLiveUpstreams(String upstream) {
        log.noLiveUpstreams(upstream);
    }

    void access(AccessRecord record) {
        if (accessLog != null) {
            // A log_format named by access_log, else the combined format with nginx's upstream fields.
            accessLog.log(config.accessFormat() != null ? config.accessFormat().line(record) : AccessFormat.line(record));
        }
    }
}
