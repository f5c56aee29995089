package io.stampede.balancer.route;

import io.stampede.balancer.vars.Template;

/**
 * nginx's {@code return}: a status, and for a redirect (301, 302, 303, 307, 308) the URL that goes
 * in {@code Location}, for any other status a body; both may hold variables. A bare URL is a 302.
 * {@code 444} closes the connection without a word.
 *
 * @param text the URL or body; null for none (the status's own page)
 */
public record ReturnAction(int status, Template text) {
    public boolean redirect() {
        return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
    }

    /** @throws IllegalArgumentException naming the value that is not a return */
    public static ReturnAction parse(String value) {
        // Only leading blanks go: a text's own trailing newline ("ok\n") is part of the answer.
        String v = value.stripLeading();
        if (v.startsWith("http://") || v.startsWith("https://") || v.startsWith("$scheme")) {
            return new ReturnAction(302, Template.parse(io.stampede.balancer.config.nginx.NginxStrings.unescape(v.stripTrailing())));
        }
        int space = v.indexOf(' ');
        String code = space < 0 ? v.stripTrailing() : v.substring(0, space);
        int status;
        try {
            status = Integer.parseInt(code);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + value + "' (expected CODE [TEXT|URL] or URL, e.g. 301 https://$host$request_uri)");
        }
        if (status < 0 || status > 999) {
            throw new IllegalArgumentException("'" + code + "' (expected a status from 0 to 999)");
        }
        String text = space < 0 ? "" : v.substring(space + 1).stripLeading();
        if (text.isBlank()) {
            return new ReturnAction(status, null);
        }
        String quoted = text.stripTrailing();
        if (quoted.length() >= 2 && (quoted.startsWith("\"") && quoted.endsWith("\"") || quoted.startsWith("'") && quoted.endsWith("'"))) {
            // A quoted string in nginx's syntax: its escapes are read as nginx reads them.
            text = io.stampede.balancer.config.nginx.NginxStrings.unescape(quoted.substring(1, quoted.length() - 1));
        } else {
            // A bare word: nginx reads the same escapes in it (a\nb is a, a newline and b).
            text = io.stampede.balancer.config.nginx.NginxStrings.unescape(text);
        }
        return new ReturnAction(status, Template.parse(text));
    }
}
