package io.stampede.balancer.config;

import io.stampede.common.Durations;
import io.stampede.common.yaml.YamlNode;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Parses upstream {@code server} entries: an nginx server line ({@code "10.0.0.1:8080 weight=5
 * max_fails=3 fail_timeout=30s"}) or the same parameters as a map. Host names resolve here, once.
 */
final class ServerLines {
    static final Set<String> MAP_KEYS = Set.of("address", "weight", "max_fails", "fail_timeout", "max_conns", "backup", "down",
            "route", "drain", "slow_start");

    private ServerLines() {}

    static List<ServerConfig> parse(YamlNode entry, BalanceMethod method) {
        Map<String, String> params = new LinkedHashMap<>();
        Map<String, YamlNode> where = new LinkedHashMap<>();
        String address;
        if (entry.isMap()) {
            Map<String, YamlNode> m = entry.map(MAP_KEYS);
            YamlNode a = m.get("address");
            if (a == null) {
                throw entry.error("missing 'address' (expected e.g. address: 127.0.0.1:8081)");
            }
            address = a.text();
            for (Map.Entry<String, YamlNode> e : m.entrySet()) {
                if (!e.getKey().equals("address")) {
                    params.put(e.getKey(), e.getValue().text());
                    where.put(e.getKey(), e.getValue());
                }
            }
        } else {
            String[] words = entry.text().trim().split("\\s+");
            address = words[0];
            for (int i = 1; i < words.length; i++) {
                String w = words[i];
                int eq = w.indexOf('=');
                String key = eq < 0 ? w : w.substring(0, eq);
                if (params.containsKey(key)) {
                    throw entry.error("'" + key + "' is given twice");
                }
                if (eq < 0 && !key.equals("backup") && !key.equals("down") && !key.equals("drain")) {
                    throw entry.error("unknown server parameter '" + w + "' (expected weight=N, max_fails=N, "
                            + "fail_timeout=TIME, max_conns=N, route=ID, slow_start=TIME, backup, down or drain)");
                }
                params.put(key, eq < 0 ? "on" : w.substring(eq + 1));
                where.put(key, entry);
            }
        }

        int weight = 1;
        int maxFails = 1;
        long failTimeout = 10;
        int maxConns = 0;
        boolean backup = false;
        boolean down = false;
        boolean drain = false;
        String route = null;
        long slowStart = 0;
        for (Map.Entry<String, String> p : params.entrySet()) {
            String key = p.getKey();
            String value = p.getValue();
            YamlNode at = where.get(key);
            switch (key) {
                case "weight" -> weight = integer(at, key, value, 1);
                case "max_fails" -> maxFails = integer(at, key, value, 0);
                case "max_conns" -> maxConns = integer(at, key, value, 0);
                case "fail_timeout" -> failTimeout = seconds(at, key, value);
                case "backup" -> backup = flag(at, key, value);
                case "down" -> down = flag(at, key, value);
                case "drain" -> drain = flag(at, key, value);
                case "slow_start" -> {
                    try {
                        slowStart = Durations.parse(value).toMillis();
                    } catch (IllegalArgumentException e) {
                        throw at.error("slow_start=" + value + " (expected a duration, e.g. 30s)");
                    }
                }
                case "route" -> {
                    if (!value.matches("[A-Za-z0-9_.~-]{1,64}")) {
                        throw at.error("route=" + value + " (expected 1 to 64 letters, digits, '.', '_', '~' or '-')");
                    }
                    route = value;
                }
                default -> throw at.error("unknown server parameter '" + key + "' (expected weight, max_fails, "
                        + "fail_timeout, max_conns, route, slow_start, backup, down or drain)");
            }
        }
        if (slowStart > 0 && !method.allowsBackup()) {
            throw entry.error("balancing method '" + method.directive() + "' does not support parameter 'slow_start' "
                    + "(not with hash, ip_hash or random, as in nginx Plus)");
        }
        if (backup && !method.allowsBackup()) {
            throw entry.error("balancing method '" + method.directive() + "' does not support parameter 'backup' "
                    + "(only round robin and least_conn do, as in nginx)");
        }

        Addresses.HostPort hp;
        try {
            hp = Addresses.split(address, 80);
        } catch (IllegalArgumentException e) {
            throw entry.error("'" + address + "' is not a server address (" + e.getMessage()
                    + "; expected host:port, e.g. 127.0.0.1:8081)");
        }
        if (hp.host().equals("*")) {
            throw entry.error("'" + address + "' is not a server address (expected host:port, e.g. 127.0.0.1:8081)");
        }
        List<InetSocketAddress> resolved;
        try {
            resolved = Addresses.resolve(hp);
        } catch (UnknownHostException e) {
            throw entry.error("host not found: '" + hp.host() + "' (expected a resolvable host name or an IP address)");
        }
        List<ServerConfig> out = new ArrayList<>();
        for (InetSocketAddress a : resolved) {
            out.add(new ServerConfig(address, a, weight, maxFails, failTimeout, maxConns, backup, down, route, drain, slowStart));
        }
        return out;
    }

    static boolean flag(YamlNode at, String key, String value) {
        return switch (value) {
            case "on", "true", "yes" -> true;
            case "off", "false", "no" -> false;
            default -> throw at.error(key + "=" + value + " (expected on or off)");
        };
    }

    private static int integer(YamlNode at, String key, String value, int min) {
        try {
            int n = Integer.parseInt(value);
            if (n >= min) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw at.error(key + "=" + value + " (expected an integer >= " + min + ")");
    }

    /** nginx parses {@code fail_timeout} in whole seconds: {@code 500ms} is refused. */
    private static long seconds(YamlNode at, String key, String value) {
        try {
            Duration d = Durations.parse(value);
            if (d.toMillis() % 1000 == 0 && !value.contains("ms")) {
                return d.toSeconds();
            }
        } catch (IllegalArgumentException e) {
            // reported below
        }
        throw at.error(key + "=" + value + " (expected whole seconds, e.g. 10s, 1m)");
    }
}
