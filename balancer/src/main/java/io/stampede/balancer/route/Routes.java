package io.stampede.balancer.route;

import io.stampede.balancer.config.Listener;
import io.stampede.balancer.config.LocationConfig;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import io.stampede.balancer.vars.Variables;

/**
 * Where a request goes: the server of its listening address and host ({@link ServerNames}), then
 * that server's location for its path ({@link LocationTree}).
 */
public final class Routes {
    /** A request's server, and its location (null when none matches: 404). */
    public record Route(VirtualServer server, LocationConfig location) {}

    private final List<VirtualServer> servers;
    private final Map<InetSocketAddress, ServerNames<VirtualServer>> byAddress;

    private Routes(List<VirtualServer> servers, Map<InetSocketAddress, ServerNames<VirtualServer>> byAddress) {
        this.servers = servers;
        this.byAddress = byAddress;
        this.ownTls = servers.stream().anyMatch(s -> s.ssl() != null);
    }

    /** Whether a server has TLS settings of its own (else the top level's, one set for all, decide every handshake). */
    private final boolean ownTls;

    public boolean ownTls() {
        return ownTls;
    }

    /** @throws IllegalArgumentException naming the server name or address in conflict */
    public static Routes of(List<VirtualServer> servers) {
        Map<InetSocketAddress, ServerNames<VirtualServer>> byAddress = new LinkedHashMap<>();
        Map<InetSocketAddress, VirtualServer> defaults = new LinkedHashMap<>();
        for (VirtualServer s : servers) {
            Set<InetSocketAddress> mine = new HashSet<>();
            for (Listener l : s.listen()) {
                InetSocketAddress a = l.address();
                if (!mine.add(a)) {
                    if (a.getPort() != 0) {
                        throw new IllegalArgumentException("server '" + s.name() + "' listens on " + a.getHostString() + ":"
                                + a.getPort() + " twice");
                    }
                    continue; // port 0 twice: two free ports, one server, indexed once under the address as written
                }
                boolean isDefault = s.defaultOn().contains(a);
                if (isDefault && defaults.putIfAbsent(a, s) != null) {
                    throw new IllegalArgumentException("a duplicate default server for " + a.getHostString() + ":" + a.getPort());
                }
                String why = byAddress.computeIfAbsent(a, x -> new ServerNames<>()).add(s.names(), s, isDefault);
                if (why != null) {
                    throw new IllegalArgumentException(why);
                }
            }
        }
        return new Routes(List.copyOf(servers), byAddress);
    }

    public List<VirtualServer> servers() {
        return servers;
    }

    /**
     * @param listenAddress the listening address as configured (null: the first server's)
     * @param host the request's host (Host or the absolute-form authority), as sent; null for none
     * @param path the normalized path ({@code $uri})
     */
    public Route route(InetSocketAddress listenAddress, String host, String path) {
        VirtualServer server = server(listenAddress, host);
        return new Route(server, server.ret() != null ? null : server.locations().find(path));
    }

    /** A host as server names are compared: lowercase, without port or trailing dot. */
    static String normalize(String host) {
        if (host == null) {
            return "";
        }
        String h = host;
        if (h.startsWith("[")) {
            int close = h.indexOf(']');
            h = close < 0 ? h : h.substring(0, close + 1);
        } else {
            int colon = h.indexOf(':');
            h = colon < 0 ? h : h.substring(0, colon);
        }
        if (h.endsWith(".")) {
            h = h.substring(0, h.length() - 1);
        }
        return h.toLowerCase(Locale.ROOT);
    }

