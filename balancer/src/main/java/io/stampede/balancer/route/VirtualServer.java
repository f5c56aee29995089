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
 */
public record VirtualServer(List<String> names, List<Listener> listen, List<java.net.InetSocketAddress> defaultOn,
                            LocationTree locations, Map<String, LocationConfig> named, ReturnAction ret,
                            List<Rewrite> rewrites, List<ErrorPage> errorPages) {
    /** The name the server is known by (its first), for logs and {@code $server_name}. */
    public String name() {
        return names.isEmpty() ? "" : names.get(0);
    }
}
