package io.stampede.balancer.config.directive;

import io.stampede.common.Durations;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One upstream {@code server} directive, parsed from nginx's syntax with no YAML in sight
 * ({@code "10.0.0.1:8080 weight=5 max_fails=3 fail_timeout=30s backup"}), so the YAML loader and
 * a reader of nginx.conf share it. Host names resolve in {@link #resolve}, once, apart from parsing.
 *
 * @param failTimeout whole seconds, as nginx parses {@code fail_timeout}
 * @param slowStart milliseconds of nginx Plus's {@code slow_start} (0: none)
 */
public record ServerLine(String address, int weight, int maxFails, long failTimeout, int maxConns, boolean backup,
                         boolean down, String route, boolean drain, long slowStart, boolean resolve) {

    public ServerLine(String address, int weight, int maxFails, long failTimeout, int maxConns, boolean backup,
                      boolean down, String route, boolean drain, long slowStart) {
        this(address, weight, maxFails, failTimeout, maxConns, backup, down, route, drain, slowStart, false);
    }

    /** A value that is wrong; {@code parameter} names it (null: the line as a whole). */
    public static final class Invalid extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;
        public final String parameter;

        public Invalid(String parameter, String message) {
            super(message);
            this.parameter = parameter;
        }
    }

    /** Parses a server line for an upstream balanced by {@code method}. */
    public static ServerLine parse(String line, BalanceMethod method) {
        String[] words = line.trim().split("\\s+");
        Map<String, String> params = new LinkedHashMap<>();
        for (int i = 1; i < words.length; i++) {
            String w = words[i];
            int eq = w.indexOf('=');
            String key = eq < 0 ? w : w.substring(0, eq);
            if (params.containsKey(key)) {
                throw new Invalid(null, "'" + key + "' is given twice");
            }
            if (eq < 0 && !key.equals("backup") && !key.equals("down") && !key.equals("drain") && !key.equals("resolve")) {
                throw new Invalid(null, "unknown server parameter '" + w + "' (expected weight=N, max_fails=N, "
                        + "fail_timeout=TIME, max_conns=N, route=ID, slow_start=TIME, backup, down, drain or resolve)");
            }
            params.put(key, eq < 0 ? "on" : w.substring(eq + 1));
        }
        return of(words[0], params, method);
    }

    /** An address and its parameters by name (the YAML map form gives them so). */
    public static ServerLine of(String address, Map<String, String> params, BalanceMethod method) {
        int weight = 1;
        int maxFails = 1;
        long failTimeout = 10;
        int maxConns = 0;
        boolean backup = false;
        boolean down = false;
        boolean drain = false;
        boolean resolve = false;
        String route = null;
        long slowStart = 0;
        for (Map.Entry<String, String> p : params.entrySet()) {
            String key = p.getKey();
            String value = p.getValue();
            switch (key) {
                case "weight" -> weight = integer(key, value, 1);
                case "max_fails" -> maxFails = integer(key, value, 0);
                case "max_conns" -> maxConns = integer(key, value, 0);
                case "fail_timeout" -> failTimeout = seconds(key, value);
                case "backup" -> backup = flag(key, value);
                case "down" -> down = flag(key, value);
                case "drain" -> drain = flag(key, value);
                case "resolve" -> resolve = flag(key, value);
                case "slow_start" -> {
                    try {
                        slowStart = Durations.parse(value).toMillis();
                    } catch (IllegalArgumentException e) {
                        throw new Invalid(key, "slow_start=" + value + " (expected a duration, e.g. 30s)");
                    }
                }
                case "route" -> {
                    if (!value.matches("[A-Za-z0-9_.~-]{1,64}")) {
                        throw new Invalid(key, "route=" + value + " (expected 1 to 64 letters, digits, '.', '_', '~' or '-')");
                    }
                    route = value;
                }
                default -> throw new Invalid(key, "unknown server parameter '" + key + "' (expected weight, max_fails, "
                        + "fail_timeout, max_conns, route, slow_start, backup, down, drain or resolve)");
            }
        }
        // Slow start and backups need a method that walks the servers in turn (round robin, least_conn).
        if (slowStart > 0 && !method.allowsBackup()) {
            throw new Invalid(null, "balancing method '" + method.directive() + "' does not support parameter 'slow_start' "
                    + "(not with hash, ip_hash or random, as in nginx Plus)");
        }
        if (backup && !method.allowsBackup()) {
            throw new Invalid(null, "balancing method '" + method.directive() + "' does not support parameter 'backup' "
                    + "(only round robin and least_conn do, as in nginx)");
        }
        return new ServerLine(address, weight, maxFails, failTimeout, maxConns, backup, down, route, drain, slowStart, resolve);
    }

    /** nginx's switch values. */
    public static boolean flag(String key, String value) {
        return switch (value) {
            case "on", "true", "yes" -> true;
            case "off", "false", "no" -> false;
            default -> throw new Invalid(key, key + "=" + value + " (expected on or off)");
        };
    }

    private static int integer(String key, String value, int min) {
        try {
            int n = Integer.parseInt(value);
            if (n >= min) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new Invalid(key, key + "=" + value + " (expected an integer >= " + min + ")");
    }

    /** nginx parses {@code fail_timeout} in whole seconds: {@code 500ms} is refused. */
    private static long seconds(String key, String value) {
        try {
            Duration d = Durations.parse(value);
            if (d.toMillis() % 1000 == 0 && !value.contains("ms")) {
                return d.toSeconds();
            }
        } catch (IllegalArgumentException e) {
            // reported below
        }
        throw new Invalid(key, key + "=" + value + " (expected whole seconds, e.g. 10s, 1m)");
    }
}
