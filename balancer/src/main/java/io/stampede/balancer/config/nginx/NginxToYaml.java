package io.stampede.balancer.config.nginx;

import io.stampede.balancer.config.nginx.NginxConf.Directive;
import io.stampede.common.yaml.ConfigException;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * An nginx.conf's directives as the native configuration's keys: {@code http}'s directives at the
 * top level, {@code upstream} blocks under {@code upstreams}, {@code server} blocks as entries of
 * {@code servers} with their {@code location} blocks (nested ones too) under {@code locations},
 * {@code map} and {@code match} blocks, and every other directive under its own name with its words
 * as the value. What has no meaning for a proxy of one process without static files
 * ({@code events}, {@code sendfile}, {@code types}, ...) is skipped with a note; anything else we
 * do not support is an error naming the file, line and directive, or with {@code lenient} a warning.
 */
final class NginxToYaml {
    /** Directives skipped with a note, and why. */
    private static final Map<String, String> NO_EFFECT = Map.ofEntries(
            Map.entry("events", "one process on Netty's event loops: connections are bounded by the file limit"),
            Map.entry("user", "the proxy runs as the user who starts it"),
            Map.entry("error_log", "errors go to standard error"),
            Map.entry("worker_rlimit_nofile", "the file limit is the process's"),
            Map.entry("worker_connections", "connections are bounded by the file limit"),
            Map.entry("types", "no static files are served"),
            Map.entry("default_type", "no static files are served"),
            Map.entry("sendfile", "no static files are served"),
            Map.entry("tcp_nopush", "no static files are served"),
            Map.entry("tcp_nodelay", "TCP_NODELAY is always on"),
            Map.entry("types_hash_max_size", "no hash tables to size"),
            Map.entry("server_names_hash_bucket_size", "no hash tables to size"),
            Map.entry("map_hash_bucket_size", "no hash tables to size"),
            Map.entry("server_tokens", "the proxy never sends a version"),
            Map.entry("zone", "one process: upstream state is shared by every event loop already"),
            Map.entry("load_module", "no dynamic modules"),
            Map.entry("pcre_jit", "Java's regular expressions"),
            Map.entry("gzip", "no response compression (gzip off)"),
            Map.entry("daemon", "the proxy runs in the foreground; ./stampede proxy -s signals it through its pid file"),
            Map.entry("master_process", "one process"),
            Map.entry("client_body_temp_path", "request bodies are never buffered to disk"),
            Map.entry("proxy_temp_path", "responses are never buffered to disk"),
            Map.entry("fastcgi_temp_path", "no FastCGI"),
            Map.entry("uwsgi_temp_path", "no uwsgi"),
            Map.entry("scgi_temp_path", "no SCGI"));

    private static final Set<String> LISTS = Set.of("listen", "limit_req", "limit_conn", "limit_req_zone", "limit_conn_zone",
            "rewrite", "error_page",
            "ssl_certificate", "ssl_certificate_key");
    private static final Set<String> BALANCE = Set.of("least_conn", "ip_hash", "hash", "random", "least_time");
    /**
     * Server-block lines that stand at the top level here, one for every server: http2, and the
     * TLS lines a server cannot have of its own. Its certificates, protocols, ciphers, sessions,
     * client verification and stapling stay in the server, chosen by SNI as in nginx.
     */
    private static final Set<String> SERVER_TO_TOP = Set.of("http2",
            "ssl_ecdh_curve", "ssl_dhparam", "ssl_early_data", "ssl_buffer_size");

    private final boolean lenient;
    private final Consumer<String> notes;
    private final Set<String> topKeys;
    private final Set<String> serverKeys;
    private final Set<String> locationKeys;
    private final Set<String> upstreamKeys;
    /** http2 and TLS lines of server blocks that only the top level has, raised there (one set for every server). */
    private final Map<String, List<Directive>> raised = new java.util.LinkedHashMap<>();

    NginxToYaml(boolean lenient, Consumer<String> notes, Set<String> topKeys, Set<String> serverKeys, Set<String> locationKeys,
                Set<String> upstreamKeys) {
        this.lenient = lenient;
        this.notes = notes;
        this.topKeys = topKeys;
        this.serverKeys = serverKeys;
        this.locationKeys = locationKeys;
        this.upstreamKeys = upstreamKeys;
    }

    YamlTree convert(List<Directive> main, String file) {
        YamlTree top = YamlTree.map(file, 1);
        boolean sawHttp = false;
        for (Directive d : main) {
            switch (d.name()) {
                case "http" -> {
                    if (sawHttp) {
                        throw new ConfigException(d.where() + ": \"http\" directive is duplicate");
                    }
                    sawHttp = true;
                    http(d.block(), top);
                }
                case "worker_processes", "pid" -> scalar(top, d);
                case "stream", "mail" -> unsupported(d, "only the http module is here");
                default -> {
                    if (!skipped(d)) {
                        unsupported(d, "not a main-context directive Stampede supports");
                    }
                }
            }
        }
        if (!sawHttp) {
            throw new ConfigException(file + ":1: no \"http\" block (expected http { server { ... } })");
        }
        return top;
    }

