package io.stampede.balancer.config;

import java.net.InetSocketAddress;

/** One {@code listen} line: an address, and whether connections to it speak TLS ({@code ssl}). */
public record Listener(InetSocketAddress address, boolean ssl) {
    @Override
    public String toString() {
        return address.getHostString() + ":" + address.getPort() + (ssl ? " ssl" : "");
    }
}
