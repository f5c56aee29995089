package io.stampede.balancer.proxy;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.codec.http.cookie.Cookie;
import io.netty.handler.codec.http.cookie.ServerCookieDecoder;
import io.stampede.balancer.tls.TlsFacts;
import io.stampede.balancer.vars.VariableMap;
import io.stampede.balancer.vars.Variables;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;

/** nginx's variables for one client request, computed on demand. */
final class RequestVariables implements Variables {
    private final HttpRequest request;
    private final String uri;
    private final String path;
    private final String host;
    private final InetSocketAddress remote;
    private final InetSocketAddress local;
    private final String proxyHost;
    private final TlsFacts tls;
    /** {@code h2}, {@code h2c} or null for HTTP/1.x. */
    private final String http2;
    private Map<String, List<String>> args;
    /** The configuration's {@code map} variables, evaluated when used. */
    private final Map<String, VariableMap> maps;
    /** nginx's {@code $limit_req_status}, once limit_req decided (empty before, and without limit_req). */
    String limitReqStatus = "";
    /** nginx's {@code $limit_conn_status}. */
    String limitConnStatus = "";
    /** nginx's {@code $server_name}: the chosen server's first name, set once it is chosen. */
    String serverName = "";

    /**
     * @param uri the origin-form target, as sent
     * @param path the decoded, normalized path ({@code $uri})
     * @param host the effective host (absolute-form authority wins)
     * @param http2 {@code h2} or {@code h2c} for a request on an HTTP/2 stream, else null
     */
    RequestVariables(HttpRequest request, String uri, String path, String host, InetSocketAddress remote,
                     InetSocketAddress local, String proxyHost, TlsFacts tls, String http2, Map<String, VariableMap> maps) {
        this.maps = maps;
        this.request = request;
        this.uri = uri;
        this.path = path;
        this.host = host;
        this.remote = remote;
        this.local = local;
        this.proxyHost = proxyHost;
        this.tls = tls;
        this.http2 = http2;
    }

    @Override
    public String get(String name) {
        HttpHeaders h = request.headers();
        switch (name) {
            case "request_uri":
                return request.uri(); // the client's own, whatever a rewrite or error_page made of it
            case "server_name":
                return serverName;
            case "uri":
            case "document_uri":
                return path;
            case "args":
            case "query_string": {
                int q = uri.indexOf('?');
                return q < 0 ? "" : uri.substring(q + 1);
            }
            case "is_args":
                return uri.indexOf('?') < 0 ? "" : "?";
            case "remote_addr":
                return remote.getAddress().getHostAddress();
            case "limit_req_status":
                return limitReqStatus;
            case "limit_conn_status":
                return limitConnStatus;
            case "binary_remote_addr":
                // The address's 4 or 16 bytes, one char each: a compact key, as nginx's.
                return new String(remote.getAddress().getAddress(), java.nio.charset.StandardCharsets.ISO_8859_1);
            case "remote_port":
                return String.valueOf(remote.getPort());
            case "host": {
                String hostOnly = host == null ? local.getAddress().getHostAddress() : stripPort(host);
                return hostOnly.toLowerCase(java.util.Locale.ROOT);
            }
            case "scheme":
                return tls == null ? "http" : "https";
            case "https":
                return tls == null ? "" : "on";
            case "request_method":
                return request.method().name();
            case "server_port":
                return String.valueOf(local.getPort());
            case "server_addr":
                return local.getAddress().getHostAddress();
            case "server_protocol":
                return http2 != null ? "HTTP/2.0" : request.protocolVersion().text();
            case "http2":
                return http2 == null ? "" : http2;
            case "proxy_host":
                return proxyHost;
            case "proxy_port": {
                int colon = proxyHost.lastIndexOf(':');
                return colon < 0 || proxyHost.endsWith("]") ? "80" : proxyHost.substring(colon + 1);
            }
            case "proxy_add_x_forwarded_for": {
                List<String> prior = h.getAll("X-Forwarded-For");
                String addr = remote.getAddress().getHostAddress();
                return prior.isEmpty() ? addr : String.join(", ", prior) + ", " + addr;
            }
            case "content_length":
                return h.get(HttpHeaderNames.CONTENT_LENGTH);
            case "content_type":
                return h.get(HttpHeaderNames.CONTENT_TYPE);
            case "request_id":
                return Long.toHexString(System.nanoTime() ^ remote.getPort());
            default:
                break;
        }
        VariableMap map = maps.get(name);
        if (map != null) {
            return map.evaluate(this);
        }
        if (name.startsWith("ssl_")) {
            return tls == null ? "" : tls.variable(name);
        }
        if (name.startsWith("http_")) {
            String header = name.substring(5).replace('_', '-');
            List<String> all = h.getAll(header);
            return all.isEmpty() ? null : String.join(header.equalsIgnoreCase("cookie") ? "; " : ", ", all);
        }
        if (name.startsWith("arg_")) {
            if (args == null) {
                args = new QueryStringDecoder(uri).parameters();
            }
            List<String> v = args.get(name.substring(4));
            return v == null || v.isEmpty() ? null : v.get(0);
        }
        if (name.startsWith("cookie_")) {
            String wanted = name.substring(7);
            for (String header : h.getAll(HttpHeaderNames.COOKIE)) {
                for (Cookie c : ServerCookieDecoder.LAX.decodeAll(header)) {
                    if (c.name().equals(wanted)) {
                        return c.value();
                    }
                }
            }
            return null;
        }
        return null;
    }

    private static String stripPort(String host) {
        if (host.startsWith("[")) {
            int close = host.indexOf(']');
            return close < 0 ? host : host.substring(0, close + 1);
        }
        int colon = host.indexOf(':');
        return colon < 0 ? host : host.substring(0, colon);
    }
}