    private void http(List<Directive> block, YamlTree top) {
        for (Directive d : block) {
            switch (d.name()) {
                case "upstream" -> {
                    YamlTree ups = top.map.computeIfAbsent("upstreams", k -> YamlTree.map(d.file(), d.line()));
                    String name = arg(d, 0, 1);
                    if (ups.map.containsKey(name)) {
                        throw new ConfigException(d.where() + ": duplicate upstream \"" + name + "\"");
                    }
                    ups.map.put(name, upstream(d));
                }
                case "server" -> top.map.computeIfAbsent("servers", k -> YamlTree.list(d.file(), d.line())).list.add(server(d));
                case "map" -> {
                    if (d.args().size() != 2) {
                        throw new ConfigException(d.where() + ": invalid number of arguments in \"map\" directive");
                    }
                    YamlTree maps = top.map.computeIfAbsent("map", k -> YamlTree.map(d.file(), d.line()));
                    YamlTree m = YamlTree.map(d.file(), d.line());
                    for (Directive line : d.block()) {
                        String value = line.args().isEmpty() ? "on" : String.join(" ", line.args());
                        m.map.put(line.name(), YamlTree.text(value, line.file(), line.line()));
                    }
                    maps.map.put(d.args().get(0) + " " + d.args().get(1), m);
                }
                case "match" -> {
                    YamlTree matches = top.map.computeIfAbsent("match", k -> YamlTree.map(d.file(), d.line()));
                    YamlTree m = YamlTree.map(d.file(), d.line());
                    for (Directive line : d.block()) {
                        if (line.name().equals("header")) {
                            m.map.computeIfAbsent("header", k -> YamlTree.list(line.file(), line.line())).list
                                    .add(YamlTree.text(words(line), line.file(), line.line()));
                        } else if (line.name().equals("status") || line.name().equals("body")) {
                            scalar(m, line);
                        } else {
                            unsupported(line, "a match block holds status, header and body");
                        }
                    }
                    matches.map.put(arg(d, 0, 1), m);
                }
                case "access_log" -> {
                    if (d.args().size() > 2) {
                        notes.accept(d.where() + ": access_log's parameters after the format (" + String.join(" ",
                                d.args().subList(2, d.args().size())) + ") are skipped: lines are written as they come");
                    }
                    top.map.put("access_log", YamlTree.text(String.join(" ", d.args().subList(0, Math.min(2, d.args().size()))),
                            d.file(), d.line()));
                }
                case "log_format" -> {
                    // nginx joins the format's strings with nothing between them.
                    if (d.args().size() < 2) {
                        throw new ConfigException(d.where() + ": invalid number of arguments in \"log_format\" directive");
                    }
                    List<String> rest = d.args().subList(1, d.args().size());
                    String escape = rest.get(0).startsWith("escape=") ? rest.get(0) + " " : "";
                    String format = String.join("", escape.isEmpty() ? rest : rest.subList(1, rest.size()));
                    top.map.computeIfAbsent("log_format", k -> YamlTree.map(d.file(), d.line())).map
                            .put(d.args().get(0), YamlTree.text(escape + format, d.file(), d.line()));
                }
                default -> directive(top, d, topKeys, "http");
            }
        }
        // A server's own TLS lines win over the http block's, as in nginx.
        raised.forEach((name, lines) -> {
            Directive first = lines.get(0);
            if (LISTS.contains(name)) {
                YamlTree list = YamlTree.list(first.file(), first.line());
                lines.forEach(d -> list.list.add(YamlTree.text(words(d), d.file(), d.line())));
                top.map.put(name, list);
            } else {
                top.map.put(name, YamlTree.text(first.args().isEmpty() ? "on" : words(first), first.file(), first.line()));
            }
        });
    }

    private YamlTree upstream(Directive d) {
        YamlTree u = YamlTree.map(d.file(), d.line());
        for (Directive line : d.block()) {
            if (line.name().equals("server")) {
                u.map.computeIfAbsent("servers", k -> YamlTree.list(line.file(), line.line())).list
                        .add(YamlTree.text(words(line), line.file(), line.line()));
            } else if (BALANCE.contains(line.name())) {
                if (u.map.containsKey("balance")) {
                    throw new ConfigException(line.where() + ": load balancing method redefined");
                }
                String method = line.args().isEmpty() ? line.name() : line.name() + " " + words(line);
                u.map.put("balance", YamlTree.text(method, line.file(), line.line()));
            } else {
                directive(u, line, upstreamKeys, "upstream");
            }
        }
        return u;
    }

