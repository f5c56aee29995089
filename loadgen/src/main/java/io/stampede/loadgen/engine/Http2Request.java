package io.stampede.loadgen.engine;

import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.util.AsciiString;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * A request as HTTP/2 sends it: a header block with the pseudo-headers, and a body (empty for
 * none). The body is the owner's: senders write retained duplicates of it.
 */
record Http2Request(Http2Headers headers, ByteBuf body) {
    /** Headers HTTP/2 forbids (RFC 9113, 8.2.2): they name the HTTP/1.1 connection, not the request. */
    private static final Set<String> CONNECTION_SPECIFIC = Set.of("connection", "keep-alive", "proxy-connection",
            "transfer-encoding", "upgrade", "host");

    /** A built HTTP/1.1 request's head in HTTP/2's form (its Host becomes :authority). */
    static Http2Headers headers(FullHttpRequest r, Target target) {
        Http2Headers h = new DefaultHttp2Headers(false);
        h.method(r.method().asciiName()).path(r.uri()).scheme(target.https() ? "https" : "http");
        String host = r.headers().get(HttpHeaderNames.HOST);
        h.authority(host != null ? host : target.hostHeader());
        for (Map.Entry<String, String> e : r.headers()) {
            String name = e.getKey().toLowerCase(Locale.ROOT);
            if (CONNECTION_SPECIFIC.contains(name) || (name.equals("te") && !e.getValue().equalsIgnoreCase("trailers"))) {
                continue;
            }
            h.add(AsciiString.of(name), e.getValue());
        }
        return h;
    }
}
