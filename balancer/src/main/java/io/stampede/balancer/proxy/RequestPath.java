package io.stampede.balancer.proxy;

/**
 * A request target's path as nginx matches locations against it ({@code $uri}): percent-escapes
 * decoded, dot segments resolved, runs of slashes merged (with {@code merge_slashes on}, the
 * default). Matching the raw path instead lets {@code /%5Fadmin/} slip past a {@code /_admin/}
 * location and {@code /public/../secret} past {@code /public/}.
 *
 * <p>The decoded path holds bytes, one char each (ISO-8859-1), as nginx compares bytes. A decoded
 * {@code /} or {@code .} counts as one typed literally ({@code %2e%2e} is {@code ..}), a decoded
 * {@code ?} or {@code #} is just a character of the path, and a decoded NUL, a malformed escape or
 * a path that climbs above the root make the request invalid (400), as in nginx.
 *
 * @param normalized the path to match (empty when invalid)
 * @param query what follows the first {@code ?} of the target, or null
 * @param invalid why the path is refused, or null
 */
record RequestPath(String normalized, String query, String invalid) {

    static RequestPath parse(String target, boolean mergeSlashes) {
        int q = target.indexOf('?');
        String raw = q < 0 ? target : target.substring(0, q);
        String query = q < 0 ? null : target.substring(q + 1);
        if (raw.indexOf('%') < 0 && raw.indexOf("/.") < 0 && (!mergeSlashes || raw.indexOf("//") < 0)) {
            return new RequestPath(raw, query, null); // nothing to decode or resolve: the common case
        }
        StringBuilder decoded = new StringBuilder(raw.length());
        for (int i = 0; i < raw.length(); i++) {
            char c = raw.charAt(i);
            if (c != '%') {
                decoded.append(c);
                continue;
            }
            int hi = i + 2 < raw.length() ? Character.digit(raw.charAt(i + 1), 16) : -1;
            int lo = hi >= 0 ? Character.digit(raw.charAt(i + 2), 16) : -1;
            if (lo < 0) {
                return new RequestPath("", query, "a malformed percent-escape in the path");
            }
            int b = hi * 16 + lo;
            if (b == 0) {
                return new RequestPath("", query, "an encoded NUL (%00) in the path");
            }
            decoded.append((char) b);
            i += 2;
        }
        return resolve(decoded, query, mergeSlashes);
    }

    /** Removes dot segments (RFC 3986 5.2.4) and, when asked, empty ones; refuses climbing above the root. */
    private static RequestPath resolve(CharSequence path, String query, boolean mergeSlashes) {
        StringBuilder out = new StringBuilder(path.length());
        int i = 0;
        int n = path.length();
        // The path starts with '/' (origin form, or absolute form made so by the guard).
        while (i < n) {
            int next = i + 1;
            while (next < n && path.charAt(next) != '/') {
                next++;
            }
            // A segment is path[i+1, next); path[i] is '/'.
            int length = next - i - 1;
            boolean last = next >= n;
            if (length == 1 && path.charAt(i + 1) == '.') {
                if (last) {
                    out.append('/');
                }
            } else if (length == 2 && path.charAt(i + 1) == '.' && path.charAt(i + 2) == '.') {
                int cut = out.lastIndexOf("/");
                if (cut < 0) {
                    return new RequestPath("", query, "the path climbs above the root");
                }
                out.setLength(cut);
                if (last) {
                    out.append('/');
                }
            } else if (length == 0 && mergeSlashes && !last) {
                // "//": the empty segment is dropped.
            } else {
                out.append(path, i, next);
            }
            i = next;
        }
        if (out.length() == 0) {
            out.append('/');
        }
        return new RequestPath(out.toString(), query, null);
    }

    /**
     * nginx's {@code ngx_escape_uri} for a decoded path sent upstream: space, {@code #},
     * {@code %}, {@code ?}, control bytes, DEL and bytes above 0x7f are escaped again.
     */
    static String escape(String decoded) {
        StringBuilder out = null;
        for (int i = 0; i < decoded.length(); i++) {
            char c = decoded.charAt(i);
            boolean escape = c <= 0x20 || c == '#' || c == '%' || c == '?' || c >= 0x7f;
            if (escape && out == null) {
                out = new StringBuilder(decoded.length() + 16).append(decoded, 0, i);
            }
            if (out != null) {
                if (escape) {
                    out.append('%').append(Character.toUpperCase(Character.forDigit((c >> 4) & 0xf, 16)))
                            .append(Character.toUpperCase(Character.forDigit(c & 0xf, 16)));
                } else {
                    out.append(c);
                }
            }
        }
        return out == null ? decoded : out.toString();
    }
}
