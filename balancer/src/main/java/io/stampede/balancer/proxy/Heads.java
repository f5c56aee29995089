package io.stampede.balancer.proxy;

import io.netty.handler.codec.http.DefaultHttpRequest;
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
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Rewrites heads across the proxy, as nginx does: hop-by-hop headers never cross (Connection and
 * every header it names, Keep-Alive, Proxy-Connection, TE, Upgrade, HTTP2-Settings), framing is
 * always written anew, {@code Host} becomes {@code $proxy_host}, and {@code proxy_set_header}
 * applies last. Runs per request: names are compared in place, without copying them.
 */
final class Heads {
    private static final AsciiString PROXY_CONNECTION = AsciiString.cached("proxy-connection");
    private static final AsciiString HTTP2_SETTINGS = AsciiString.cached("http2-settings");
    private static final AsciiString X_FORWARDED_FOR = AsciiString.cached("x-forwarded-for");
    private static final AsciiString X_REAL_IP = AsciiString.cached("x-real-ip");
    private static final AsciiString X_FORWARDED_PROTO = AsciiString.cached("x-forwarded-proto");
    private static final AsciiString[] HOP_BY_HOP = {HttpHeaderNames.CONNECTION, HttpHeaderNames.KEEP_ALIVE,
        PROXY_CONNECTION, HttpHeaderNames.TE, HttpHeaderNames.UPGRADE, HTTP2_SETTINGS,
        HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderNames.CONTENT_LENGTH, HttpHeaderNames.TRAILER};

    /**
     * Headers copied from a decoded message were validated by the decoder; copying them does not
     * validate again. Values that come from the config or from variables are checked here.
     */
    private static final io.netty.handler.codec.http.HttpHeadersFactory COPY =
            io.netty.handler.codec.http.DefaultHttpHeadersFactory.headersFactory().withValidation(false);

    private Heads() {}

