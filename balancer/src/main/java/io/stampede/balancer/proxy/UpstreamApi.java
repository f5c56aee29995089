package io.stampede.balancer.proxy;

import com.fasterxml.jackson.databind.JsonNode;
import io.stampede.balancer.admin.UpstreamEditor;
import io.stampede.balancer.config.ProxyConfig;
import io.stampede.balancer.config.ServerConfig;
import io.stampede.balancer.config.StateFile;
import io.stampede.balancer.config.UpstreamConfig;
import io.stampede.balancer.config.directive.ServerLine;
import io.stampede.balancer.upstream.Peer;
import io.stampede.common.Durations;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/**
 * nginx Plus's API for an upstream's servers, over the running configuration. A change is made as
 * a reload of the running configuration with that upstream's servers changed, so it has a
 * reload's guarantees: servers that stay keep their state (and id), requests in flight finish
 * where they started, and the change is applied whole or not at all. With a {@code state} file,
 * the servers are written there after each change; without one, a reload from the file brings back
 * the configured servers, as in nginx Plus.
 */
final class UpstreamApi implements UpstreamEditor {
    private static final Set<String> FIELDS = Set.of("server", "weight", "max_conns", "max_fails", "fail_timeout",
            "slow_start", "route", "backup", "down", "drain");
    private static final String DOCS = "https://nginx.org/en/docs/http/ngx_http_api_module.html";

    private final ProxyServer proxy;

    UpstreamApi(ProxyServer proxy) {
        this.proxy = proxy;
    }

    @Override
    public Answer servers(String upstream) {
        UpstreamRuntime u = proxy.runtime().upstreams().get(upstream);
        if (u == null) {
            return error(404, "upstream not found", "UpstreamNotFound");
        }
        return new Answer(200, views(u));
    }

    @Override
    public Answer server(String upstream, int id) {
        Target t = find(upstream, id);
        return t.error != null ? t.error : new Answer(200, view(t.upstream, t.index));
    }

    /** An upstream and the index of one of its servers, or the 404 that says which is missing. */
    private record Target(UpstreamRuntime upstream, int index, Answer error) {}

    private Target find(String upstream, int id) {
        UpstreamRuntime u = proxy.runtime().upstreams().get(upstream);
        if (u == null) {
            return new Target(null, -1, error(404, "upstream not found", "UpstreamNotFound"));
        }
        int i = indexOf(u, id);
        return i < 0 ? new Target(u, -1, error(404, "server not found", "UpstreamServerNotFound")) : new Target(u, i, null);
    }

    @Override
    public Answer add(String upstream, JsonNode fields) {
        UpstreamRuntime before = proxy.runtime().upstreams().get(upstream);
        if (before == null) {
            return error(404, "upstream not found", "UpstreamNotFound");
        }
        String problem = unknownField(fields);
        if (problem == null && (!fields.hasNonNull("server") || !fields.get("server").isTextual())) {
            problem = "\"server\" is required (e.g. {\"server\": \"127.0.0.1:8083\", \"weight\": 2})";
        }
        if (problem != null) {
            return error(400, problem, "UpstreamConfFormatError");
        }
        List<ServerConfig> added;
        try {
            // A host name is looked up here, before the lock every change takes.
            added = ServerConfig.resolve(ServerLine.of(fields.get("server").asText(), params(fields, Map.of()),
                    before.config().method()));
        } catch (ServerLine.Invalid e) {
            return error(400, e.getMessage(), e.getMessage().startsWith("host not found") ? "UpstreamBadAddress" : "UpstreamConfFormatError");
        }
        synchronized (proxy) {
            UpstreamRuntime u = proxy.runtime().upstreams().get(upstream);
            if (u == null) {
                return error(404, "upstream not found", "UpstreamNotFound");
            }
            for (ServerConfig a : added) {
                if (u.config().servers().stream().anyMatch(s -> s.address().equals(a.address()))) {
                    return error(409, "server " + a.address().getHostString() + ":" + a.address().getPort()
                            + " is in the upstream already", "UpstreamServerExists");
                }
            }
            List<ServerConfig> next = new ArrayList<>(u.config().servers());
            next.addAll(added);
            Answer failed = apply(u, next);
            if (failed != null) {
                return failed;
            }
            UpstreamRuntime now = proxy.runtime().upstreams().get(upstream);
            for (int i = 0; i < now.config().servers().size(); i++) {
                if (now.config().servers().get(i).address().equals(added.get(0).address())) {
                    return new Answer(201, view(now, i));
                }
            }
            return error(500, "the server was added but is not in the upstream now", "UpstreamConfError");
        }
    }

