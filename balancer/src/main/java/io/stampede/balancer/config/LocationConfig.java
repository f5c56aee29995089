package io.stampede.balancer.config;

/**
 * A {@code location}: a prefix (longest match wins) or an exact path ({@code "= /x"}), and where it
 * proxies to.
 *
 * @param upstream the upstream's name (an implicit one for {@code http://host:port})
 * @param proxyHost {@code $proxy_host}: the host (and port unless 80) of the {@code proxy_pass} URL
 * @param uri the URI part of {@code proxy_pass}, replacing the matched prefix; null when absent
 * @param https whether {@code proxy_pass} is {@code https://} (or {@code grpc_pass} {@code grpcs://}):
 *     TLS to the servers, per {@code proxy.ssl()}
 * @param grpc whether the location has {@code grpc_pass} rather than {@code proxy_pass}: HTTP/2 to
 *     the servers, the request body streamed as it comes, and the proxy's own errors told as gRPC
 *     statuses
 * @param limitReq the {@code limit_req*} directives in force here
 * @param limitConn the {@code limit_conn*} directives in force here
 * @param limitRate {@code limit_rate} and {@code limit_rate_after} in force here
 * @param internal nginx's {@code internal}: never chosen for a client's own request (404)
 * @param ret the location's {@code return}, or null; a location with neither {@code return} nor
 *     a pass (upstream null) only holds nested locations, and answers 404 itself
 * @param rewrites the location's own {@code rewrite}s (never inherited, as nginx's)
 * @param errorPages {@code error_page}s in force here
 * @param interceptErrors {@code proxy_intercept_errors}: a server's answer with a code of
 *     {@code errorPages} is replaced as the proxy's own would be
 */
public record LocationConfig(String path, boolean exact, String upstream, String proxyHost, String uri,
                             boolean https, ProxySettings proxy,
                             boolean grpc, io.stampede.balancer.limit.LimitReqSettings limitReq,
                             io.stampede.balancer.limit.LimitConnSettings limitConn,
                             io.stampede.balancer.limit.LimitRate limitRate, boolean internal,
                             io.stampede.balancer.route.ReturnAction ret,
                             java.util.List<io.stampede.balancer.route.Rewrite> rewrites,
                             java.util.List<io.stampede.balancer.route.ErrorPage> errorPages, boolean interceptErrors) {
    public boolean matches(String requestPath) {
        return exact ? requestPath.equals(path) : requestPath.startsWith(path);
    }
}