    /**
     * What to do with a request, as nginx's phases decide it: the server's {@code rewrite}s and
     * {@code return}, then the location search, the location's {@code rewrite}s (a {@code last},
     * or a changed URI without a flag, searches again, at most ten times as nginx), its
     * {@code return}, and finally its pass.
     *
     * @param args the request's arguments (after {@code ?}), null for none
     * @param vars the request's variables ({@code $uri} and {@code $args} follow the rewrites)
     * @param internal an internal redirect ({@code error_page}): {@code internal} locations may answer
     */
    public Decision decide(InetSocketAddress listenAddress, String host, String path, String args, Variables vars,
                           boolean internal) {
        VirtualServer server = server(listenAddress, host);
        CurrentUri current = new CurrentUri(path, args, vars, server.name());
        boolean serverStopped = false;
        for (Rewrite r : server.rewrites()) {
            Rewrite.Result res = r.apply(current.path, current.args, current);
            if (res == null) {
                continue;
            }
            if (res.redirect()) {
                return Decision.answer(server, new ReturnAction(res.status(), io.stampede.balancer.vars.Template.literal(res.location())),
                        current);
            }
            current.move(res);
            if (r.flag() == Rewrite.Flag.LAST || r.flag() == Rewrite.Flag.BREAK) {
                // As nginx: the server's script ends here (its return is not reached), and after a
                // break the changed URI goes to the server whole.
                serverStopped = true;
                current.whole = r.flag() == Rewrite.Flag.BREAK;
                break;
            }
        }
        if (server.ret() != null && !serverStopped) {
            return Decision.answer(server, server.ret(), current);
        }
        for (int cycle = 0; cycle <= 10; cycle++) {
            String slashed = server.locations().autoRedirect(current.path);
            if (slashed != null) {
                // nginx: /api for a proxied "location /api/" is a 301 to /api/ (an exact location would win).
                String location = UriText.escapeUnsafe(slashed) + (current.args == null ? "" : "?" + current.args);
                return Decision.answer(server, new ReturnAction(301, io.stampede.balancer.vars.Template.literal(location)), current);
            }
            LocationConfig location = server.locations().find(current.path);
            // A request whose URI a rewrite changed is internal too, as in nginx.
            if (location == null || (location.internal() && !internal && !current.moved)) {
                return Decision.refuse(server, 404, current);
            }
            Decision d = inLocation(server, location, current);
            if (d != null) {
                return d;
            }
        }
        return Decision.refuse(server, 500, current); // nginx: "rewrite or internal redirection cycle"
    }

    /** The server for a request that came in on {@code listenAddress} (as configured) naming {@code host}. */
    public VirtualServer server(InetSocketAddress listenAddress, String host) {
        ServerNames<VirtualServer> names = listenAddress == null ? null : byAddress.get(listenAddress);
        if (names == null) {
            return servers.get(0);
        }
        // One server on the address answers whatever the host: no lowercasing or port-stripping per request.
        return names.alone() ? names.choose("") : names.choose(normalize(host));
    }

    /**
     * The server whose TLS settings a handshake on {@code listenAddress} uses: the one the SNI name
     * {@code sniHost} chooses, as for a Host, or the address's default server when the client sent
     * no name (nginx: a handshake without SNI gets the default server's certificate).
     */
    public VirtualServer tlsServer(InetSocketAddress listenAddress, String sniHost) {
        ServerNames<VirtualServer> names = listenAddress == null ? null : byAddress.get(listenAddress);
        if (names == null) {
            return servers.get(0);
        }
        String name = normalize(sniHost); // a name that normalizes to nothing (".", ":x") is no name, as nginx declines it
        return name.isEmpty() ? names.fallback() : names.choose(name);
    }

    /** Every server that listens on {@code listenAddress}. */
    public List<VirtualServer> serversOn(InetSocketAddress listenAddress) {
        return servers.stream().filter(s -> s.listen().stream().anyMatch(l -> l.address().equals(listenAddress))).toList();
    }

    /** An internal redirect to a {@code @name} location of {@code server}. */
    public Decision named(VirtualServer server, String name, String path, String args, Variables vars) {
        LocationConfig location = server.named().get(name);
        CurrentUri current = new CurrentUri(path, args, vars, server.name());
        if (location == null) {
            return Decision.refuse(server, 500, current);
        }
        Decision d = inLocation(server, location, current);
        return d != null ? d : Decision.refuse(server, 500, current);
    }

