package io.stampede.balancer.config;

import java.security.cert.X509Certificate;
import java.util.List;

/**
 * The {@code proxy_ssl_*} directives in force for a location: how it speaks TLS to its upstream
 * servers when {@code proxy_pass} is {@code https://}. Inherited directive by directive from the
 * top level, as nginx merges them. Files are read when the configuration is.
 *
 * @param verify {@code proxy_ssl_verify} (off by default, as in nginx)
 * @param trusted {@code proxy_ssl_trusted_certificate}: the CAs a server's chain must lead to
 * @param verifyDepth {@code proxy_ssl_verify_depth}: intermediates allowed between server and CA
 * @param serverName {@code proxy_ssl_server_name}: whether SNI is sent (off by default)
 * @param name {@code proxy_ssl_name}: the name sent and checked; null for nginx's default,
 *     {@code $proxy_host} without its port
 * @param certificate {@code proxy_ssl_certificate} and {@code _key}: ours, for servers that ask; null for none
 * @param protocols {@code proxy_ssl_protocols}
 * @param ciphers {@code proxy_ssl_ciphers}
 * @param sessionReuse {@code proxy_ssl_session_reuse}: resume a server's last session (on by default)
 */
public record UpstreamSsl(boolean verify, List<X509Certificate> trusted, int verifyDepth, boolean serverName,
                          String name, SslSettings.CertifiedKey certificate, List<String> protocols, String ciphers,
                          boolean sessionReuse) {

    /** nginx's defaults: no verification, no SNI, sessions reused. */
    public static final UpstreamSsl DEFAULT = new UpstreamSsl(false, List.of(), 1, false, null, null,
            List.of("TLSv1.2", "TLSv1.3"), "DEFAULT", true);

    /**
     * The name to send and check for a location whose {@code $proxy_host} is {@code proxyHost}:
     * {@code proxy_ssl_name} or {@code $proxy_host}, without a port either way, as nginx strips it.
     */
    public String nameFor(String proxyHost) {
        return withoutPort(name != null ? name : proxyHost);
    }

    private static String withoutPort(String hostPort) {
        if (hostPort.startsWith("[")) {
            int end = hostPort.indexOf(']');
            return end > 0 ? hostPort.substring(1, end) : hostPort;
        }
        int colon = hostPort.lastIndexOf(':');
        return colon > 0 && hostPort.indexOf(':') == colon ? hostPort.substring(0, colon) : hostPort;
    }
}
