package io.stampede.balancer.route;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * The servers on one listening address, chosen by the request's host as nginx's
 * {@code ngx_http_find_virtual_server} chooses: an exact name; else the longest name with a
 * leading wildcard ({@code *.example.com}, or {@code .example.com}, which also covers
 * {@code example.com}); else the longest with a trailing one ({@code mail.*}); else the first
 * regular expression ({@code ~...}) that matches, in the order the servers and names are written;
 * else the address's default server ({@code default_server}, or the first server on it).
 */
public final class ServerNames<S> {
    private record Mask<S>(String text, boolean alsoBare, S server) {}

    private final Map<String, S> exact = new HashMap<>();
    private final List<Mask<S>> leading = new ArrayList<>();
    private final List<Mask<S>> trailing = new ArrayList<>();
    private final List<Map.Entry<Pattern, S>> regexes = new ArrayList<>();
    private S fallback;
    /** Whether one server alone listens here: then no host needs looking at (the common case). */
    private boolean alone = true;

    /**
     * Adds a server's names, in the order written.
     *
     * @return null, or why a name was refused (a duplicate on this address, a bad pattern)
     */
    public String add(List<String> names, S server, boolean isDefault) {
        alone &= fallback == null || fallback == server;
        if (fallback == null || isDefault) {
            fallback = server;
        }
        for (String raw : names) {
            String name = raw.trim();
            if (name.startsWith("~")) {
                try {
                    // Host names are compared in lowercase: a regex written with capitals matches regardless of case, as nginx's does.
                    String re = name.substring(1).replace("(?P<", "(?<");
                    regexes.add(Map.entry(Pattern.compile(re, re.equals(re.toLowerCase(Locale.ROOT)) ? 0 : Pattern.CASE_INSENSITIVE), server));
                } catch (PatternSyntaxException e) {
                    return "server_name '" + name + "' is not a regular expression: " + e.getDescription();
                }
                continue;
            }
            String n = name.toLowerCase(Locale.ROOT);
            if (n.endsWith(".") && !n.equals(".")) {
                n = n.substring(0, n.length() - 1);
            }
            if (n.startsWith("*.")) {
                leading.add(new Mask<>(n.substring(1), false, server));
            } else if (n.startsWith(".")) {
                leading.add(new Mask<>(n, true, server));
            } else if (n.endsWith(".*")) {
                trailing.add(new Mask<>(n.substring(0, n.length() - 1), false, server));
            } else if (n.contains("*")) {
                return "server_name '" + name + "': a wildcard goes only at the start ('*.example.com') or end ('www.example.*')";
            } else {
                // A name two servers on the address claim goes to the first, as in nginx (which warns;
                // servers without server_name all claim "").
                exact.putIfAbsent(n, server);
            }
        }
        leading.sort((a, b) -> b.text().length() - a.text().length());
        trailing.sort((a, b) -> b.text().length() - a.text().length());
        return null;
    }

    public boolean isDefault(S server) {
        return fallback == server;
    }

    /** The default server: the one marked default_server, else the first. */
    public S fallback() {
        return fallback;
    }

    /** Whether one server alone listens on this address. */
    public boolean alone() {
        return alone;
    }

    /** The server for {@code host} (lowercased, without port or trailing dot; empty when the request named none). */
    public S choose(String host) {
        S s = exact.get(host);
        if (s != null) {
            return s;
        }
        if (!host.isEmpty()) {
            for (Mask<S> m : leading) {
                if (host.endsWith(m.text()) || (m.alsoBare() && host.equals(m.text().substring(1)))) {
                    return m.server();
                }
            }
            for (Mask<S> m : trailing) {
                if (host.startsWith(m.text())) {
                    return m.server();
                }
            }
            for (Map.Entry<Pattern, S> r : regexes) {
                if (r.getKey().matcher(host).find()) {
                    return r.getValue();
                }
            }
        }
        return fallback;
    }
}
