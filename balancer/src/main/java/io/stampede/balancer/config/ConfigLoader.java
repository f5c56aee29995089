package io.stampede.balancer.config;

import io.stampede.balancer.route.ErrorPage;
import io.stampede.balancer.route.LocationTree;
import io.stampede.balancer.route.Rewrite;
import io.stampede.balancer.route.ReturnAction;
import io.stampede.balancer.route.Routes;
import io.stampede.balancer.route.VirtualServer;
import io.stampede.balancer.vars.VariableMap;
import io.stampede.balancer.vars.Variables;
import io.stampede.balancer.config.directive.BalanceMethod;
import io.stampede.balancer.config.directive.StickyConfig;
import io.stampede.balancer.config.directive.HealthCheckConfig;
import io.stampede.balancer.config.directive.MatchConfig;
import io.stampede.balancer.config.directive.QueueConfig;
import io.stampede.balancer.upstream.NextUpstream;
import io.stampede.balancer.vars.Template;
import io.stampede.common.yaml.ConfigException;
import io.stampede.common.yaml.YamlNode;
import java.io.Reader;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import io.stampede.balancer.config.directive.ServerLine;
import io.stampede.balancer.limit.LimitConn;
import io.stampede.balancer.limit.LimitConnSettings;
import io.stampede.balancer.limit.LimitConnZone;
import io.stampede.balancer.limit.LimitReq;
import io.stampede.balancer.limit.LimitReqSettings;
import io.stampede.balancer.limit.LimitReqZone;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Reads a proxy configuration: YAML whose keys are nginx directive names and whose values use
 * nginx's syntax. Everything is checked here, once: an unknown key, a bad value or a host that does
 * not resolve is a {@link ConfigException} naming the file, line, key and value, and nothing starts.
 */
