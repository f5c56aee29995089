package io.stampede.balancer.route;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * nginx's {@code error_page CODE ... [=[RESPONSE]] URI}: an answer with one of the codes is
 * replaced by what {@code URI} (a path, searched for a location again, or a {@code @name} location)
 * answers, a GET (a HEAD stays a HEAD), with the original code, the given {@code =RESPONSE}, or
 * with a bare {@code =} the new answer's own. A URI starting with {@code http://} or
 * {@code https://} is a redirect: a 302, or the {@code =} code if it is a redirect's (301, 303...).
 *
 * @param status -1 to keep the original code, 0 for the new answer's own, else the code to answer with
 */
public record ErrorPage(Set<Integer> codes, int status, String uri) {
    public boolean named() {
        return uri.startsWith("@");
    }

    public boolean redirect() {
        return uri.startsWith("http://") || uri.startsWith("https://");
    }

    /** The first of {@code pages} for {@code code}, or null. */
    public static ErrorPage find(List<ErrorPage> pages, int code) {
        for (ErrorPage p : pages) {
            if (p.codes.contains(code)) {
                return p;
            }
        }
        return null;
    }

    /** @throws IllegalArgumentException naming what is wrong in {@code text} */
    public static ErrorPage parse(String text) {
        String[] w = text.trim().split("\\s+");
        Set<Integer> codes = new LinkedHashSet<>();
        int status = -1;
        String uri = null;
        for (int i = 0; i < w.length; i++) {
            String word = w[i];
            if (i == w.length - 1) {
                uri = word;
            } else if (word.startsWith("=")) {
                status = word.length() == 1 ? 0 : code(word.substring(1), 100, 599);
            } else {
                codes.add(code(word, 300, 599));
            }
        }
        if (codes.isEmpty() || uri == null || uri.startsWith("=")) {
            throw new IllegalArgumentException("'" + text + "' (expected CODE ... [=[RESPONSE]] URI, e.g. 502 503 =503 /busy "
                    + "or 404 @fallback)");
        }
        if (!uri.startsWith("/") && !uri.startsWith("@") && !uri.startsWith("http://") && !uri.startsWith("https://")) {
            throw new IllegalArgumentException("'" + uri + "' (expected a path, a @name location or an http(s) URL)");
        }
        if (uri.startsWith("http") && status != 301 && status != 302 && status != 303 && status != 307 && status != 308) {
            status = 302; // as nginx: a URL is a redirect, a 302 unless a redirect's code is given
        }
        return new ErrorPage(Set.copyOf(codes), status, uri);
    }

    private static int code(String s, int min, int max) {
        try {
            int c = Integer.parseInt(s);
            if (c >= min && c <= max) {
                return c;
            }
        } catch (NumberFormatException e) {
            // below
        }
        throw new IllegalArgumentException("'" + s + "' (expected a status from " + min + " to " + max + ")");
    }
}
