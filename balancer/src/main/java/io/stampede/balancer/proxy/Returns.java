package io.stampede.balancer.proxy;

import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.stampede.balancer.route.ReturnAction;
import io.stampede.balancer.vars.Variables;
import java.nio.charset.StandardCharsets;

/** The answer to nginx's {@code return}, made by the proxy itself. */
final class Returns {
    private Returns() {}

    /**
     * @param port the listener's port, for a relative redirect made absolute as nginx's
     *     {@code absolute_redirect} and {@code port_in_redirect} do
     */
    static FullHttpResponse response(ByteBufAllocator alloc, HttpVersion version, ReturnAction r, Variables vars, int port,
                                     boolean keepAlive, boolean headOnly) {
        String text = r.text() == null ? null : r.text().render(vars);
        if (r.redirect() || (text == null && r.status() >= 300)) {
            // The Location first (escaped as nginx escapes it: a decoded %0d%0a in $uri is no header
            // break), then the page's buffer, so nothing is allocated that a refusal could leak.
            String location = r.redirect() && text != null ? io.stampede.balancer.route.UriText.escapeUnsafe(absolute(text, vars, port))
                    : null;
            FullHttpResponse page = ErrorPages.page(alloc, version, r.status(), keepAlive, headOnly);
            if (location != null) {
                page.headers().set(HttpHeaderNames.LOCATION, location);
            }
            return page;
        }
        byte[] body = text == null ? new byte[0] : text.getBytes(StandardCharsets.UTF_8);
        FullHttpResponse out = new DefaultFullHttpResponse(version, HttpResponseStatus.valueOf(r.status()),
                headOnly ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(body));
        if (text != null) {
            out.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain");
        }
        if (r.status() != 204 && r.status() != 304) {
            out.headers().set(HttpHeaderNames.CONTENT_LENGTH, body.length);
        }
        if (!keepAlive) {
            out.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        } else if (version.equals(HttpVersion.HTTP_1_0)) {
            out.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
        }
        return out;
    }

    /** A redirect to a path gets the request's scheme and host, and the port unless it is the scheme's own. */
    private static String absolute(String location, Variables vars, int port) {
        if (!location.startsWith("/")) {
            return location;
        }
        String scheme = vars.get("scheme");
        boolean usual = ("http".equals(scheme) && port == 80) || ("https".equals(scheme) && port == 443);
        return scheme + "://" + vars.get("host") + (usual ? "" : ":" + port) + location;
    }
}
