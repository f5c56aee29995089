package io.stampede.balancer.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;

/** The small HTML pages the proxy answers its own errors with, as nginx does. */
final class ErrorPages {
    private ErrorPages() {}

    /**
     * @param headOnly the request was HEAD: the head says what the page would be (its type and
     *     length) but no body follows, as for any other answer to HEAD
     */
    static FullHttpResponse page(ByteBufAllocator alloc, HttpVersion version, int status, boolean keepAlive,
                                 boolean headOnly) {
        return page(alloc, version, status, keepAlive, headOnly, null);
    }

    /**
     * @param detail what the page says under its heading, and in its title (nginx's pages for a
     *     missing or bad client certificate: "400 No required SSL certificate was sent"), or null
     */
    static FullHttpResponse page(ByteBufAllocator alloc, HttpVersion version, int status, boolean keepAlive,
                                 boolean headOnly, String detail) {
        HttpResponseStatus s = HttpResponseStatus.valueOf(status);
        String heading = status + " " + reason(status, s);
        String title = detail == null ? heading : status + " " + detail;
        String html = "<html>\r\n<head><title>" + title + "</title></head>\r\n<body>\r\n<center><h1>" + heading
                + "</h1></center>\r\n" + (detail == null ? "" : "<center>" + detail + "</center>\r\n")
                + "<hr><center>stampede</center>\r\n</body>\r\n</html>\r\n";
        ByteBuf body = headOnly ? Unpooled.EMPTY_BUFFER : alloc.buffer(html.length());
        if (!headOnly) {
            body.writeCharSequence(html, StandardCharsets.ISO_8859_1);
        }
        FullHttpResponse r = new DefaultFullHttpResponse(version, s, body);
        r.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/html");
        r.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, html.length());
        if (!keepAlive) {
            r.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        } else if (version.equals(HttpVersion.HTTP_1_0)) {
            r.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
        }
        return r;
    }

    private static String reason(int status, HttpResponseStatus s) {
        return switch (status) {
            case 413 -> "Request Entity Too Large";
            case 414 -> "Request-URI Too Large";
            default -> s.reasonPhrase();
        };
    }
}
