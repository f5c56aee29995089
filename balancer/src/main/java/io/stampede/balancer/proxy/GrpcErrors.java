package io.stampede.balancer.proxy;

import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.AsciiString;
import java.nio.charset.StandardCharsets;

/**
 * The proxy's own errors told to a gRPC client: a gRPC call's outcome is its {@code grpc-status},
 * so instead of an HTML error page the client gets a "Trailers-Only" response (HTTP 200, the
 * status in the one HEADERS frame that ends the stream), with the code gRPC's own HTTP mapping
 * gives the status the proxy would have answered (502, 503 and 504 are UNAVAILABLE: the call may
 * be tried again).
 */
final class GrpcErrors {
    private static final AsciiString GRPC_STATUS = AsciiString.cached("grpc-status");
    private static final AsciiString GRPC_MESSAGE = AsciiString.cached("grpc-message");
    private static final AsciiString APPLICATION_GRPC = AsciiString.cached("application/grpc");

    private GrpcErrors() {}

    /** Whether the request is a gRPC call ({@code content-type: application/grpc}, with or without a subtype). */
    static boolean isGrpc(HttpRequest head) {
        String type = head.headers().get(HttpHeaderNames.CONTENT_TYPE);
        return type != null && type.regionMatches(true, 0, "application/grpc", 0, 16)
                && (type.length() == 16 || type.charAt(16) == '+' || type.charAt(16) == ';');
    }

    /** gRPC's mapping of an HTTP status to a call status (grpc/doc/http-grpc-status-mapping.md). */
    static int code(int httpStatus) {
        return switch (httpStatus) {
            case 400 -> 13; // INTERNAL
            case 401 -> 16; // UNAUTHENTICATED
            case 403 -> 7; // PERMISSION_DENIED
            case 404 -> 12; // UNIMPLEMENTED
            case 429, 502, 503, 504 -> 14; // UNAVAILABLE
            default -> 2; // UNKNOWN
        };
    }

    /**
     * The response for a call the proxy could not pass on, had it answered {@code httpStatus}.
     *
     * @param http1 an HTTP/1.x client, which needs a length to know the response ended
     */
    static FullHttpResponse trailersOnly(int httpStatus, HttpVersion version, boolean http1) {
        FullHttpResponse r = new DefaultFullHttpResponse(version, HttpResponseStatus.OK, Unpooled.EMPTY_BUFFER);
        r.headers().set(HttpHeaderNames.CONTENT_TYPE, APPLICATION_GRPC);
        r.headers().set(GRPC_STATUS, code(httpStatus));
        r.headers().set(GRPC_MESSAGE, percentEncode("stampede proxy: " + HttpResponseStatus.valueOf(httpStatus)));
        if (http1) {
            r.headers().set(HttpHeaderNames.CONTENT_LENGTH, HttpHeaderValues.ZERO);
        }
        return r;
    }

    /** grpc-message's encoding: UTF-8, with '%' and bytes outside printable ASCII as %XX. */
    static String percentEncode(String message) {
        StringBuilder out = new StringBuilder(message.length());
        for (byte b : message.getBytes(StandardCharsets.UTF_8)) {
            int c = b & 0xff;
            if (c >= 0x20 && c <= 0x7e && c != '%') {
                out.append((char) c);
            } else {
                out.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
                        .append(Character.toUpperCase(Character.forDigit(c & 0xf, 16)));
            }
        }
        return out.toString();
    }
}
