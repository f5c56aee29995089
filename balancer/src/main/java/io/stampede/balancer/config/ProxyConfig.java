package io.stampede.balancer.config;

import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A whole, validated proxy configuration. Immutable: a reload builds a new one and swaps it in.
 *
 * @param workers event-loop threads ({@code worker_processes}; 0 = one per core)
 * @param accessLog a file path, or empty when {@code access_log off}
 * @param ssl the TLS settings, present when a listener is marked {@code ssl}
 * @param http2 the HTTP/2 limits, for the listeners that offer it
 * @param pid the {@code pid} file: where the running proxy writes its process id, for {@code -s}
 * @param resolver nginx's {@code resolver}, for servers with {@code resolve}; empty when none is set
 * @param limitReqZones the {@code limit_req_zone}s, by name
 * @param limitConnZones the {@code limit_conn_zone}s, by name
 */
public record ProxyConfig(String source, List<Listener> listen, Optional<InetSocketAddress> admin,
                          int workers, ClientSettings client, Optional<String> accessLog,
                          List<LocationConfig> locations, io.stampede.balancer.route.Routes routes,
                          Map<String, UpstreamConfig> upstreams,
                          Optional<SslSettings> ssl, Http2Limits http2, java.nio.file.Path pid,
                          Optional<ResolverConfig> resolver,
                          Map<String, io.stampede.balancer.limit.LimitReqZone> limitReqZones,
                          Map<String, io.stampede.balancer.limit.LimitConnZone> limitConnZones,
                          Map<String, io.stampede.balancer.vars.VariableMap> maps,
                          io.stampede.balancer.log.LogFormat accessFormat) {

    /** The same configuration with {@code upstream} in place of the one of its name (the API changed it). */
    public ProxyConfig withUpstream(UpstreamConfig upstream) {
        Map<String, UpstreamConfig> all = new java.util.LinkedHashMap<>(upstreams);
        all.put(upstream.name(), upstream);
        return new ProxyConfig(source, listen, admin, workers, client, accessLog, locations, routes, Map.copyOf(all), ssl, http2, pid,
                resolver, limitReqZones, limitConnZones, maps, accessFormat);
    }

    /** The location the first server chooses for {@code path}, as nginx's location search does (see {@link io.stampede.balancer.route.LocationTree}). */
    public Optional<LocationConfig> locate(String path) {
        return Optional.ofNullable(routes.route(null, null, path).location());
    }
}
