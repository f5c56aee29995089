package io.stampede.balancer.config;

import io.stampede.balancer.config.directive.ServerLine;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;

/**
 * One upstream peer from a {@code server} line: a host name resolving to several addresses gives
 * one of these per address, all with the same {@code server} text and parameters, as in nginx.
 *
 * @param failTimeoutSeconds nginx parses {@code fail_timeout} in whole seconds
 * @param route the sticky route id ({@code route=}), or null for the MD5 of the address
 * @param drain nginx Plus's {@code drain}: only sticky-bound requests reach it
 * @param slowStartMillis nginx Plus's {@code slow_start}: the weight's ramp back after a failure; 0 for none
 * @param resolved the server line with {@code resolve} this address came from (the resolver adds and
 *     removes such servers as the DNS answer changes); null for a server of the configuration's own
 */
public record ServerConfig(String server, InetSocketAddress address, int weight, int maxFails,
                           long failTimeoutSeconds, int maxConns, boolean backup, boolean down, String route,
                           boolean drain, long slowStartMillis, ServerLine resolved) {
    public ServerConfig(String server, InetSocketAddress address, int weight, int maxFails, long failTimeoutSeconds,
                        int maxConns, boolean backup, boolean down, String route, boolean drain, long slowStartMillis) {
        this(server, address, weight, maxFails, failTimeoutSeconds, maxConns, backup, down, route, drain, slowStartMillis, null);
    }

    /** A server the resolver found for {@code line} at {@code address}. */
    public static ServerConfig resolvedAt(ServerLine line, InetSocketAddress address) {
        return new ServerConfig(line.address(), address, line.weight(), line.maxFails(), line.failTimeout(), line.maxConns(),
                line.backup(), line.down(), line.route(), line.drain(), line.slowStart(), line);
    }

    public ServerConfig(String server, InetSocketAddress address, int weight, int maxFails, long failTimeoutSeconds,
                        int maxConns, boolean backup, boolean down) {
        this(server, address, weight, maxFails, failTimeoutSeconds, maxConns, backup, down, null, false, 0);
    }

    /** One server per address the host name resolves to, as nginx does. */
    public static List<ServerConfig> resolve(ServerLine line) {
        String address = line.address();
        Addresses.HostPort hp;
        try {
            hp = Addresses.split(address, 80);
        } catch (IllegalArgumentException e) {
            throw new ServerLine.Invalid(null, "'" + address + "' is not a server address (" + e.getMessage()
                    + "; expected host:port, e.g. 127.0.0.1:8081)");
        }
        if (hp.host().equals("*")) {
            throw new ServerLine.Invalid(null, "'" + address + "' is not a server address (expected host:port, e.g. 127.0.0.1:8081)");
        }
        List<InetSocketAddress> resolved;
        try {
            resolved = Addresses.resolve(hp);
        } catch (UnknownHostException e) {
            throw new ServerLine.Invalid(null, "host not found: '" + hp.host() + "' (expected a resolvable host name or an IP address)");
        }
        List<ServerConfig> out = new ArrayList<>();
        for (InetSocketAddress a : resolved) {
            out.add(new ServerConfig(address, a, line.weight(), line.maxFails(), line.failTimeout(), line.maxConns(), line.backup(),
                    line.down(), line.route(), line.drain(), line.slowStart()));
        }
        return out;
    }
}
