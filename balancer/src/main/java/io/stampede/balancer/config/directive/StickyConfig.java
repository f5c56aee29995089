package io.stampede.balancer.config.directive;

import io.stampede.balancer.vars.Template;
import io.stampede.common.Durations;
import io.stampede.common.Sizes;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * nginx Plus's {@code sticky}: how a request names the server it is bound to (its server id: a
 * {@code route=} value, else the MD5 of the server's address), and how that binding is made.
 *
 * <ul>
 *   <li>{@code cookie NAME [expires=T|max] [domain=D] [httponly] [secure] [samesite=V] [path=P]}:
 *       the id comes back in cookie NAME; every response from the chosen server sets it.</li>
 *   <li>{@code route $a $b ...}: the first non-empty variable is the id.</li>
 *   <li>{@code learn create=$upstream_cookie_X lookup=$cookie_Y zone=NAME:SIZE [timeout=10m]}: a
 *       session id the server sets (cookie X) is remembered with the server's id; a request whose
 *       lookup variable holds a known session goes back to it. At most about 4,000 sessions per
 *       megabyte of zone, as nginx; unused ones expire after {@code timeout}.</li>
 * </ul>
 */
public record StickyConfig(Kind kind, String cookie, String cookieAttributes, Duration expires, List<Template> route,
                           String createCookie, Template lookup, long maxSessions, Duration timeout) {
    public enum Kind { COOKIE, ROUTE, LEARN }

    private static final DateTimeFormatter COOKIE_DATE = DateTimeFormatter.ofPattern("EEE, dd-MMM-yy HH:mm:ss 'GMT'", Locale.US);
    /** nginx's {@code expires=max}. */
    private static final String MAX = "expires=Thu, 31-Dec-37 23:55:55 GMT; max-age=315360000";

    /** The Set-Cookie value binding a client to server id {@code sid}, as of {@code now}. */
    public String setCookie(String sid, ZonedDateTime now) {
        StringBuilder b = new StringBuilder(cookie).append('=').append(sid);
        if (expires != null) {
            b.append("; ");
            if (expires.isNegative()) {
                b.append(MAX);
            } else {
                b.append("expires=").append(now.plus(expires).withZoneSameInstant(ZoneOffset.UTC).format(COOKIE_DATE))
                        .append("; max-age=").append(expires.toSeconds());
            }
        }
        return b.append(cookieAttributes).toString();
    }

    /** @throws IllegalArgumentException naming the word that is wrong */
    public static StickyConfig parse(String text) {
        String[] w = text.trim().split("\\s+");
        return switch (w[0]) {
            case "cookie" -> cookie(w);
            case "route" -> route(w);
            case "learn" -> learn(w);
            default -> throw new IllegalArgumentException("'" + w[0] + "' (expected cookie NAME ..., route $VAR ... or learn create=... lookup=... zone=...)");
        };
    }

    private static StickyConfig cookie(String[] w) {
        if (w.length < 2 || w[1].contains("=") || !w[1].matches("[!#$%&'*+.^_`|~0-9A-Za-z-]+")) {
            throw new IllegalArgumentException("sticky cookie needs a cookie name first (sticky: cookie srv_id expires=1h)");
        }
        Duration expires = null;
        String domain = null;
        String path = null;
        String samesite = null;
        boolean httponly = false;
        boolean secure = false;
        for (int i = 2; i < w.length; i++) {
            String word = w[i];
            if (word.equals("httponly")) {
                httponly = true;
            } else if (word.equals("secure")) {
                secure = true;
            } else if (word.startsWith("expires=")) {
                String v = word.substring(8);
                expires = v.equals("max") ? Duration.ofSeconds(-1) : Durations.parse(v);
            } else if (word.startsWith("domain=")) {
                domain = word.substring(7);
            } else if (word.startsWith("path=")) {
                path = word.substring(5);
            } else if (word.startsWith("samesite=")) {
                samesite = word.substring(9);
                if (!samesite.matches("(?i)strict|lax|none")) {
                    throw new IllegalArgumentException("'" + word + "' (expected samesite=strict, lax or none)");
                }
            } else {
                throw new IllegalArgumentException("unknown sticky cookie parameter '" + word
                        + "' (expected expires=, domain=, path=, samesite=, httponly or secure)");
            }
        }
        // nginx's order: expires (with max-age), domain, httponly, secure, samesite, path.
        StringBuilder attrs = new StringBuilder();
        if (domain != null) {
            attrs.append("; domain=").append(domain);
        }
        if (httponly) {
            attrs.append("; httponly");
        }
        if (secure) {
            attrs.append("; secure");
        }
        if (samesite != null) {
            attrs.append("; samesite=").append(samesite.toLowerCase(Locale.ROOT));
        }
        if (path != null) {
            attrs.append("; path=").append(path);
        }
        return new StickyConfig(Kind.COOKIE, w[1], attrs.toString(), expires, List.of(), null,
                Template.parse("$cookie_" + w[1]), 0, null);
    }

    private static StickyConfig route(String[] w) {
        if (w.length < 2) {
            throw new IllegalArgumentException("sticky route needs at least one variable (sticky: route $cookie_route $arg_route)");
        }
        List<Template> vars = new ArrayList<>();
        for (int i = 1; i < w.length; i++) {
            vars.add(Template.parse(w[i]));
        }
        return new StickyConfig(Kind.ROUTE, null, "", null, List.copyOf(vars), null, null, 0, null);
    }

    private static StickyConfig learn(String[] w) {
        String create = null;
        Template lookup = null;
        long sessions = 0;
        Duration timeout = Duration.ofMinutes(10);
        for (int i = 1; i < w.length; i++) {
            String word = w[i];
            if (word.startsWith("create=")) {
                String v = word.substring(7);
                if (!v.startsWith("$upstream_cookie_") || v.length() == "$upstream_cookie_".length()) {
                    throw new IllegalArgumentException("'" + word + "' (expected create=$upstream_cookie_NAME: the session cookie the server sets)");
                }
                create = v.substring("$upstream_cookie_".length());
            } else if (word.startsWith("lookup=")) {
                lookup = Template.parse(word.substring(7));
            } else if (word.startsWith("zone=")) {
                String[] z = word.substring(5).split(":");
                if (z.length != 2 || z[0].isEmpty()) {
                    throw new IllegalArgumentException("'" + word + "' (expected zone=NAME:SIZE, e.g. zone=sessions:1m)");
                }
                long bytes = Sizes.parse(z[1]);
                sessions = Math.max(1, bytes * 4000 / (1024 * 1024));
            } else if (word.startsWith("timeout=")) {
                timeout = Durations.parse(word.substring(8));
            } else if (word.equals("header") || word.equals("sync")) {
                // header: learn at header time, which is when we learn anyway; sync: one process here.
            } else {
                throw new IllegalArgumentException("unknown sticky learn parameter '" + word
                        + "' (expected create=, lookup=, zone=, timeout=, header or sync)");
            }
        }
        if (create == null || lookup == null || sessions == 0) {
            throw new IllegalArgumentException("sticky learn needs create=, lookup= and zone= "
                    + "(e.g. learn create=$upstream_cookie_sid lookup=$cookie_sid zone=sessions:1m)");
        }
        return new StickyConfig(Kind.LEARN, null, "", null, List.of(), create, lookup, sessions, timeout);
    }
}
