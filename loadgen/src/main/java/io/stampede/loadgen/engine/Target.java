package io.stampede.loadgen.engine;

import java.net.InetSocketAddress;
import java.net.URI;

/**
 * The host under test: where to connect, what to send as {@code Host}, a path prefix, and whether
 * it speaks TLS ({@code https://}).
 */
public record Target(InetSocketAddress address, String hostHeader, String basePath, boolean https) {

    public Target(InetSocketAddress address, String hostHeader, String basePath) {
        this(address, hostHeader, basePath, false);
    }

    /** The host name as the URL gives it: sent as SNI and checked against the certificate. */
    public String host() {
        return address.getHostString();
    }

    /** @throws IllegalArgumentException naming the URL and what was expected */
    public static Target of(String url) {
        URI u;
        try {
            u = URI.create(url.trim());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("'" + url + "' is not a URL (expected http://HOST[:PORT])");
        }
        boolean https = "https".equalsIgnoreCase(u.getScheme());
        if (!(https || "http".equalsIgnoreCase(u.getScheme())) || u.getHost() == null) {
            throw new IllegalArgumentException("'" + url + "' is not an http URL (expected http://HOST[:PORT] or https://HOST[:PORT])");
        }
        int defaultPort = https ? 443 : 80;
        int port = u.getPort() < 0 ? defaultPort : u.getPort();
        String path = u.getRawPath() == null ? "" : u.getRawPath();
        if (path.endsWith("/")) {
            path = path.substring(0, path.length() - 1);
        }
        String host = u.getHost().startsWith("[") ? u.getHost().substring(1, u.getHost().length() - 1) : u.getHost();
        return new Target(InetSocketAddress.createUnresolved(host, port),
                port == defaultPort ? u.getHost() : u.getHost() + ":" + port, path, https);
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