public final class ConfigLoader {
    private static final Set<String> PROXY_KEYS = Set.of("proxy_next_upstream", "proxy_next_upstream_tries",
            "proxy_next_upstream_timeout", "proxy_connect_timeout", "proxy_read_timeout", "proxy_send_timeout",
            "proxy_set_header", "proxy_forwarded_headers", "proxy_buffer_size", "proxy_ssl_verify",
            "proxy_ssl_trusted_certificate", "proxy_ssl_verify_depth", "proxy_ssl_server_name", "proxy_ssl_name",
            "proxy_ssl_certificate", "proxy_ssl_certificate_key", "proxy_ssl_protocols", "proxy_ssl_ciphers",
            "proxy_ssl_session_reuse", "proxy_http_version");
    /**
     * nginx's grpc module has its own copy of the proxy module's directives ({@code grpc_read_timeout}
     * for {@code proxy_read_timeout}, and so on); they set a {@code grpc_pass} location's settings.
     */
    private static final Set<String> GRPC_KEYS = grpcNames(PROXY_KEYS);
    private static final Set<String> LIMIT_KEYS = Set.of("limit_req", "limit_req_status", "limit_req_dry_run", "limit_req_log_level",
            "limit_conn", "limit_conn_status", "limit_conn_dry_run", "limit_conn_log_level", "limit_rate", "limit_rate_after");
    private static final Set<String> TOP_KEYS = union(union(PROXY_KEYS, GRPC_KEYS), union(Set.of("listen", "admin", "worker_processes",
            "client_max_body_size", "client_body_buffer_size", "client_header_timeout", "client_body_timeout",
            "keepalive_timeout", "keepalive_requests", "send_timeout", "large_client_header_buffers", "access_log",
            "client_body_min_rate", "merge_slashes", "underscores_in_headers", "ignore_invalid_headers",
            "locations", "upstreams", "match", "pid", "resolver", "resolver_timeout", "limit_req_zone", "limit_conn_zone", "map", "servers", "log_format", "rewrite", "error_page", "proxy_intercept_errors"),
            union(union(SslDirectives.KEYS, Http2Directives.KEYS), LIMIT_KEYS)));
    /** A server's own TLS lines, over the top level's, chosen by SNI (nginx's server-level ssl_*). */
    private static final Set<String> SERVER_SSL_KEYS = SslDirectives.KEYS;
    /** nginx's rewrite module and error pages, where they may stand. */
    private static final Set<String> ROUTE_KEYS = Set.of("rewrite", "error_page", "proxy_intercept_errors");
    private static final Set<String> LOCATION_KEYS = union(union(union(PROXY_KEYS, GRPC_KEYS), ROUTE_KEYS),
            union(Set.of("proxy_pass", "grpc_pass", "health_check", "locations", "return", "internal"), LIMIT_KEYS));
    /** A server's keys: its own, and every directive its locations inherit. */
    private static final Set<String> SERVER_KEYS = union(union(union(union(PROXY_KEYS, GRPC_KEYS), ROUTE_KEYS),
            union(Set.of("listen", "server_name", "locations", "return"), LIMIT_KEYS)), SERVER_SSL_KEYS);
    private static final Set<String> MATCH_KEYS = Set.of("status", "header", "body");
    private static final Set<String> UPSTREAM_KEYS = Set.of("balance", "keepalive", "keepalive_requests",
            "keepalive_timeout", "keepalive_time", "servers", "queue", "sticky", "state");
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_.-]+");
    private static final Pattern HEADER_NAME = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]+");

    static final ProxySettings DEFAULT_PROXY = new ProxySettings(NextUpstream.ERROR | NextUpstream.TIMEOUT, 0,
            Duration.ZERO, Duration.ofSeconds(60), Duration.ofSeconds(60), Duration.ofSeconds(60), List.of(), true, 8192,
            UpstreamSsl.DEFAULT, false);

    private ConfigLoader() {}

    public static ProxyConfig load(Path file) {
        return build(YamlNode.load(file));
    }

    public static ProxyConfig parse(String name, Reader reader) {
        return build(YamlNode.parse(name, reader));
    }

    /**
     * A configuration file of either syntax: nginx's for a name ending in {@code .conf}, YAML
     * otherwise.
     *
     * @param lenient an unsupported nginx directive is a warning (told to {@code notes}), not an error
     * @param notes what was skipped in an nginx.conf, and why
     */
    public static ProxyConfig load(Path file, boolean lenient, java.util.function.Consumer<String> notes) {
        if (!isNginx(file)) {
            return load(file);
        }
        return build(io.stampede.balancer.config.nginx.NginxConfigs.tree(file, lenient, notes, keys()));
    }

    public static boolean isNginx(Path file) {
        return file.getFileName().toString().endsWith(".conf");
    }

    /** The keys each level takes: top, server, location, upstream. */
    public record Keys(Set<String> top, Set<String> server, Set<String> location, Set<String> upstream) {}

    public static Keys keys() {
        return new Keys(TOP_KEYS, SERVER_KEYS, LOCATION_KEYS, UPSTREAM_KEYS);
    }

    private static ProxyConfig build(YamlNode root) {
        Map<String, YamlNode> top = root.map(TOP_KEYS);
        YamlNode mapNode = top.get("map");
        // Every map's name is known before any template is read: maps may read each other.
        Set<String> mapNames = mapNames(mapNode);
        return Variables.declaring(mapNames, () -> build(root, top, maps(mapNode)));
    }

    /** The variables the {@code map} blocks declare (each key is {@code SOURCE $name}). */
    private static Set<String> mapNames(YamlNode node) {
        Set<String> names = new HashSet<>();
        if (node == null) {
            return names;
        }
        for (Map.Entry<String, YamlNode> e : node.map().entrySet()) {
            String[] words = e.getKey().trim().split("\\s+");
            if (words.length == 2 && words[1].startsWith("$") && !names.add(words[1].substring(1))) {
                throw e.getValue().error("variable '" + words[1] + "' is declared by two maps");
            }
        }
        return names;
    }

    /** nginx's {@code map} blocks: {@code "SOURCE $name": {value: result, ..., default: result}}. */
    private static Map<String, VariableMap> maps(YamlNode node) {
        Map<String, VariableMap> out = new LinkedHashMap<>();
        if (node == null) {
            return out;
        }
        Map<String, YamlNode> lineOf = new HashMap<>();
        for (Map.Entry<String, YamlNode> e : node.map().entrySet()) {
            List<Map.Entry<String, String>> lines = new ArrayList<>();
            if (!e.getValue().isMap()) {
                throw e.getValue().error("map '" + e.getKey() + "' (expected source values and their results, e.g. {default: upgrade, \"\": close})");
            }
            for (Map.Entry<String, YamlNode> line : e.getValue().map().entrySet()) {
                if (!line.getValue().isScalar()) {
                    throw line.getValue().error("map value '" + line.getKey() + "' (expected one result)");
                }
                lines.add(new java.util.AbstractMap.SimpleEntry<>(line.getKey(), line.getValue().text()));
            }
            try {
                VariableMap m = VariableMap.parse(e.getKey(), lines);
                out.put(m.name(), m);
                lineOf.put(m.name(), e.getValue());
            } catch (IllegalArgumentException ex) {
                throw e.getValue().error("map '" + e.getKey() + "': " + ex.getMessage());
            }
        }
        for (String name : out.keySet()) {
            if (readsItself(name, name, out, new HashSet<>())) {
                throw lineOf.get(name).error("map '$" + name + "' reads itself (through the maps it reads)");
            }
        }
        return Map.copyOf(out);
    }

    private static boolean readsItself(String start, String at, Map<String, VariableMap> maps, Set<String> seen) {
        VariableMap m = maps.get(at);
        if (m == null || !seen.add(at)) {
            return false;
        }
        for (String read : m.reads()) {
            if (read.equals(start) || readsItself(start, read, maps, seen)) {
                return true;
            }
        }
        return false;
    }

    private static ProxyConfig build(YamlNode root, Map<String, YamlNode> top, Map<String, VariableMap> maps) {

        boolean http2 = Http2Directives.on(top);
        YamlNode serversNode = top.get("servers");
        if (serversNode != null) {
            for (String k : List.of("listen", "locations")) {
                if (top.containsKey(k)) {
                    throw top.get(k).error("'" + k + "' goes inside each server when 'servers' is given");
                }
            }
        }
        List<Listener> listen = serversNode == null ? listeners(top.get("listen"), http2) : distinctListeners(serversNode, http2);
        Http2Limits http2Limits = Http2Directives.read(top);
        Path base = root.file() == null ? null : Path.of(root.file()).toAbsolutePath().getParent();
        // With servers, the top level's TLS lines are what servers without their own inherit; a
        // server on an ssl listener then needs a certificate of its own or the top level's.
        // nginx merges the certificate and its key one by one: a top level with only one of them is
        // completed by each server's own lines.
        boolean topCertificate = serversNode == null
                || top.containsKey("ssl_certificate") && top.containsKey("ssl_certificate_key");
        SslSettings ssl = topCertificate
                ? SslDirectives.read(top, top.get("listen"), listen.stream().anyMatch(Listener::ssl), base) : null;
        Map<String, YamlNode> topSslLines = new LinkedHashMap<>();
        top.forEach((k, v) -> {
            if (SERVER_SSL_KEYS.contains(k)) {
                topSslLines.put(k, v);
            }
        });
        Optional<InetSocketAddress> admin = Optional.empty();
        if (top.containsKey("admin")) {
            Map<String, YamlNode> a = top.get("admin").map(Set.of("listen"));
            if (a.containsKey("listen")) {
                admin = Optional.of(listenAddress(a.get("listen")));
            }
        }
        int workers = 0;
        if (top.containsKey("worker_processes")) {
            YamlNode n = top.get("worker_processes");
            workers = n.text().equals("auto") ? 0 : integer(n, 1, 256, "auto or an integer from 1 to 256");
        }

        ClientSettings client = ClientDirectives.read(top);
        Map<String, io.stampede.balancer.log.LogFormat> formats = new LinkedHashMap<>();
        formats.put("combined", io.stampede.balancer.log.LogFormat.COMBINED);
        formats.put("json", io.stampede.balancer.log.LogFormat.JSON); // ours: a configuration's own "json" replaces it
        if (top.containsKey("log_format")) {
            for (Map.Entry<String, YamlNode> e : top.get("log_format").map().entrySet()) {
                if (e.getKey().equals("combined")) {
                    throw e.getValue().error("duplicate log_format \"" + e.getKey() + "\"");
                }
                try {
                    formats.put(e.getKey(), io.stampede.balancer.log.LogFormat.parse(e.getKey(), e.getValue().text()));
                } catch (IllegalArgumentException ex) {
                    throw e.getValue().error(ex.getMessage());
                }
            }
        }
        Optional<String> accessLog = Optional.empty();
        io.stampede.balancer.log.LogFormat accessFormat = null;
        if (top.containsKey("access_log")) {
            String[] v = top.get("access_log").text().trim().split("\\s+");
            if (v[0].isEmpty() || v.length > 2) {
                throw top.get("access_log").invalid("a file path and optionally a log_format's name, or off");
            }
            accessLog = v[0].equals("off") ? Optional.empty() : Optional.of(v[0]);
            if (v.length == 2) {
                accessFormat = formats.get(v[1]);
                if (accessFormat == null) {
                    throw top.get("access_log").error("unknown log format \"" + v[1] + "\" (expected one of "
                            + String.join(", ", formats.keySet()) + ")");
                }
            }
        }

        Optional<ResolverConfig> resolver = ResolverConfig.read(top.get("resolver"), top.get("resolver_timeout"));
        Map<String, UpstreamConfig> upstreams = new LinkedHashMap<>();
        if (top.containsKey("upstreams")) {
            for (Map.Entry<String, YamlNode> e : top.get("upstreams").map().entrySet()) {
                if (!NAME.matcher(e.getKey()).matches()) {
                    throw e.getValue().error("'" + e.getKey() + "' is not an upstream name (expected letters, digits, '_', '-', '.')");
                }
                upstreams.put(e.getKey(), upstream(e.getKey(), e.getValue(), resolver.isPresent()));
            }
        }

        Map<String, LimitReqZone> zones = limitReqZones(top.get("limit_req_zone"));
        LimitReqSettings limitDefaults = limitReq(top, LimitReqSettings.NONE, zones);
        Map<String, LimitConnZone> connZones = limitConnZones(top.get("limit_conn_zone"));
        LimitConnSettings connDefaults = limitConn(top, LimitConnSettings.NONE, connZones);
        io.stampede.balancer.limit.LimitRate rateDefaults = limitRate(top, io.stampede.balancer.limit.LimitRate.NONE);
        ProxySettings defaults = proxySettings(top, DEFAULT_PROXY, base);
        ProxySettings grpcDefaults = proxySettings(asProxyKeys(top), DEFAULT_PROXY, base);
        Set<InetSocketAddress> sslAddresses = new HashSet<>();
        listen.stream().filter(Listener::ssl).forEach(l -> sslAddresses.add(l.address()));
        Build b = new Build(upstreams, base, zones, connZones, matches(top.get("match")), topSslLines, ssl != null, sslAddresses);
        Level topLevel = new Level(defaults, grpcDefaults, limitDefaults, connDefaults, rateDefaults,
                errorPages(top, List.of()), flagOr(top, "proxy_intercept_errors", false), false);
        List<VirtualServer> servers = new ArrayList<>();
        Map<VirtualServer, YamlNode> serverNodes = new java.util.IdentityHashMap<>();
        if (serversNode == null) {
            // The short form: one server, answering every name on every listener.
            if (!top.containsKey("locations")) {
                throw root.error("missing 'locations' (expected at least one, e.g. locations: {/: {proxy_pass: http://backend}})");
            }
            Map<String, LocationConfig> named = new LinkedHashMap<>();
            VirtualServer only = new VirtualServer(List.of(""), listen, List.of(),
                    locations(top.get("locations"), topLevel, b, null, named), Map.copyOf(named), null,
                    rewrites(top.get("rewrite")), topLevel.errorPages(), null);
            checkErrorPages(only, root);
            servers.add(only);
        } else {
            for (YamlNode sn : serversNode.list()) {
                VirtualServer s = server(sn, topLevel, b, http2);
                servers.add(s);
                serverNodes.put(s, sn);
            }
            if (servers.isEmpty()) {
                throw serversNode.error("no servers (expected at least one, e.g. - {listen: 127.0.0.1:8080, locations: {...}})");
            }
        }
        Routes routes;
        try {
            routes = Routes.of(servers);
        } catch (IllegalArgumentException e) {
            throw (serversNode == null ? root : serversNode).error(e.getMessage());
        }
        // nginx asks each ssl address's default server for a certificate (its own or inherited);
        // the others without one use the default's.
        for (InetSocketAddress a : sslAddresses) {
            VirtualServer first = routes.tlsServer(a, null);
            if (first.ssl() == null && ssl == null) {
                YamlNode where = serverNodes.getOrDefault(first, root);
                Map<String, YamlNode> fm = where == root ? Map.of() : where.map(SERVER_KEYS);
                throw fm.getOrDefault("listen", where).error("a listener is marked ssl but no ssl_certificate is defined for"
                        + " its default server (nginx: no \"ssl_certificate\" is defined for the listen ... ssl directive)");
            }
        }
        List<LocationConfig> proxied = routes.locations().stream().filter(l -> l.upstream() != null).toList();
        return new ProxyConfig(root.file(), List.copyOf(listen), admin, workers, client, accessLog,
                proxied, routes, Map.copyOf(upstreams), Optional.ofNullable(ssl), http2Limits, pidFile(top.get("pid"), root.file()),
                resolver, zones, connZones, maps, accessFormat);
    }

    private static StickyConfig sticky(YamlNode node) {
        if (node == null) {
            return null;
        }
        try {
            return StickyConfig.parse(node.text());
        } catch (IllegalArgumentException e) {
            throw node.error(e.getMessage());
        }
    }

    /** The top-level {@code match} blocks, by name. */
    private static Map<String, MatchConfig> matches(YamlNode node) {
        Map<String, MatchConfig> out = new LinkedHashMap<>();
        if (node == null) {
            return out;
        }
        for (Map.Entry<String, YamlNode> e : node.map().entrySet()) {
            Map<String, YamlNode> m = e.getValue().map(MATCH_KEYS);
            List<String> headers = new ArrayList<>();
            if (m.containsKey("header")) {
                for (YamlNode h : m.get("header").oneOrMany()) {
                    headers.add(h.text());
                }
            }
            try {
                out.put(e.getKey(), MatchConfig.parse(e.getKey(), m.containsKey("status") ? m.get("status").text() : null,
                        headers, m.containsKey("body") ? m.get("body").text() : null));
            } catch (IllegalArgumentException ex) {
                throw e.getValue().error(ex.getMessage());
            }
        }
        return out;
    }

    private static UpstreamConfig upstream(String name, YamlNode node, boolean haveResolver) {
        Map<String, YamlNode> m = node.map(UPSTREAM_KEYS);
        BalanceMethod method = new BalanceMethod.RoundRobin();
        if (m.containsKey("balance")) {
            YamlNode b = m.get("balance");
            try {
                method = BalanceMethod.parse(b.text());
            } catch (IllegalArgumentException e) {
                throw b.invalid(e.getMessage());
            }
        }
        YamlNode serversNode = m.get("servers");
        Path state = null;
        List<ServerConfig> servers = new ArrayList<>();
        List<ServerLine> resolving = new ArrayList<>();
        if (m.containsKey("state")) {
            YamlNode s = m.get("state");
            if (serversNode != null) {
                throw s.error("an upstream with a state file takes its servers from it, not from 'servers' (as nginx Plus's "
                        + "state directive); put the servers in the file, one server line each");
            }
            state = Path.of(s.text().trim()).toAbsolutePath();
            try {
                servers.addAll(StateFile.read(state, method));
            } catch (IllegalArgumentException e) {
                throw s.error(e.getMessage());
            }
        } else {
            if (serversNode == null || serversNode.list().isEmpty()) {
                throw node.error("no servers (expected servers: [\"127.0.0.1:8081\", ...], or state: FILE)");
            }
            for (YamlNode s : serversNode.list()) {
                ServerLine line = ServerLines.line(s, method);
                if (line.resolve()) {
                    if (!haveResolver) {
                        throw s.error("'" + s.text() + "': resolve needs a resolver (e.g. resolver: 127.0.0.1:53 valid=5s), "
                                + "as in nginx");
                    }
                    try {
                        Addresses.split(line.address(), 80);
                    } catch (IllegalArgumentException e) {
                        throw s.error("'" + line.address() + "' is not a server address (" + e.getMessage()
                                + "; expected host:port, e.g. api.internal:8080)");
                    }
                    resolving.add(line); // its addresses come from the resolver, at run time
                } else {
                    servers.addAll(ServerLines.resolve(s, line));
                }
            }
        }
        if (!servers.isEmpty() && servers.stream().allMatch(ServerConfig::backup)) {
            throw (serversNode != null ? serversNode : node).error("every server is a backup (expected at least one primary server)");
        }
        int keepalive = m.containsKey("keepalive") ? integer(m.get("keepalive"), 0, 100_000, "an integer >= 0 (0 turns it off)") : 32;
        int keepaliveRequests = m.containsKey("keepalive_requests")
                ? integer(m.get("keepalive_requests"), 1, Integer.MAX_VALUE, "an integer >= 1") : 1000;
        QueueConfig queue = QueueConfig.NONE;
        if (m.containsKey("queue")) {
            YamlNode q = m.get("queue");
            try {
                queue = QueueConfig.parse(q.text());
            } catch (IllegalArgumentException e) {
                throw q.error(e.getMessage());
            }
        }
        return new UpstreamConfig(name, method, List.copyOf(servers), keepalive, keepaliveRequests,
                duration(m.get("keepalive_timeout"), Duration.ofSeconds(60), true),
                duration(m.get("keepalive_time"), Duration.ofHours(1), true), false, queue, List.of(), sticky(m.get("sticky")), state,
                List.copyOf(resolving));
    }

    /**
     * A location's own directives over its parent's level. {@code k} is its path (a prefix, an exact
     * path, a regular expression's text or {@code @name}).
     */
    private static LocationConfig location(String key, String k, boolean exact, boolean byPattern, YamlNode node, Level level,
                                           Build b) {
        Map<String, YamlNode> m = node.map(LOCATION_KEYS);
        ProxySettings defaults = level.proxy();
        ProxySettings grpcDefaults = level.grpc();
        Map<String, UpstreamConfig> upstreams = b.upstreams();
        Path base = b.base();
        LimitReqSettings limits = limitReq(m, level.req(), b.zones());
        List<ErrorPage> pages = errorPages(m, level.errorPages());
        boolean intercept = flagOr(m, "proxy_intercept_errors", level.intercept());
        List<Rewrite> rewrites = reachableRewrites(m);
        LimitConnSettings connLimits = limitConn(m, level.conn(), b.connZones());
        io.stampede.balancer.limit.LimitRate rate = level.rate();
        boolean internal = flagOr(m, "internal", level.internal()); // inherited by nested locations, as nginx's
        ReturnAction ret = returnAction(m.get("return"));
        YamlNode pass = m.get("proxy_pass");
        boolean grpc = m.containsKey("grpc_pass");
        if (grpc && pass != null) {
            throw m.get("grpc_pass").error("a location has proxy_pass or grpc_pass, not both");
        }
        if (grpc) {
            pass = m.get("grpc_pass");
            if (m.containsKey("proxy_http_version")) {
                throw m.get("proxy_http_version").error("proxy_http_version has no effect under grpc_pass: gRPC always goes "
                        + "to the servers as HTTP/2");
            }
            for (String k2 : m.keySet()) {
                if (PROXY_KEYS.contains(k2)) {
                    throw m.get(k2).error("'" + k2 + "' has no effect under grpc_pass (nginx ignores it there); use '"
                            + "grpc_" + k2.substring("proxy_".length()) + "'");
                }
            }
        } else {
            for (String k2 : m.keySet()) {
                if (GRPC_KEYS.contains(k2)) {
                    throw m.get(k2).error("'" + k2 + "' applies to grpc_pass locations; this one has proxy_pass, so use '"
                            + "proxy_" + k2.substring("grpc_".length()) + "'");
                }
            }
        }
        if (pass != null && ret != null) {
            throw m.get("return").error("a location has " + (grpc ? "grpc_pass" : "proxy_pass") + " or return, not both");
        }
        if (pass == null) {
            if (ret == null && !m.containsKey("locations") && rewrites.isEmpty()) {
                throw node.error("missing 'proxy_pass' (expected e.g. proxy_pass: http://backend, grpc_pass: grpc://backend, "
                        + "return: 404, rewrite, or nested locations)");
            }
            return new LocationConfig(k, exact, null, null, null, false, defaults, grpc, limits, connLimits, limitRate(m, rate),
                    internal, ret, rewrites, pages, intercept);
        }
        String url = pass.text().trim();
        String plain = grpc ? "grpc://" : "http://";
        String secure = grpc ? "grpcs://" : "https://";
        boolean https = url.regionMatches(true, 0, secure, 0, secure.length());
        if (!https && !url.regionMatches(true, 0, plain, 0, plain.length())) {
            throw pass.invalid(grpc ? "grpc://UPSTREAM_OR_HOST[:PORT] or grpcs://..."
                    : "http://UPSTREAM_OR_HOST[:PORT][/URI] or https://...");
        }
        int defaultPort = https ? 443 : 80;
        String rest = url.substring(https ? secure.length() : plain.length());
        int slash = rest.indexOf('/');
        String hostPart = slash < 0 ? rest : rest.substring(0, slash);
        String uri = slash < 0 ? null : rest.substring(slash);
        if (grpc && uri != null) {
            throw pass.invalid("grpc://UPSTREAM_OR_HOST[:PORT] without a URI part (a gRPC method's path goes as it came)");
        }
        if (uri != null && byPattern) {
            throw pass.error("'" + url + "': proxy_pass cannot have a URI part in a location given by a regular expression, "
                    + "or inside a named location (as in nginx)");
        }
        if (uri != null && (uri.contains("$") || uri.contains("?") || uri.contains("#"))) {
            throw pass.invalid("a URI part without variables, query or fragment");
        }
        String upstream;
        String proxyHost;
        if (upstreams.containsKey(hostPart)) {
            upstream = hostPart;
            proxyHost = hostPart;
        } else {
            Addresses.HostPort hp;
            try {
                hp = Addresses.split(hostPart, defaultPort);
            } catch (IllegalArgumentException e) {
                throw pass.invalid("http://UPSTREAM_OR_HOST[:PORT][/URI] (" + e.getMessage() + ")");
            }
            if (!hp.portGiven() && !upstreams.containsKey(hp.host()) && hp.host().matches("[A-Za-z0-9_-]+")
                    && !hp.host().equals("localhost")) {
                // A bare name that is neither an upstream nor resolvable is almost always a typo.
                try {
                    Addresses.resolve(hp);
                } catch (UnknownHostException e) {
                    throw pass.error("'" + url + "': host not found in upstream '" + hp.host()
                            + "' (expected the name of an upstream: " + String.join(", ", upstreams.keySet()) + ")");
                }
            }
            // An implicit upstream is named by its host and port (the scheme's default port left out
            // over http, as ever); https://host and http://host:443 are the same servers.
            proxyHost = hp.port() == defaultPort ? hp.host() : hp.host() + ":" + hp.port();
            upstream = hp.port() == 80 ? hp.host() : hp.host() + ":" + hp.port();
            if (!upstreams.containsKey(upstream)) {
                try {
                    List<ServerConfig> servers = new ArrayList<>();
                    for (InetSocketAddress a : Addresses.resolve(hp)) {
                        servers.add(new ServerConfig(upstream, a, 1, 1, 10, 0, false, false));
                    }
                    upstreams.put(upstream, new UpstreamConfig(upstream, new BalanceMethod.RoundRobin(),
                            List.copyOf(servers), 32, 1000, Duration.ofSeconds(60), Duration.ofHours(1), true,
                            QueueConfig.NONE, List.of(), null, null, List.of()));
                } catch (UnknownHostException e) {
                    throw pass.error("'" + url + "': host not found: '" + hp.host() + "'");
                }
            }
        }
        ProxySettings settings = grpc ? proxySettings(asProxyKeys(m), grpcDefaults, base) : proxySettings(m, defaults, base);
        if (grpc) {
            settings = withHttp2(settings);
        }
        if (https && settings.ssl().verify() && settings.ssl().trusted().isEmpty()) {
            throw pass.error("'" + url + "' with proxy_ssl_verify on needs proxy_ssl_trusted_certificate, the CAs to "
                    + "check the servers' certificates against (nginx: no proxy_ssl_trusted_certificate for proxy_ssl_verify)");
        }
        if (https && settings.ssl().serverName()) {
            String name = settings.ssl().nameFor(proxyHost);
            try {
                if (!name.matches("[0-9.]+|.*:.*")) {
                    // The byte form, as nginx sends any host name (underscores too), not only STD3 ones.
                    new javax.net.ssl.SNIHostName(name.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                }
            } catch (IllegalArgumentException e) {
                throw pass.error("'" + url + "' with proxy_ssl_server_name on would send '" + name + "' as the server name,"
                        + " which is not a host name (" + e.getMessage() + "); set proxy_ssl_name to the servers' name");
            }
        }
        return new LocationConfig(k, exact, upstream, proxyHost, uri, https, settings, grpc, limits, connLimits,
                limitRate(m, rate), internal, null, rewrites, pages, intercept);
    }

    private static boolean flagOr(Map<String, YamlNode> m, String key, boolean inherited) {
        YamlNode n = m.get(key);
        return n == null ? inherited : ServerLines.flag(n, key, n.text());
    }

    /** A level's {@code error_page} lines; a level that has any replaces what it inherited, as in nginx. */
    private static List<ErrorPage> errorPages(Map<String, YamlNode> m, List<ErrorPage> inherited) {
        YamlNode node = m.get("error_page");
        if (node == null) {
            return inherited;
        }
        return each(node, ErrorPage::parse);
    }

    /**
     * A level's rewrites as nginx runs them: a {@code return} written before them ends the level's
     * script first, so they are never reached (they run before a {@code return} written after them).
     */
    private static List<Rewrite> reachableRewrites(Map<String, YamlNode> m) {
        for (String key : m.keySet()) {
            if (key.equals("return")) {
                return List.of();
            }
            if (key.equals("rewrite")) {
                break;
            }
        }
        return rewrites(m.get("rewrite"));
    }

    private static List<Rewrite> rewrites(YamlNode node) {
        return node == null ? List.of() : each(node, Rewrite::parse);
    }

    /** One value or a list, each parsed; a value the parser refuses is an error at its line. */
    private static <T> List<T> each(YamlNode node, java.util.function.Function<String, T> parse) {
        List<T> out = new ArrayList<>();
        for (YamlNode n : node.oneOrMany()) {
            try {
                out.add(parse.apply(n.text()));
            } catch (IllegalArgumentException e) {
                throw n.error(e.getMessage());
            }
        }
        return List.copyOf(out);
    }

    /** Every {@code error_page @name} of a server must name one of its named locations. */
    private static void checkErrorPages(VirtualServer s, YamlNode where) {
        List<List<ErrorPage>> all = new ArrayList<>();
        all.add(s.errorPages());
        s.locations().flatten().forEach(l -> all.add(l.errorPages()));
        s.named().values().forEach(l -> all.add(l.errorPages()));
        for (List<ErrorPage> pages : all) {
            for (ErrorPage p : pages) {
                if (p.named() && !s.named().containsKey(p.uri())) {
                    throw where.error("error_page names location '" + p.uri() + "', which the server does not have (expected "
                            + (s.named().isEmpty() ? "a location '" + p.uri() + "'" : "one of " + s.named().keySet()) + ")");
                }
            }
        }
    }

    /** What every location of a level inherits: the directives in force there. */
    private record Level(ProxySettings proxy, ProxySettings grpc, LimitReqSettings req, LimitConnSettings conn,
                         io.stampede.balancer.limit.LimitRate rate, List<ErrorPage> errorPages, boolean intercept,
                         boolean internal) {}

    /**
     * The parts of the configuration every server and location is built against.
     *
     * @param topSsl the top level's ssl_* lines, which a server's own override one by one
     * @param topCertified whether the top level's TLS settings have a certificate (servers without their own use them)
     * @param sslAddresses the addresses that speak TLS (ssl on any server's line for it, as nginx combines them)
     */
    private record Build(Map<String, UpstreamConfig> upstreams, Path base, Map<String, LimitReqZone> zones,
                         Map<String, LimitConnZone> connZones, Map<String, MatchConfig> matches,
                         Map<String, YamlNode> topSsl, boolean topCertified, Set<InetSocketAddress> sslAddresses) {}

    /** A level's directives ({@code m}: a server's or a location's) over its parent's. */
    private static Level level(Map<String, YamlNode> m, Level parent, Build b) {
        return new Level(proxySettings(m, parent.proxy(), b.base()), proxySettings(asProxyKeys(m), parent.grpc(), b.base()),
                limitReq(m, parent.req(), b.zones()), limitConn(m, parent.conn(), b.connZones()), limitRate(m, parent.rate()),
                errorPages(m, parent.errorPages()), flagOr(m, "proxy_intercept_errors", parent.intercept()),
                flagOr(m, "internal", parent.internal()));
    }

    private static ReturnAction returnAction(YamlNode n) {
        if (n == null) {
            return null;
        }
        try {
            return ReturnAction.parse(n.text());
        } catch (IllegalArgumentException e) {
            throw n.error(e.getMessage());
        }
    }

    /** The top level's {@code listen} lines (127.0.0.1:8080 when there are none). */
    private static List<Listener> listeners(YamlNode node, boolean http2) {
        List<Listener> listen = new ArrayList<>();
        if (node == null) {
            listen.add(new Listener(new InetSocketAddress("127.0.0.1", 8080), false, http2));
            return listen;
        }
        for (YamlNode n : node.oneOrMany()) {
            listen.add(listener(n, http2));
        }
        return listen;
    }

    /** Every address the servers listen on, once each; servers sharing one must agree on its ssl and http2. */
    private static List<Listener> distinctListeners(YamlNode serversNode, boolean http2) {
        Map<InetSocketAddress, Listener> out = new LinkedHashMap<>();
        for (YamlNode sn : serversNode.list()) {
            Map<String, YamlNode> m = sn.map(SERVER_KEYS);
            for (Listener l : listeners(m.get("listen"), http2)) {
                // Servers sharing an address share its socket: ssl or http2 on any of their lines
                // is on for the address, as nginx combines them.
                out.merge(l.address(), l, (a, b) -> new Listener(a.address(), a.ssl() || b.ssl(), a.http2() || b.http2()));
            }
        }
        return List.copyOf(out.values());
    }

    /** One entry of {@code servers}: nginx's {@code server} block. */
    private static VirtualServer server(YamlNode node, Level parent, Build b, boolean http2) {
        Map<String, YamlNode> m = node.map(SERVER_KEYS);
        List<Listener> listen = listeners(m.get("listen"), http2);
        List<InetSocketAddress> defaultOn = new ArrayList<>();
        if (m.containsKey("listen")) {
            List<YamlNode> lines = m.get("listen").oneOrMany();
            for (int i = 0; i < lines.size(); i++) {
                if (isDefaultServer(lines.get(i))) {
                    defaultOn.add(listen.get(i).address());
                }
            }
        }
        List<String> names = new ArrayList<>();
        if (m.containsKey("server_name")) {
            for (YamlNode n : m.get("server_name").oneOrMany()) {
                for (String w : n.text().trim().split("\\s+")) {
                    names.add(w.equals("\"\"") || w.equals("''") ? "" : w);
                }
            }
        } else {
            names.add("");
        }
        Level level = level(m, parent, b);
        ReturnAction ret = returnAction(m.get("return"));
        if (ret == null && !m.containsKey("locations")) {
            throw node.error("a server needs 'locations' (or a 'return'), e.g. locations: {/: {proxy_pass: http://backend}}");
        }
        Map<String, LocationConfig> named = new LinkedHashMap<>();
        LocationTree tree = m.containsKey("locations") ? locations(m.get("locations"), level, b, null, named) : LocationTree.EMPTY;
        VirtualServer s = new VirtualServer(List.copyOf(names), listen, List.copyOf(defaultOn), tree, Map.copyOf(named), ret,
                reachableRewrites(m), level.errorPages(), serverSsl(node, m, listen, b));
        checkErrorPages(s, node);
        return s;
    }

    /**
     * A server's own TLS settings: its ssl_* lines over the top level's, one by one, as nginx
     * merges them; null when it has none (the top level's serve it) or no ssl listener (nobody
     * reads them, as in nginx). A server on an ssl listener with no certificate anywhere is an error.
     */
    private static SslSettings serverSsl(YamlNode node, Map<String, YamlNode> m, List<Listener> listen, Build b) {
        if (listen.stream().noneMatch(l -> b.sslAddresses().contains(l.address()))) {
            return null;
        }
        boolean own = m.keySet().stream().anyMatch(SERVER_SSL_KEYS::contains);
        if (!own && b.topCertified()) {
            return null;
        }
        Map<String, YamlNode> merged = new LinkedHashMap<>(b.topSsl());
        m.forEach((k, v) -> {
            if (SERVER_SSL_KEYS.contains(k)) {
                merged.put(k, v);
            }
        });
        if (!merged.containsKey("ssl_certificate") && !merged.containsKey("ssl_certificate_key")) {
            // No certificate anywhere: the address's default server's context serves it, as in nginx
            // (which only asks the default server for one; checked once the servers are known).
            return null;
        }
        return SslDirectives.read(merged, m.getOrDefault("listen", node), true, b.base());
    }

    /**
     * A level of locations, nested ones included. {@code parent} is the enclosing location's node
     * (null at the server's level); {@code named} collects the server's {@code @name} locations.
     */
    private static LocationTree locations(YamlNode node, Level level, Build b, LocationTree.Node parent,
                                          Map<String, LocationConfig> named) {
        Map<String, YamlNode> entries = node.map();
        if (entries.isEmpty()) {
            throw node.error("no locations (expected at least one, e.g. /: {proxy_pass: http://backend})");
        }
        List<LocationTree.Node> nodes = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (Map.Entry<String, YamlNode> e : entries.entrySet()) {
            String key = e.getKey().trim();
            YamlNode ln = e.getValue();
            LocationTree.Kind kind;
            String path;
            java.util.regex.Pattern regex = null;
            if (key.startsWith("@")) {
                if (parent != null) {
                    throw ln.error("named location '" + key + "' can be on the server level only");
                }
                kind = null;
                path = key;
            } else if (key.startsWith("=")) {
                kind = LocationTree.Kind.EXACT;
                path = key.substring(1).trim();
            } else if (key.startsWith("^~")) {
                kind = LocationTree.Kind.NOREGEX;
                path = key.substring(2).trim();
            } else if (key.startsWith("~")) {
                kind = LocationTree.Kind.REGEX;
                boolean caseless = key.startsWith("~*");
                path = key.substring(caseless ? 2 : 1).trim();
                try {
                    // PCRE's (?P<name>...) is Java's (?<name>...).
                    regex = java.util.regex.Pattern.compile(path.replace("(?P<", "(?<"),
                            caseless ? java.util.regex.Pattern.CASE_INSENSITIVE : 0);
                } catch (java.util.regex.PatternSyntaxException ex) {
                    throw ln.error("location '" + key + "': not a regular expression (" + ex.getDescription() + ")");
                }
            } else {
                kind = LocationTree.Kind.PREFIX;
                path = key;
            }
            if (kind != LocationTree.Kind.REGEX && kind != null && !path.startsWith("/")) {
                throw ln.error("location '" + key + "' (expected a path starting with /, after '= ' or '^~ ' if any, "
                        + "'~ REGEX', '~* REGEX' or '@name')");
            }
            if (parent != null) {
                if (parent.kind() == LocationTree.Kind.EXACT) {
                    throw ln.error("location '" + key + "' cannot be inside the exact location '= " + parent.location().path() + "'");
                }
                if (kind != LocationTree.Kind.REGEX && !path.startsWith(parent.location().path())) {
                    throw ln.error("location '" + key + "' is outside location '" + parent.location().path() + "'");
                }
            }
            String id = (kind == null ? "" : kind.name()) + " " + path;
            if (!seen.add(id) || (kind == null && named.containsKey(path))) {
                throw ln.error("duplicate location '" + key + "'");
            }
            LocationConfig l = location(key, path, kind == LocationTree.Kind.EXACT,
                    kind == LocationTree.Kind.REGEX || kind == null, ln, level, b);
            healthCheck(ln.map(LOCATION_KEYS).get("health_check"), l, b);
            if (kind == null) {
                if (ln.map(LOCATION_KEYS).containsKey("locations")) {
                    throw ln.map(LOCATION_KEYS).get("locations").error("location '" + key + "': a named location holds no locations");
                }
                named.put(path, l);
                continue;
            }
            LocationTree.Node self = new LocationTree.Node(l, kind, regex, null);
            YamlNode inner = ln.map(LOCATION_KEYS).get("locations");
            if (inner != null) {
                if (kind == LocationTree.Kind.EXACT) {
                    throw inner.error("location '" + key + "': an exact location holds no locations");
                }
                LocationTree nested = locations(inner, level(ln.map(LOCATION_KEYS), level, b), b, self, named);
                self = new LocationTree.Node(l, kind, regex, nested);
            }
            nodes.add(self);
        }
        return new LocationTree(nodes);
    }

    private static void healthCheck(YamlNode hc, LocationConfig l, Build b) {
        if (hc == null) {
            return;
        }
        if (l.upstream() == null) {
            throw hc.error("health_check needs proxy_pass or grpc_pass in its location");
        }
        try {
            HealthCheckConfig check = HealthCheckConfig.parse(hc.text(), b.matches(), l.proxyHost(),
                    l.proxy().connectTimeout(), l.proxy().readTimeout()).withTransport(l.https() ? l.proxy().ssl() : null, l.proxy().http2());
            b.upstreams().put(l.upstream(), b.upstreams().get(l.upstream()).withHealthCheck(check));
        } catch (IllegalArgumentException ex) {
            throw hc.error(ex.getMessage());
        }
    }

    private static ProxySettings proxySettings(Map<String, YamlNode> m, ProxySettings inherited, Path base) {
        int mask = inherited.nextUpstream();
        if (m.containsKey("proxy_next_upstream")) {
            YamlNode n = m.get("proxy_next_upstream");
            try {
                mask = NextUpstream.parseMask(n.text());
            } catch (IllegalArgumentException e) {
                throw n.error(e.getMessage());
            }
        }
        int tries = m.containsKey("proxy_next_upstream_tries")
                ? integer(m.get("proxy_next_upstream_tries"), 0, 10_000, "an integer >= 0 (0 = no limit)") : inherited.nextUpstreamTries();
        List<HeaderSetting> headers = inherited.setHeaders();
        if (m.containsKey("proxy_set_header")) {
            // As in nginx, a level that sets headers replaces the inherited list.
            headers = new ArrayList<>();
            for (Map.Entry<String, YamlNode> e : m.get("proxy_set_header").map().entrySet()) {
                if (!HEADER_NAME.matcher(e.getKey()).matches()) {
                    throw e.getValue().error("'" + e.getKey() + "' is not a header name");
                }
                String value = e.getValue().isScalar() ? e.getValue().text() : null;
                if (value == null || value.indexOf('\r') >= 0 || value.indexOf('\n') >= 0) {
                    throw e.getValue().invalid("a header value on one line (\"\" removes the header)");
                }
                try {
                    headers.add(new HeaderSetting(e.getKey(), Template.parse(value)));
                } catch (IllegalArgumentException ex) {
                    throw e.getValue().error(ex.getMessage());
                }
            }
            headers = List.copyOf(headers);
        }
        boolean forwarded = inherited.forwardedHeaders();
        if (m.containsKey("proxy_forwarded_headers")) {
            forwarded = ServerLines.flag(m.get("proxy_forwarded_headers"), "proxy_forwarded_headers",
                    m.get("proxy_forwarded_headers").text());
        }
        long buffer = m.containsKey("proxy_buffer_size") ? size(m.get("proxy_buffer_size"), 8192) : inherited.bufferSize();
        if (buffer < 1024 || buffer > 1024 * 1024) {
            throw m.get("proxy_buffer_size").invalid("a size from 1k to 1m");
        }
        boolean http2 = inherited.http2();
        if (m.containsKey("proxy_http_version")) {
            YamlNode v = m.get("proxy_http_version");
            switch (v.text().trim()) {
                case "1.1" -> http2 = false;
                case "2", "2.0" -> http2 = true;
                case "1.0" -> throw v.error("proxy_http_version 1.0 is not supported: requests always go to the servers as "
                        + "HTTP/1.1 with keep-alive (expected 1.1 or 2)");
                default -> throw v.invalid("1.1 or 2");
            }
        }
        return new ProxySettings(mask, tries,
                duration(m.get("proxy_next_upstream_timeout"), inherited.nextUpstreamTimeout(), true),
                duration(m.get("proxy_connect_timeout"), inherited.connectTimeout(), false),
                duration(m.get("proxy_read_timeout"), inherited.readTimeout(), false),
                duration(m.get("proxy_send_timeout"), inherited.sendTimeout(), false),
                headers, forwarded, (int) buffer, ProxySslDirectives.read(m, inherited.ssl(), base), http2);
    }

    /**
     * {@code ADDRESS:PORT [ssl] [http2]}, as nginx's listen directive ({@code http2} there is
     * deprecated in nginx for the {@code http2} directive, and means the same here).
     */
    private static boolean isDefaultServer(YamlNode n) {
        for (String w : n.text().trim().split("\\s+")) {
            if (w.equals("default_server") || w.equals("default")) {
                return true;
            }
        }
        return false;
    }

    private static Listener listener(YamlNode n, boolean http2Everywhere) {
        String[] words = n.text().trim().split("\\s+");
        boolean ssl = false;
        boolean http2 = http2Everywhere;
        for (int i = 1; i < words.length; i++) {
            switch (words[i]) {
                case "ssl" -> ssl = true;
                case "http2" -> http2 = true;
                case "default_server", "default" -> { } // which server answers unknown names (servers only)
                default -> throw n.error("unknown listen parameter '" + words[i] + "' (expected ssl, http2 or default_server)");
            }
        }
        try {
            Addresses.HostPort hp = Addresses.split(words[0], 80, true);
            return new Listener(Addresses.resolve(hp).get(0), ssl, http2);
        } catch (IllegalArgumentException | UnknownHostException e) {
            throw n.invalid("ADDRESS:PORT [ssl] [http2], PORT or [IPv6]:PORT, e.g. 127.0.0.1:8443 ssl http2");
        }
    }

    private static InetSocketAddress listenAddress(YamlNode n) {
        try {
            Addresses.HostPort hp = Addresses.split(n.text(), 80, true);
            return Addresses.resolve(hp).get(0);
        } catch (IllegalArgumentException | UnknownHostException e) {
            throw n.invalid("ADDRESS:PORT, PORT or [IPv6]:PORT, e.g. 127.0.0.1:8080");
        }
    }

    private static Duration duration(YamlNode n, Duration fallback, boolean zeroAllowed) {
        return n == null ? fallback : n.duration(zeroAllowed);
    }

    private static long size(YamlNode n, long fallback) {
        return n == null ? fallback : n.size();
    }

    private static int integer(YamlNode n, int min, int max, String expected) {
        return n.integer(min, max, expected);
    }

    /**
     * {@code pid}: the file the running proxy writes its process id to, which {@code -s} reads.
     * Without it, a file in the temporary directory named for the configuration file, so
     * {@code stampede proxy -s reload -c FILE} finds the proxy started with {@code -c FILE}.
     */
    private static Path pidFile(YamlNode node, String source) {
        if (node != null) {
            String v = node.text().trim();
            if (v.isEmpty()) {
                throw node.invalid("a file path");
            }
            return Path.of(v).toAbsolutePath();
        }
        String name = source == null ? "inline" : Path.of(source).toAbsolutePath().normalize().toString();
        return Path.of(System.getProperty("java.io.tmpdir"),
                "stampede-proxy-" + Integer.toHexString(name.hashCode()) + ".pid");
    }

    /** The {@code limit_req_zone}s, by name (each a line, as nginx writes it). */
    private static Map<String, LimitReqZone> limitReqZones(YamlNode node) {
        Map<String, LimitReqZone> out = new LinkedHashMap<>();
        if (node == null) {
            return out;
        }
        for (YamlNode n : node.oneOrMany()) {
            LimitReqZone z;
            try {
                z = LimitReqZone.parse(n.text());
            } catch (IllegalArgumentException e) {
                throw n.error(e.getMessage());
            }
            if (out.put(z.name(), z) != null) {
                throw n.error("zone \"" + z.name() + "\" is declared twice");
            }
        }
        return Map.copyOf(out);
    }

    /** The {@code limit_conn_zone}s, by name. */
    private static Map<String, LimitConnZone> limitConnZones(YamlNode node) {
        Map<String, LimitConnZone> out = new LinkedHashMap<>();
        if (node == null) {
            return out;
        }
        for (YamlNode n : node.oneOrMany()) {
            LimitConnZone z;
            try {
                z = LimitConnZone.parse(n.text());
            } catch (IllegalArgumentException e) {
                throw n.error(e.getMessage());
            }
            if (out.put(z.name(), z) != null) {
                throw n.error("zone \"" + z.name() + "\" is declared twice");
            }
        }
        return Map.copyOf(out);
    }

    /** A level's {@code limit_conn*} directives over {@code inherited}. */
    private static LimitConnSettings limitConn(Map<String, YamlNode> m, LimitConnSettings inherited, Map<String, LimitConnZone> zones) {
        List<LimitConn> rules = limitRules(m, "limit_conn", inherited.rules(), LimitConn::parse, LimitConn::zone, zones.keySet());
        LimitTail t = limitTail(m, "limit_conn", new LimitTail(inherited.status(), inherited.dryRun(), inherited.logLevel()));
        return new LimitConnSettings(rules, t.status(), t.dryRun(), t.logLevel());
    }

    /** A level's {@code limit_req*} directives over {@code inherited}. */
    private static LimitReqSettings limitReq(Map<String, YamlNode> m, LimitReqSettings inherited, Map<String, LimitReqZone> zones) {
        List<LimitReq> rules = limitRules(m, "limit_req", inherited.rules(), LimitReq::parse, LimitReq::zone, zones.keySet());
        LimitTail t = limitTail(m, "limit_req", new LimitTail(inherited.status(), inherited.dryRun(), inherited.logLevel()));
        return new LimitReqSettings(rules, t.status(), t.dryRun(), t.logLevel());
    }

    /** {@code limit_req} or {@code limit_conn} lines of a level (replacing the inherited ones), each naming a declared zone. */
    private static <R> List<R> limitRules(Map<String, YamlNode> m, String key, List<R> inherited,
                                          java.util.function.Function<String, R> parse, java.util.function.Function<R, String> zoneOf,
                                          Set<String> zones) {
        if (!m.containsKey(key)) {
            return inherited;
        }
        List<R> rules = new ArrayList<>();
        for (YamlNode n : m.get(key).oneOrMany()) {
            R r;
            try {
                r = parse.apply(n.text());
            } catch (IllegalArgumentException e) {
                throw n.error(e.getMessage());
            }
            if (!zones.contains(zoneOf.apply(r))) {
                throw n.error("no " + key + "_zone named \"" + zoneOf.apply(r) + "\" (expected one of: "
                        + (zones.isEmpty() ? "none is declared; add " + key + "_zone" : String.join(", ", zones)) + ")");
            }
            rules.add(r);
        }
        return List.copyOf(rules);
    }

    /** A level's {@code limit_rate} (bytes a second, 0 for none) and {@code limit_rate_after} over {@code inherited}. */
    private static io.stampede.balancer.limit.LimitRate limitRate(Map<String, YamlNode> m, io.stampede.balancer.limit.LimitRate inherited) {
        long rate = m.containsKey("limit_rate") ? m.get("limit_rate").size() : inherited.rate();
        long after = m.containsKey("limit_rate_after") ? m.get("limit_rate_after").size() : inherited.after();
        return rate == inherited.rate() && after == inherited.after() ? inherited : new io.stampede.balancer.limit.LimitRate(rate, after);
    }

    /** The {@code _status}, {@code _dry_run} and {@code _log_level} of a limit module. */
    private record LimitTail(int status, boolean dryRun, String logLevel) {}

    private static LimitTail limitTail(Map<String, YamlNode> m, String prefix, LimitTail inherited) {
        int status = m.containsKey(prefix + "_status")
                ? integer(m.get(prefix + "_status"), 400, 599, "a status from 400 to 599") : inherited.status();
        YamlNode dry = m.get(prefix + "_dry_run");
        boolean dryRun = dry != null ? ServerLines.flag(dry, prefix + "_dry_run", dry.text()) : inherited.dryRun();
        String level = inherited.logLevel();
        YamlNode lv = m.get(prefix + "_log_level");
        if (lv != null) {
            level = lv.text().trim();
            if (!Set.of("info", "notice", "warn", "error").contains(level)) {
                throw lv.invalid("info, notice, warn or error");
            }
        }
        return new LimitTail(status, dryRun, level);
    }

    private static ProxySettings withHttp2(ProxySettings p) {
        return new ProxySettings(p.nextUpstream(), p.nextUpstreamTries(), p.nextUpstreamTimeout(), p.connectTimeout(),
                p.readTimeout(), p.sendTimeout(), p.setHeaders(), p.forwardedHeaders(), p.bufferSize(), p.ssl(), true);
    }

    /** The grpc_* names of the proxy_* directives the grpc module copies (not proxy_http_version: gRPC is HTTP/2). */
    private static Set<String> grpcNames(Set<String> proxyKeys) {
        Set<String> out = new HashSet<>();
        for (String k : proxyKeys) {
            if (!k.equals("proxy_http_version")) {
                out.add("grpc_" + k.substring("proxy_".length()));
            }
        }
        return Set.copyOf(out);
    }

    /** A block's grpc_* directives under their proxy_* names, so one reader serves both modules. */
    private static Map<String, YamlNode> asProxyKeys(Map<String, YamlNode> m) {
        Map<String, YamlNode> out = new LinkedHashMap<>();
        for (Map.Entry<String, YamlNode> e : m.entrySet()) {
            if (GRPC_KEYS.contains(e.getKey())) {
                out.put("proxy_" + e.getKey().substring("grpc_".length()), e.getValue());
            }
        }
        return out;
    }

    private static Set<String> union(Set<String> a, Set<String> b) {
        Set<String> out = new HashSet<>(a);
        out.addAll(b);
        return Set.copyOf(out);
    }
}