    @Override
    public Answer change(String upstream, int id, JsonNode fields) {
        return onServer(upstream, id, (u, i) -> {
            ServerConfig was = u.config().servers().get(i);
            if (was.resolved() != null) {
                return resolvedImmutable(was);
            }
            String problem = unknownField(fields);
            if (problem == null && fields.has("server") && !sameAddress(fields.get("server").asText(), was)) {
                problem = "\"server\" cannot be changed (DELETE this server and POST the new one)";
            }
            if (problem != null) {
                return error(400, problem, "UpstreamConfFormatError");
            }
            ServerConfig changed;
            try {
                ServerLine line = ServerLine.of(address(was), params(fields, current(was)), u.config().method());
                changed = new ServerConfig(was.server(), was.address(), line.weight(), line.maxFails(), line.failTimeout(),
                        line.maxConns(), line.backup(), line.down(), line.route(), line.drain(), line.slowStart(), was.resolved());
            } catch (ServerLine.Invalid e) {
                return error(400, e.getMessage(), "UpstreamConfFormatError");
            }
            List<ServerConfig> next = new ArrayList<>(u.config().servers());
            next.set(i.intValue(), changed);
            Answer failed = apply(u, next);
            return failed != null ? failed : new Answer(200, view(proxy.runtime().upstreams().get(upstream), i));
        });
    }

    @Override
    public Answer remove(String upstream, int id) {
        return onServer(upstream, id, (u, i) -> {
            if (u.config().servers().get(i).resolved() != null) {
                return resolvedImmutable(u.config().servers().get(i));
            }
            List<ServerConfig> next = new ArrayList<>(u.config().servers());
            next.remove(i.intValue());
            if (!next.isEmpty() && next.stream().allMatch(ServerConfig::backup)) {
                return error(400, "the last primary server cannot be removed while backups remain", "UpstreamConfFormatError");
            }
            Answer failed = apply(u, next);
            // As nginx Plus: the servers that remain.
            return failed != null ? failed : new Answer(200, views(proxy.runtime().upstreams().get(upstream)));
        });
    }

    /** Runs {@code edit} on one server (its upstream and index), one change at a time; a 404 if either is missing. */
    private Answer onServer(String upstream, int id, java.util.function.BiFunction<UpstreamRuntime, Integer, Answer> edit) {
        synchronized (proxy) {
            Target t = find(upstream, id);
            return t.error != null ? t.error : edit.apply(t.upstream, t.index);
        }
    }

    /** Reloads the running configuration with {@code u}'s servers replaced; an error answer, or null when done. */
    private Answer apply(UpstreamRuntime u, List<ServerConfig> servers) {
        if (!servers.isEmpty() && servers.stream().allMatch(ServerConfig::backup)) {
            return error(400, "every server would be a backup (an upstream needs a primary server while it has backups)",
                    "UpstreamConfFormatError");
        }
        UpstreamConfig changed = u.config().withServers(servers);
        ProxyConfig next = proxy.runtime().config().withUpstream(changed);
        String why = proxy.reload(next);
        if (why != null) {
            return error(500, "the change could not be applied: " + why, "UpstreamConfError");
        }
        if (changed.state() != null) {
            try {
                StateFile.write(changed.state(), servers);
            } catch (IOException e) {
                proxy.runtime().log().warn("upstream " + changed.name() + ": state file " + changed.state()
                        + " not written: " + e.getMessage() + "; the change is in force until the next reload");
                return error(500, "the change is in force, but the state file could not be written: " + e.getMessage(),
                        "UpstreamStateFileError");
            }
        }
        return null;
    }

    private static int indexOf(UpstreamRuntime u, int id) {
        for (int i = 0; i < u.peers().size(); i++) {
            if (u.peers().get(i).id() == id) {
                return i;
            }
        }
        return -1;
    }