    /**
     * The head sent upstream.
     *
     * @param bodyLength the body's length when known (0 for none), -1 for a chunked body
     * @param upgrade the client asked to switch to WebSocket ({@link #asksWebSocket}) and the request
     *     goes over HTTP/1.1: its Upgrade goes on, with {@code Connection: upgrade}, unless
     *     {@code proxy_set_header} says otherwise (nginx needs both set by hand; here they are the default)
     */
    static HttpRequest upstreamRequest(HttpRequest client, String uri, String proxyHost, ProxySettings settings,
                                       Variables vars, long bodyLength, boolean upgrade) {
        HttpRequest out = new DefaultHttpRequest(HttpVersion.HTTP_1_1, client.method(), uri, COPY);
        HttpHeaders h = out.headers();
        h.set(HttpHeaderNames.HOST, proxyHost);
        List<String> named = connectionTokens(client.headers());
        boolean forwarded = settings.forwardedHeaders();
        for (Iterator<Map.Entry<CharSequence, CharSequence>> it = client.headers().iteratorCharSequence(); it.hasNext(); ) {
            Map.Entry<CharSequence, CharSequence> e = it.next();
            CharSequence name = e.getKey();
            if (hopByHop(name) || AsciiString.contentEqualsIgnoreCase(name, HttpHeaderNames.HOST)
                    || AsciiString.contentEqualsIgnoreCase(name, HttpHeaderNames.EXPECT) || nominated(named, name)) {
                continue;
            }
            if (forwarded && (AsciiString.contentEqualsIgnoreCase(name, X_FORWARDED_FOR)
                    || AsciiString.contentEqualsIgnoreCase(name, X_REAL_IP)
                    || AsciiString.contentEqualsIgnoreCase(name, X_FORWARDED_PROTO))) {
                continue;
            }
            h.add(name, e.getValue());
        }
        if (forwarded) {
            // Prior X-Forwarded-For values were validated by the decoder; the rest are addresses.
            h.set(X_FORWARDED_FOR, vars.get("proxy_add_x_forwarded_for"));
            h.set(X_REAL_IP, vars.get("remote_addr"));
            h.set(X_FORWARDED_PROTO, vars.get("scheme"));
        }
        if (upgrade) {
            h.set(HttpHeaderNames.UPGRADE, client.headers().get(HttpHeaderNames.UPGRADE));
            h.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE);
        }
        for (HeaderSetting s : settings.setHeaders()) {
            if (AsciiString.contentEqualsIgnoreCase(s.name(), HttpHeaderNames.CONTENT_LENGTH)
                    || AsciiString.contentEqualsIgnoreCase(s.name(), HttpHeaderNames.TRANSFER_ENCODING)) {
                continue;
            }
            String value = s.value().render(vars);
            if (value.isEmpty() || !safeValue(value)) {
                // Empty removes the header, as in nginx; a value that would break the head (a
                // decoded %0d%0a from $arg_x, say) is dropped rather than sent.
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
     * Edits an upstream head for HTTP/2: TE goes only as {@code trailers}, the one value HTTP/2
     * allows, when the client asked for it or the call is gRPC (whose servers insist on it, and to
     * which nginx's grpc module always sends it). The rest of the conversion (Host to
     * {@code :authority}, no Connection or Transfer-Encoding) is the stream codec's.
     */
    static void forHttp2(HttpRequest upstream, HttpRequest client, boolean grpc) {
        if (grpc || client.headers().containsValue(HttpHeaderNames.TE, HttpHeaderValues.TRAILERS, true)) {
            upstream.headers().set(HttpHeaderNames.TE, HttpHeaderValues.TRAILERS);
        }
    }

    /**
     * The head sent to the client: the upstream's own head, edited in place (nothing reads the
     * upstream's hop-by-hop headers after this, and a copy per response is garbage per response).
     * Call {@link #upstreamKeepsAlive} before, since this removes the upstream's Connection header.
     *
     * @param chunked frame the body with chunked encoding (an HTTP/1.1 client, no known length)
     */
    static HttpResponse clientResponse(HttpResponse upstream, HttpVersion version, boolean keepAlive, boolean chunked) {
        HttpHeaders h = upstream.headers();
        for (String name : connectionTokens(h)) {
            h.remove(name);
        }
        for (AsciiString name : HOP_BY_HOP) {
            if (name != HttpHeaderNames.CONTENT_LENGTH) {
                h.remove(name);
            }
        }
        if (chunked && !h.contains(HttpHeaderNames.CONTENT_LENGTH)) {
            h.set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
        }
        if (!keepAlive) {
            h.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        } else if (version.equals(HttpVersion.HTTP_1_0)) {
            h.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
        }
        upstream.setProtocolVersion(version);
        return upstream;
    }

    /**
     * Whether an HTTP/1.1 client asks to switch to WebSocket: {@code Upgrade: websocket}, and
     * {@code upgrade} among the tokens of its {@code Connection} (RFC 9110 7.8). Only WebSocket
     * goes on by default: any other protocol (h2c above all, a smuggling route past the proxy's
     * checks) needs {@code proxy_set_header Upgrade}, as every upgrade does in nginx.
     */
    static boolean asksWebSocket(HttpRequest request) {
        return request.protocolVersion().equals(HttpVersion.HTTP_1_1)
                && request.headers().containsValue(HttpHeaderNames.UPGRADE, HttpHeaderValues.WEBSOCKET, true)
                && request.headers().containsValue(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE, true);
    }

    /**
     * The 101 sent to the client: the server's head with its hop-by-hop headers removed except
     * {@code Upgrade}, which names the protocol now spoken, and {@code Connection: upgrade}, as
     * nginx sends it. No framing headers: what follows is the new protocol's bytes.
     */
    static HttpResponse switchingResponse(HttpResponse upstream) {
        HttpHeaders h = upstream.headers();
        String protocol = h.get(HttpHeaderNames.UPGRADE);
        for (String name : connectionTokens(h)) {
            h.remove(name);
        }
        for (AsciiString name : HOP_BY_HOP) {
            h.remove(name);
        }
        if (protocol != null) {
            h.set(HttpHeaderNames.UPGRADE, protocol);
        }
        h.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE);
        upstream.setProtocolVersion(HttpVersion.HTTP_1_1);
        return upstream;
    }

    /** Whether the upstream let the connection be reused after this response. */
    static boolean upstreamKeepsAlive(HttpResponse response) {
        return response.protocolVersion().equals(HttpVersion.HTTP_1_1)
                && !response.headers().containsValue(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE, true);
    }

    /** A head's size as HTTP/2 counts it (RFC 9113 6.5.2): each field's name and value, plus 32. */
    static long size(HttpResponse response) {
        long n = 0;
        for (Iterator<Map.Entry<CharSequence, CharSequence>> it = response.headers().iteratorCharSequence(); it.hasNext(); ) {
            Map.Entry<CharSequence, CharSequence> e = it.next();
            n += e.getKey().length() + e.getValue().length() + 32;
        }
        return n;
    }

    private static boolean safeValue(String value) {
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if ((c < 0x20 && c != '\t') || c == 0x7f || c > 0xff) {
                return false;
            }
        }
        return true;
    }

    private static boolean hopByHop(CharSequence name) {
        for (AsciiString h : HOP_BY_HOP) {
            if (h.length() == name.length() && h.contentEqualsIgnoreCase(name)) {
                return true;
            }
        }
        return false;
    }

    private static boolean nominated(List<String> named, CharSequence name) {
        for (int i = 0; i < named.size(); i++) {
            if (AsciiString.contentEqualsIgnoreCase(named.get(i), name)) {
                return true;
            }
        }
        return false;
    }

    /** Headers a Connection header nominates for removal (never Host or the framing headers). */
    private static List<String> connectionTokens(HttpHeaders headers) {
        List<String> out = List.of();
        for (Iterator<String> values = headers.valueStringIterator(HttpHeaderNames.CONNECTION); values.hasNext(); ) {
            String v = values.next();
            if (HttpHeaderValues.KEEP_ALIVE.contentEqualsIgnoreCase(v) || HttpHeaderValues.CLOSE.contentEqualsIgnoreCase(v)) {
                continue; // the usual value names only a hop-by-hop header, removed anyway
            }
            if (out.isEmpty()) {
                out = new ArrayList<>(2);
            }
            for (String token : v.split(",")) {
                String t = token.trim().toLowerCase(Locale.ROOT);
                if (!t.isEmpty() && !t.equals("host") && !t.equals("content-length") && !t.equals("transfer-encoding")) {
                    out.add(t);
                }
            }
        }
        return out;
    }
}
