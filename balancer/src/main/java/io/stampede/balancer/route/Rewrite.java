package io.stampede.balancer.route;

import io.stampede.balancer.vars.Variables;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * nginx's {@code rewrite REGEX REPLACEMENT [last|break|redirect|permanent]}: when the regular
 * expression matches {@code $uri}, the URI becomes the replacement, with {@code $1}..{@code $9}
 * the expression's groups and {@code $name} / {@code ${name}} variables. A replacement starting
 * with {@code http://}, {@code https://} or {@code $scheme}, or the flags {@code redirect} (302)
 * and {@code permanent} (301), answer with a redirect. The request's arguments follow the new URI
 * (after the replacement's own, joined with {@code &}) unless the replacement ends with {@code ?}.
 */
public record Rewrite(Pattern regex, String replacement, Flag flag) {
    /** What happens after a match. */
    public enum Flag { NONE, LAST, BREAK, REDIRECT, PERMANENT }

    /** A rewrite's outcome: the new path and arguments, or a redirect to {@code location}. */
    public record Result(String path, String args, String location, int status) {
        public boolean redirect() {
            return location != null;
        }
    }

    /** @throws IllegalArgumentException naming what is wrong in {@code text} */
    public static Rewrite parse(String text) {
        String[] w = text.trim().split("\\s+");
        if (w.length < 2 || w.length > 3) {
            throw new IllegalArgumentException("'" + text + "' (expected REGEX REPLACEMENT [last|break|redirect|permanent], "
                    + "e.g. ^/old/(.*)$ /new/$1 permanent)");
        }
        Flag flag = Flag.NONE;
        if (w.length == 3) {
            flag = switch (w[2]) {
                case "last" -> Flag.LAST;
                case "break" -> Flag.BREAK;
                case "redirect" -> Flag.REDIRECT;
                case "permanent" -> Flag.PERMANENT;
                default -> throw new IllegalArgumentException("'" + w[2] + "' (expected last, break, redirect or permanent)");
            };
        }
        try {
            return new Rewrite(Pattern.compile(w[0].replace("(?P<", "(?<")), w[1], flag);
        } catch (PatternSyntaxException e) {
            throw new IllegalArgumentException("'" + w[0] + "' is not a regular expression: " + e.getDescription());
        }
    }

    /** What this rewrite makes of {@code path} (with {@code args}, null for none); null when it does not match. */
    public Result apply(String path, String args, Variables vars) {
        Matcher m = regex.matcher(path);
        if (!m.find()) {
            return null;
        }
        // As nginx, the written replacement decides: a trailing '?' drops the request's arguments,
        // and its first '?' splits path from arguments (a '?' a capture brings is just text).
        boolean keepArgs = !replacement.endsWith("?");
        String written = keepArgs ? replacement : replacement.substring(0, replacement.length() - 1);
        int q = written.indexOf('?');
        String newPath = render(m, vars, q < 0 ? written : written.substring(0, q));
        String own = q < 0 ? null : UriText.escapeUnsafe(render(m, vars, written.substring(q + 1)));
        String newArgs = own;
        if (keepArgs && args != null && !args.isEmpty()) {
            newArgs = own == null || own.isEmpty() ? args : own + "&" + args;
        }
        boolean external = replacement.startsWith("http://") || replacement.startsWith("https://")
                || replacement.startsWith("$scheme");
        if (external || flag == Flag.REDIRECT || flag == Flag.PERMANENT) {
            String location = UriText.escapeUnsafe(newPath) + (newArgs == null ? "" : "?" + newArgs);
            return new Result(null, null, location, flag == Flag.PERMANENT ? 301 : 302);
        }
        return new Result(newPath, newArgs, null, 0);
    }

    private static String render(Matcher m, Variables vars, String r) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < r.length(); i++) {
            char c = r.charAt(i);
            if (c != '$' || i + 1 >= r.length()) {
                out.append(c);
                continue;
            }
            char n = r.charAt(i + 1);
            if (Character.isDigit(n)) {
                int g = n - '0';
                if (g <= m.groupCount() && m.group(g) != null) {
                    out.append(m.group(g));
                }
                i++;
                continue;
            }
            boolean braced = n == '{';
            int start = braced ? i + 2 : i + 1;
            int end = start;
            while (end < r.length() && (Character.isLetterOrDigit(r.charAt(end)) || r.charAt(end) == '_')) {
                end++;
            }
            String name = r.substring(start, end);
            String value = name.isEmpty() ? null : vars.get(name);
            if (value != null) {
                out.append(value);
            }
            i = braced && end < r.length() && r.charAt(end) == '}' ? end : end - 1;
        }
        return out.toString();
    }
}
