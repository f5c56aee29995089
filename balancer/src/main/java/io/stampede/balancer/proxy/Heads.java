package io.stampede.balancer.proxy;

import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.AsciiString;
import io.stampede.balancer.config.HeaderSetting;
import io.stampede.balancer.config.ProxySettings;
import io.stampede.balancer.vars.Variables;
import java.util.HashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Rewrites heads across the proxy, as nginx does: hop-by-hop headers never cross (Connection and
 * every header it names, Keep-Alive, Proxy-Connection, TE, Upgrade, HTTP2-Settings), framing is
 * always written anew, {@code Host} becomes {@code $proxy_host}, and {@code proxy_set_header}
 * applies last.
 */
final class Heads {
    private static final Set<AsciiString> HOP_BY_HOP = Set.of(HttpHeaderNames.CONNECTION, HttpHeaderNames.KEEP_ALIVE,
            AsciiString.cached("proxy-connection"), HttpHeaderNames.TE, HttpHeaderNames.UPGRADE,
            AsciiString.cached("http2-settings"), HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderNames.CONTENT_LENGTH,
            HttpHeaderNames.TRAILER);
    /** A Connection header may not remove these. */
    private static final Set<String> PROTECTED = Set.of("host", "content-length", "transfer-encoding");
    private static final AsciiString X_FORWARDED_FOR = AsciiString.cached("x-forwarded-for");
    private static final AsciiString X_REAL_IP = AsciiString.cached("x-real-ip");
    private static final AsciiString X_FORWARDED_PROTO = AsciiString.cached("x-forwarded-proto");

    private Heads() {}

    /**
     * The head sent upstream.
     *
     * @param bodyLength the body's length when known (0 for none), -1 for a chunked body
     */
    static HttpRequest upstreamRequest(HttpRequest client, String uri, String proxyHost, ProxySettings settings,
                                       Variables vars, long bodyLength) {
        HttpRequest out = new DefaultHttpRequest(HttpVersion.HTTP_1_1, client.method(), uri);
        HttpHeaders h = out.headers();
        h.set(HttpHeaderNames.HOST, proxyHost);
        Set<String> named = connectionTokens(client.headers());
        for (Map.Entry<String, String> e : client.headers()) {
            AsciiString name = AsciiString.of(e.getKey()).toLowerCase();
            if (HOP_BY_HOP.contains(name) || name.contentEquals(HttpHeaderNames.HOST)
                    || name.contentEquals(HttpHeaderNames.EXPECT) || named.contains(name.toString())) {
                continue;
            }
            if (settings.forwardedHeaders() && (name.contentEquals(X_FORWARDED_FOR) || name.contentEquals(X_REAL_IP)
                    || name.contentEquals(X_FORWARDED_PROTO))) {
                continue;
            }
            h.add(e.getKey(), e.getValue());
        }
        if (settings.forwardedHeaders()) {
            h.set(X_FORWARDED_FOR, vars.get("proxy_add_x_forwarded_for"));
            h.set(X_REAL_IP, vars.get("remote_addr"));
            h.set(X_FORWARDED_PROTO, vars.get("scheme"));
        }
        for (HeaderSetting s : settings.setHeaders()) {
            String value = s.value().render(vars);
            String lower = s.name().toLowerCase(Locale.ROOT);
            if (PROTECTED.contains(lower) && !lower.equals("host")) {
                continue;
            }
            if (value.isEmpty()) {
                h.remove(s.name());
            } else {
                h.set(s.name(), value);
            }
        }
        if (bodyLength > 0 || (bodyLength == 0 && client.headers().contains(HttpHeaderNames.CONTENT_LENGTH))) {
            h.set(HttpHeaderNames.CONTENT_LENGTH, bodyLength);
        } else if (bodyLength < 0) {
            h.set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
        }
        return out;
    }

    /**
     * The head sent to the client.
     *
     * @param chunked frame the body with chunked encoding (an HTTP/1.1 client, no known length)
     */
    static HttpResponse clientResponse(HttpResponse upstream, HttpVersion version, boolean keepAlive, boolean chunked) {
        HttpResponse out = new DefaultHttpResponse(version, upstream.status());
        HttpHeaders h = out.headers();
        Set<String> named = connectionTokens(upstream.headers());
        for (Map.Entry<String, String> e : upstream.headers()) {
            AsciiString name = AsciiString.of(e.getKey()).toLowerCase();
            if (HOP_BY_HOP.contains(name) || named.contains(name.toString())) {
                continue;
            }
            h.add(e.getKey(), e.getValue());
        }
        String length = upstream.headers().get(HttpHeaderNames.CONTENT_LENGTH);
        if (length != null) {
            h.set(HttpHeaderNames.CONTENT_LENGTH, length);
        } else if (chunked) {
            h.set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
        }
        if (!keepAlive) {
            h.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        } else if (version.equals(HttpVersion.HTTP_1_0)) {
            h.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
        }
        return out;
    }

    /** Whether the upstream let the connection be reused after this response. */
    static boolean upstreamKeepsAlive(HttpResponse response) {
        if (!response.protocolVersion().equals(HttpVersion.HTTP_1_1)) {
            return false;
        }
        return !connectionTokens(response.headers()).contains("close");
    }

    private static Set<String> connectionTokens(HttpHeaders headers) {
        Set<String> out = new HashSet<>();
        for (String v : headers.getAll(HttpHeaderNames.CONNECTION)) {
            for (String token : v.split(",")) {
                String t = token.trim().toLowerCase(Locale.ROOT);
                if (!t.isEmpty() && !PROTECTED.contains(t)) {
                    out.add(t);
                }
            }
        }
        if (headers.getAll(HttpHeaderNames.CONNECTION).stream().anyMatch(v -> v.toLowerCase(Locale.ROOT).contains("close"))) {
            out.add("close");
        }
        return out;
    }
}
