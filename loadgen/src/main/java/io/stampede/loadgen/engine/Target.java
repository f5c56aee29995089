package io.stampede.loadgen.engine;

import java.net.InetSocketAddress;
import java.net.URI;

/** The host under test: where to connect, what to send as {@code Host}, and a path prefix. */
public record Target(InetSocketAddress address, String hostHeader, String basePath) {

    /** @throws IllegalArgumentException naming the URL and what was expected */
    public static Target of(String url) {
        URI u;
        try {
            u = URI.create(url.trim());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("'" + url + "' is not a URL (expected http://HOST[:PORT])");
        }
        if (!"http".equalsIgnoreCase(u.getScheme()) || u.getHost() == null) {
            throw new IllegalArgumentException("'" + url + "' is not an http URL (expected http://HOST[:PORT]; https is not supported)");
        }
        int port = u.getPort() < 0 ? 80 : u.getPort();
        String path = u.getRawPath() == null ? "" : u.getRawPath();
        if (path.endsWith("/")) {
            path = path.substring(0, path.length() - 1);
        }
        return new Target(InetSocketAddress.createUnresolved(u.getHost(), port),
                port == 80 ? u.getHost() : u.getHost() + ":" + port, path);
    }

    /** The request target for a scenario path (Locust joins the host and the path). */
    public String uri(String path) {
        if (path.startsWith("/")) {
            return basePath + path;
        }
        return basePath + "/" + path;
    }

    public InetSocketAddress resolved() {
        return new InetSocketAddress(address.getHostString(), address.getPort());
    }
}
