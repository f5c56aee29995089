package io.stampede.balancer.proxy;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Checks a decoded request head before anything is forwarded: the request target, Host,
 * Transfer-Encoding and method rules a proxy must add to Netty's decoder to keep requests framed
 * the same way on both sides. Returns the refusal, or null when the request may go on.
 */
final class RequestGuard {
    /** A refused request: its status and a reason for the error log. */
    record Refusal(int status, String reason) {}

    private static final Pattern HOST = Pattern.compile(
            "(?:\\[[0-9A-Fa-f:.]+]|[A-Za-z0-9._~!$&'()*+,;=%-]+)(?::[0-9]{1,5})?");

    private RequestGuard() {}

    /** The path and query to use, with an absolute-form target's authority moved into Host. */
    record Target(String uri, String host) {}

    /** @param hostRequired whether an HTTP/1.1 request must name its host (HTTP/2's need not) */
    static Refusal check(HttpRequest request, boolean hostRequired) {
        HttpMethod method = request.method();
        if (method.equals(HttpMethod.TRACE)) {
            return new Refusal(405, "TRACE is not allowed");
        }
        if (method.equals(HttpMethod.CONNECT)) {
            return new Refusal(405, "CONNECT is not allowed");
        }
        String uri = request.uri();
        for (int i = 0; i < uri.length(); i++) {
            char c = uri.charAt(i);
            if (c <= 0x20 || c >= 0x7f || c == '#') {
                return new Refusal(400, "invalid character in the request target");
            }
        }
        List<String> hosts = request.headers().getAll(HttpHeaderNames.HOST);
        if (hosts.size() > 1) {
            return new Refusal(400, "more than one Host header");
        }
        boolean absolute = uri.regionMatches(true, 0, "http://", 0, 7) || uri.regionMatches(true, 0, "https://", 0, 8);
        if (hostRequired && hosts.isEmpty() && request.protocolVersion().equals(HttpVersion.HTTP_1_1) && !absolute) {
            return new Refusal(400, "HTTP/1.1 request without a Host header");
        }
        if (!hosts.isEmpty() && !validHost(hosts.get(0).trim())) {
            return new Refusal(400, "invalid Host header");
        }
        Target target = target(request);
        if (target == null) {
            return new Refusal(400, "invalid request target");
        }
        List<String> codings = request.headers().getAll(HttpHeaderNames.TRANSFER_ENCODING);
        if (!codings.isEmpty()) {
            if (codings.size() != 1 || !codings.get(0).trim().equalsIgnoreCase("chunked")) {
                return new Refusal(501, "unsupported Transfer-Encoding");
            }
        }
        return null;
    }

    /** The origin-form target and the host to use; null when the target is neither origin nor absolute form. */
    static Target target(HttpRequest request) {
        String uri = request.uri();
        String host = request.headers().get(HttpHeaderNames.HOST);
        if (uri.startsWith("/")) {
            return new Target(uri, host == null ? null : host.trim());
        }
        int schemeEnd = uri.indexOf("://");
        if (schemeEnd < 0) {
            return null;
        }
        String scheme = uri.substring(0, schemeEnd).toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) {
            return null;
        }
        String rest = uri.substring(schemeEnd + 3);
        int slash = rest.indexOf('/');
        int query = rest.indexOf('?');
        int cut = slash < 0 ? query : query < 0 ? slash : Math.min(slash, query);
        String authority = cut < 0 ? rest : rest.substring(0, cut);
        if (authority.isEmpty() || authority.contains("@") || !validHost(authority)) {
            return null;
        }
        String path = cut < 0 ? "/" : rest.substring(cut);
        if (path.startsWith("?")) {
            path = "/" + path;
        }
        return new Target(path, authority);
    }

    /** A Host value: a name or IPv4 address, or a bracketed IPv6 address, with an optional port. */
    static boolean validHost(String host) {
        if (host.startsWith("[")) {
            return HOST.matcher(host).matches();
        }
        int colon = host.indexOf(':');
        int end = colon < 0 ? host.length() : colon;
        if (end == 0) {
            return false;
        }
        for (int i = 0; i < end; i++) {
            char c = host.charAt(i);
            boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || "._~!$&'()*+,;=%-".indexOf(c) >= 0;
            if (!ok) {
                return false;
            }
        }
        if (colon >= 0) {
            int digits = host.length() - colon - 1;
            if (digits < 1 || digits > 5) {
                return false;
            }
            for (int i = colon + 1; i < host.length(); i++) {
                if (host.charAt(i) < '0' || host.charAt(i) > '9') {
                    return false;
                }
            }
        }
        return true;
    }

    static String pathOf(String uri) {
        int q = uri.indexOf('?');
        return q < 0 ? uri : uri.substring(0, q);
    }
}