    private static List<Map<String, Object>> views(UpstreamRuntime u) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (int i = 0; i < u.peers().size(); i++) {
            out.add(view(u, i));
        }
        return out;
    }

    /** A server as nginx Plus's API shows it. */
    private static Map<String, Object> view(UpstreamRuntime u, int i) {
        ServerConfig s = u.config().servers().get(i);
        Peer p = u.peers().get(i);
        Map<String, Object> v = new LinkedHashMap<>();
        v.put("id", p.id());
        v.put("server", address(s));
        v.put("weight", s.weight());
        v.put("max_conns", s.maxConns());
        v.put("max_fails", s.maxFails());
        v.put("fail_timeout", s.failTimeoutSeconds() + "s");
        v.put("slow_start", Durations.format(Duration.ofMillis(s.slowStartMillis())));
        v.put("route", s.route() == null ? "" : s.route());
        v.put("backup", s.backup());
        v.put("down", s.down());
        v.put("drain", s.drain());
        return v;
    }

    /** As nginx writes an address: IPv6 compressed and in brackets. */
    private static String address(ServerConfig s) {
        return io.netty.util.NetUtil.toSocketAddressString(io.netty.util.NetUtil.toAddressString(s.address().getAddress()),
                s.address().getPort());
    }

    /** Whether {@code text} names {@code s}'s address, however it is written. */
    private static boolean sameAddress(String text, ServerConfig s) {
        try {
            return ServerConfig.resolve(ServerLine.parse(text, new io.stampede.balancer.config.directive.BalanceMethod.RoundRobin()))
                    .stream().anyMatch(c -> c.address().equals(s.address()));
        } catch (ServerLine.Invalid e) {
            return false;
        }
    }

    /** A server's parameters as a server line would give them (the base a PATCH changes). */
    private static Map<String, String> current(ServerConfig s) {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("weight", Integer.toString(s.weight()));
        p.put("max_conns", Integer.toString(s.maxConns()));
        p.put("max_fails", Integer.toString(s.maxFails()));
        p.put("fail_timeout", s.failTimeoutSeconds() + "s");
        if (s.slowStartMillis() > 0) {
            p.put("slow_start", s.slowStartMillis() + "ms");
        }
        if (s.route() != null) {
            p.put("route", s.route());
        }
        p.put("backup", s.backup() ? "on" : "off");
        p.put("down", s.down() ? "on" : "off");
        p.put("drain", s.drain() ? "on" : "off");
        return p;
    }

    /** The JSON fields over {@code base}, as server-line text (true/false become on/off). */
    private static Map<String, String> params(JsonNode fields, Map<String, String> base) {
        Map<String, String> p = new LinkedHashMap<>(base);
        for (Iterator<Map.Entry<String, JsonNode>> it = fields.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (e.getKey().equals("server")) {
                continue;
            }
            JsonNode v = e.getValue();
            p.put(e.getKey(), v.isBoolean() ? (v.asBoolean() ? "on" : "off") : v.asText());
        }
        if ("".equals(p.get("route"))) {
            p.remove("route");
        }
        return p;
    }

    private static String unknownField(JsonNode fields) {
        if (fields == null || !fields.isObject()) {
            return "the body must be a JSON object (e.g. {\"server\": \"127.0.0.1:8083\", \"weight\": 2})";
        }
        for (Iterator<String> it = fields.fieldNames(); it.hasNext(); ) {
            String name = it.next();
            if (!FIELDS.contains(name)) {
                return "unknown parameter \"" + name + "\" (expected " + String.join(", ", new java.util.TreeSet<>(FIELDS)) + ")";
            }
        }
        return null;
    }

    private static Answer resolvedImmutable(ServerConfig s) {
        return error(400, "server " + address(s) + " comes from '" + s.resolved().address() + " resolve': the resolver keeps it; "
                + "change that server line instead", "UpstreamServerImmutable");
    }

    /** nginx Plus's error object. */
    private static Answer error(int status, String text, String code) {
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("status", status);
        e.put("text", text);
        e.put("code", code);
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("error", e);
        body.put("request_id", Long.toHexString(ThreadLocalRandom.current().nextLong()));
        body.put("href", DOCS);
        return new Answer(status, body);
    }
}