    private YamlTree server(Directive d) {
        YamlTree s = YamlTree.map(d.file(), d.line());
        Map<String, List<Directive>> tls = new java.util.LinkedHashMap<>();
        for (Directive line : d.block()) {
            switch (line.name()) {
                case "server_name" -> {
                    YamlTree names = s.map.computeIfAbsent("server_name", k -> YamlTree.list(line.file(), line.line()));
                    line.args().forEach(a -> names.list.add(YamlTree.text(a.isEmpty() ? "\"\"" : a, line.file(), line.line())));
                }
                case "location" -> location(s, line);
                default -> {
                    if (SERVER_TO_TOP.contains(line.name())) {
                        tls.computeIfAbsent(line.name(), k -> new java.util.ArrayList<>()).add(line);
                    } else {
                        directive(s, line, serverKeys, "server");
                    }
                }
            }
        }
        tls.forEach(this::raise);
        return s;
    }

    /**
     * {@link #SERVER_TO_TOP} lines belong to the top level here, shared by every server; a server's
     * lines go there, and two servers asking for different ones are refused.
     */
    private void raise(String name, List<Directive> lines) {
        List<Directive> before = raised.putIfAbsent(name, lines);
        if (before != null && !before.stream().map(Directive::args).toList().equals(lines.stream().map(Directive::args).toList())) {
            Directive line = lines.get(0);
            throw new ConfigException(line.where() + ": \"" + name + " " + words(line) + "\" differs from \""
                    + words(before.get(0)) + "\" at " + before.get(0).where() + ": this setting is shared by every server "
                    + "here (certificates, protocols, ciphers, sessions and client verification may differ per server)");
        }
    }

    private void location(YamlTree parent, Directive d) {
        if (d.block() == null || d.args().isEmpty()) {
            throw new ConfigException(d.where() + ": invalid \"location\" (expected location [=|~|~*|^~] PATH { ... })");
        }
        YamlTree locations = parent.map.computeIfAbsent("locations", k -> YamlTree.map(d.file(), d.line()));
        String key = String.join(" ", d.args());
        if (locations.map.containsKey(key)) {
            throw new ConfigException(d.where() + ": duplicate location \"" + key + "\"");
        }
        YamlTree l = YamlTree.map(d.file(), d.line());
        for (Directive line : d.block()) {
            if (line.name().equals("location")) {
                location(l, line);
            } else {
                directive(l, line, locationKeys, "location");
            }
        }
        locations.map.put(key, l);
    }

    /** A directive under its own name; a repeatable one as a list, proxy_set_header as a map of headers. */
    private void directive(YamlTree into, Directive d, Set<String> allowed, String context) {
        if (skipped(d)) {
            return;
        }
        if (d.block() != null) {
            unsupported(d, "not a block Stampede supports in " + context);
            return;
        }
        String name = d.name();
        if (!allowed.contains(name)) {
            unsupported(d, "not supported in " + context);
            return;
        }
        if (name.equals("proxy_set_header") || name.equals("grpc_set_header")) {
            if (d.args().isEmpty() || d.args().size() > 2) {
                throw new ConfigException(d.where() + ": invalid number of arguments in \"" + name + "\" directive");
            }
            YamlTree headers = into.map.computeIfAbsent(name, k -> YamlTree.map(d.file(), d.line()));
            headers.map.put(d.args().get(0), YamlTree.text(d.args().size() == 2 ? d.args().get(1) : "", d.file(), d.line()));
            return;
        }
        if (LISTS.contains(name)) {
            into.map.computeIfAbsent(name, k -> YamlTree.list(d.file(), d.line())).list.add(YamlTree.text(words(d), d.file(), d.line()));
            return;
        }
        scalar(into, d);
    }

    private static void scalar(YamlTree into, Directive d) {
        if (into.map.containsKey(d.name())) {
            throw new ConfigException(d.where() + ": \"" + d.name() + "\" directive is duplicate");
        }
        into.map.put(d.name(), YamlTree.text(d.args().isEmpty() ? "on" : words(d), d.file(), d.line()));
    }

    private boolean skipped(Directive d) {
        String why = NO_EFFECT.get(d.name());
        if (why == null && d.name().startsWith("gzip_")) {
            why = NO_EFFECT.get("gzip");
        }
        if (why == null) {
            return false;
        }
        notes.accept(d.where() + ": \"" + d.name() + "\" skipped (" + why + ")");
        return true;
    }

    private void unsupported(Directive d, String why) {
        String message = d.where() + ": unsupported directive \"" + d.name() + "\" (" + why + ")";
        if (!lenient) {
            throw new ConfigException(message + "; --lenient skips it with a warning");
        }
        notes.accept("warning: " + message + ", skipped");
    }

    private static String words(Directive d) {
        if (d.name().equals("return") && d.args().size() == 2) {
            // The text as the parser read it (escapes already turned into characters), quoted and
            // escaped again, so that the value keeps it whole, trailing newline and all.
            return d.args().get(0) + " " + NginxStrings.quote(d.args().get(1));
        }
        StringBuilder b = new StringBuilder();
        for (String a : d.args()) {
            if (b.length() > 0) {
                b.append(' ');
            }
            b.append(a);
        }
        return b.toString();
    }

    private static String arg(Directive d, int i, int count) {
        if (d.args().size() != count) {
            throw new ConfigException(d.where() + ": invalid number of arguments in \"" + d.name() + "\" directive");
        }
        return d.args().get(i);
    }
}
