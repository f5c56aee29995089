package io.stampede.balancer.config;

import io.stampede.balancer.config.directive.BalanceMethod;
import io.stampede.balancer.config.directive.ServerLine;
import io.stampede.common.yaml.YamlNode;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Upstream {@code server} entries in the YAML: an nginx server line as a string, or the same
 * parameters as a map. {@link ServerLine} parses both; this places its errors at the right
 * file, line and key.
 */
final class ServerLines {
    static final Set<String> MAP_KEYS = Set.of("address", "weight", "max_fails", "fail_timeout", "max_conns", "backup", "down",
            "route", "drain", "slow_start", "resolve");

    private ServerLines() {}

    static List<ServerConfig> parse(YamlNode entry, BalanceMethod method) {
        return resolve(entry, line(entry, method));
    }

    /** The addresses of {@code line} (from {@code entry}), resolved now; a host not found is an error at the entry. */
    static List<ServerConfig> resolve(YamlNode entry, ServerLine line) {
        try {
            return ServerConfig.resolve(line);
        } catch (ServerLine.Invalid e) {
            throw entry.error(e.getMessage());
        }
    }

    /** The server line an entry writes, as a string or as a map. */
    static ServerLine line(YamlNode entry, BalanceMethod method) {
        Map<String, YamlNode> where = new LinkedHashMap<>();
        try {
            ServerLine line;
            if (entry.isMap()) {
                Map<String, YamlNode> m = entry.map(MAP_KEYS);
                YamlNode a = m.get("address");
                if (a == null) {
                    throw entry.error("missing 'address' (expected e.g. address: 127.0.0.1:8081)");
                }
                Map<String, String> params = new LinkedHashMap<>();
                for (Map.Entry<String, YamlNode> e : m.entrySet()) {
                    if (!e.getKey().equals("address")) {
                        params.put(e.getKey(), e.getValue().text());
                        where.put(e.getKey(), e.getValue());
                    }
                }
                line = ServerLine.of(a.text(), params, method);
            } else {
                line = ServerLine.parse(entry.text(), method);
            }
            return line;
        } catch (ServerLine.Invalid e) {
            YamlNode at = e.parameter == null ? entry : where.getOrDefault(e.parameter, entry);
            throw at.error(e.getMessage());
        }
    }

    /** A switch at a YAML key, with the server line's wording. */
    static boolean flag(YamlNode at, String key, String value) {
        try {
            return ServerLine.flag(key, value);
        } catch (ServerLine.Invalid e) {
            throw at.error(e.getMessage());
        }
    }
}