    /** A location's rewrites, return and pass; null when the URI changed and the location search runs again. */
    private static Decision inLocation(VirtualServer server, LocationConfig location, CurrentUri current) {
        boolean again = false;
        boolean broke = false;
        for (Rewrite r : location.rewrites()) {
            Rewrite.Result res = r.apply(current.path, current.args, current);
            if (res == null) {
                continue;
            }
            if (res.redirect()) {
                return Decision.answer(server, new ReturnAction(res.status(),
                        io.stampede.balancer.vars.Template.literal(res.location())), current);
            }
            current.move(res);
            if (r.flag() == Rewrite.Flag.BREAK) {
                broke = true;
                break;
            }
            again = true;
            if (r.flag() == Rewrite.Flag.LAST) {
                return null; // the script ends: its return is not reached; the locations are searched again
            }
        }
        // The location's return comes after its rewrites (as written in the usual order): reached
        // unless a break ended the script; a rewrite without a flag leaves it in force.
        if (location.ret() != null && !broke) {
            return Decision.answer(server, location.ret(), current, location);
        }
        if (again) {
            return null;
        }
        if (location.upstream() == null) {
            return Decision.refuse(server, 404, current);
        }
        return new Decision(server, location, current.path, current.args, current.moved, broke || current.whole, null, 0, current);
    }

    /**
     * Where a request goes: {@code location} to proxy to ({@code path} and {@code args} its URI,
     * {@code rewritten} when a rewrite changed it, {@code whole} when a {@code break} means the
     * changed URI goes to the server as it is, whatever proxy_pass's URI part), or an {@code answer}
     * the proxy gives itself, or a status to refuse with.
     */
    public record Decision(VirtualServer server, LocationConfig location, String path, String args, boolean rewritten,
                           boolean whole, ReturnAction answer, int refuse, Variables vars) {
        static Decision answer(VirtualServer server, ReturnAction a, CurrentUri current) {
            return answer(server, a, current, null);
        }

        /** {@code at}: the location whose return this is (its error pages apply to a bare error code), or null. */
        static Decision answer(VirtualServer server, ReturnAction a, CurrentUri current, LocationConfig at) {
            return new Decision(server, at, current.path, current.args, current.moved, false, a, 0, current);
        }

        static Decision refuse(VirtualServer server, int status, CurrentUri current) {
            return new Decision(server, null, current.path, current.args, current.moved, false, null, status, current);
        }
    }

    /** The request's variables with {@code $uri} and {@code $args} as the rewrites left them. */
    static final class CurrentUri implements Variables {
        String path;
        String args;
        boolean moved;
        /** A server-level break: the URI goes to the server whole. */
        boolean whole;
        private final Variables base;
        private final String serverName;

        CurrentUri(String path, String args, Variables base, String serverName) {
            this.path = path;
            this.args = args;
            this.base = base;
            this.serverName = serverName;
        }

        void move(Rewrite.Result r) {
            path = r.path();
            args = r.args();
            moved = true;
        }

        @Override
        public String get(String name) {
            if (name.equals("server_name")) {
                return serverName;
            }
            if (!moved) {
                return base.get(name);
            }
            return switch (name) {
                case "uri", "document_uri" -> path;
                case "args", "query_string" -> args == null ? "" : args;
                case "is_args" -> args == null ? "" : "?";
                default -> base.get(name);
            };
        }
    }

    /** Every location of every server (named ones too), in the order written. */
    public List<LocationConfig> locations() {
        List<LocationConfig> out = new ArrayList<>();
        for (VirtualServer s : servers) {
            out.addAll(s.locations().flatten());
            out.addAll(s.named().values());
        }
        return out;
    }
}
