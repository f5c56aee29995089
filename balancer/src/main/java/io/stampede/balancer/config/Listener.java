package io.stampede.balancer.config;

import java.net.InetSocketAddress;

/**
 * One {@code listen} line: an address, whether connections to it speak TLS ({@code ssl}), and
 * whether HTTP/2 is offered on it ({@code http2} here or {@code http2: on} for all): by ALPN with
 * TLS, and on a cleartext port to clients that open with HTTP/2's preface (prior knowledge), beside
 * HTTP/1.x on the same port, as nginx 1.25.1 and later do.
 */
public record Listener(InetSocketAddress address, boolean ssl, boolean http2) {
    @Override
    public String toString() {
        return address.getHostString() + ":" + address.getPort() + (ssl ? " ssl" : "") + (http2 ? " http2" : "");
    }
}
