package io.stampede.balancer.route;

import io.stampede.balancer.config.Listener;
import io.stampede.balancer.config.LocationConfig;
import java.util.List;
import java.util.Map;

/**
 * One {@code server}: where it listens, the names it answers to, its locations, and a
 * server-level {@code return} (nginx's rewrite phase runs it before any location is searched).
 *
 * @param defaultOn the listen addresses it is the {@code default_server} of
 * @param named its {@code @name} locations, reached only from inside (error_page and the like)
 * @param ret the server's {@code return}, or null
 * @param rewrites the server's {@code rewrite}s, run before any location is searched
 * @param errorPages the server's {@code error_page}s, for what no location answers (its 404)
 * @param ssl the server's own TLS settings (its {@code ssl_*} over the top level's), chosen by SNI on
 *            its {@code ssl} listeners; null when it has none of its own and the top level's serve
 */
public record VirtualServer(List<String> names, List<Listener> listen, List<java.net.InetSocketAddress> defaultOn,
                            LocationTree locations, Map<String, LocationConfig> named, ReturnAction ret,
                            List<Rewrite> rewrites, List<ErrorPage> errorPages, io.stampede.balancer.config.SslSettings ssl) {
    /** The name the server is known by (its first), for logs and {@code $server_name}. */
    public String name() {
        return names.isEmpty() ? "" : names.get(0);
    }
}
