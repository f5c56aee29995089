package io.stampede.balancer.route;

import io.stampede.balancer.config.LocationConfig;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * One level of locations (a server's, or those nested in a location), searched as nginx's
 * {@code ngx_http_core_find_location} does: an exact ({@code =}) match ends the search; otherwise
 * the longest matching prefix is remembered and its nested locations are searched; then, unless that
 * prefix was {@code ^~}, the regular expressions ({@code ~}, {@code ~*}) of this level in the order
 * written, the first that matches winning (its own nested locations searched in turn); failing
 * that, the remembered prefix.
 */
public final class LocationTree {
    /** How a location matches. */
    public enum Kind { EXACT, PREFIX, NOREGEX, REGEX }

    /** A location of this level, with its own nested level (null when it has none). */
    public record Node(LocationConfig location, Kind kind, Pattern regex, LocationTree nested) {}

    /** What a search found, and whether the search is over (an exact, ^~ or regex match: no regex of an outer level may override it). */
    record Found(LocationConfig location, boolean settled) {}

    public static final LocationTree EMPTY = new LocationTree(List.of());

    private final Map<String, Node> exact = new HashMap<>();
    /** Longest first, so the first that fits is the longest match. */
    private final List<Node> prefixes = new ArrayList<>();
    private final List<Node> regexes = new ArrayList<>();
    private final List<Node> all;
    /** nginx's auto_redirect, worked out once: a proxied prefix's path without its slash, to the path. */
    private final Map<String, String> slashless = new HashMap<>();

    public LocationTree(List<Node> nodes) {
        this.all = List.copyOf(nodes);
        for (Node n : nodes) {
            switch (n.kind()) {
                case EXACT -> exact.put(n.location().path(), n);
                case PREFIX, NOREGEX -> prefixes.add(n);
                case REGEX -> regexes.add(n);
            }
        }
        prefixes.sort((a, b) -> b.location().path().length() - a.location().path().length());
        for (Node p : prefixes) {
            String path = p.location().path();
            if (p.location().upstream() != null && path.length() > 1 && path.endsWith("/")) {
                slashless.putIfAbsent(path.substring(0, path.length() - 1), path);
            }
        }
    }

    /**
     * nginx's auto_redirect: {@code uri} plus a slash is a proxied prefix location, and no exact
     * location takes {@code uri} itself; the answer is then a 301 to that (returned), else null.
     */
    public String autoRedirect(String uri) {
        // Per request: one map lookup (the common case, a URI that is no such path, costs nothing more).
        String slashed = slashless.get(uri);
        return slashed == null || exact.containsKey(uri) ? null : slashed;
    }

    /** The location for {@code uri} (the normalized path), or null when none matches. */
    public LocationConfig find(String uri) {
        Found f = search(uri);
        return f == null ? null : f.location();
    }

    Found search(String uri) {
        Node e = exact.get(uri);
        if (e != null) {
            return new Found(e.location(), true);
        }
        LocationConfig current = null;
        boolean noRegex = false;
        for (Node p : prefixes) {
            if (uri.startsWith(p.location().path())) {
                current = p.location();
                noRegex = p.kind() == Kind.NOREGEX;
                if (p.nested() != null) {
                    Found inner = p.nested().search(uri);
                    if (inner != null) {
                        if (inner.settled()) {
                            return inner;
                        }
                        current = inner.location();
                    }
                }
                break;
            }
        }
        if (!noRegex) {
            for (Node r : regexes) {
                if (r.regex().matcher(uri).find()) {
                    LocationConfig hit = r.location();
                    if (r.nested() != null) {
                        Found inner = r.nested().search(uri);
                        if (inner != null) {
                            hit = inner.location();
                        }
                    }
                    return new Found(hit, true);
                }
            }
        }
        return current == null ? null : new Found(current, false);
    }

    /** Every location of this level and below, in the order written (depth first). */
    public List<LocationConfig> flatten() {
        List<LocationConfig> out = new ArrayList<>();
        for (Node n : all) {
            out.add(n.location());
            if (n.nested() != null) {
                out.addAll(n.nested().flatten());
            }
        }
        return out;
    }
}
