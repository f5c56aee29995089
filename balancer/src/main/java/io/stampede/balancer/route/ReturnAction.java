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
        String v = value.trim();
        if (v.startsWith("http://") || v.startsWith("https://") || v.startsWith("$scheme")) {
            return new ReturnAction(302, Template.parse(v));
        }
        int space = v.indexOf(' ');
        String code = space < 0 ? v : v.substring(0, space);
        int status;
        try {
            status = Integer.parseInt(code);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + value + "' (expected CODE [TEXT|URL] or URL, e.g. 301 https://$host$request_uri)");
        }
        if (status < 0 || status > 999) {
            throw new IllegalArgumentException("'" + code + "' (expected a status from 0 to 999)");
        }
        if (space < 0) {
            return new ReturnAction(status, null);
        }
        String text = v.substring(space + 1).trim();
        if (text.length() >= 2 && (text.startsWith("\"") && text.endsWith("\"") || text.startsWith("'") && text.endsWith("'"))) {
            text = text.substring(1, text.length() - 1);
        }
        return new ReturnAction(status, Template.parse(text));
    }
}
