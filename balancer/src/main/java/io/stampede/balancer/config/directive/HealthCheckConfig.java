package io.stampede.balancer.config.directive;

import io.stampede.common.Durations;
import io.stampede.balancer.config.UpstreamSsl;
import java.time.Duration;
import java.util.Map;

/**
 * nginx Plus's {@code health_check} in a location: every {@code interval} (plus up to
 * {@code jitter}), a {@code GET uri} to each server of the location's upstream, on a connection of
 * its own. {@code fails} consecutive failures make the server unhealthy, {@code passes} consecutive
 * passes healthy again. {@code mandatory} servers start "checking" and get no requests until their
 * first check passes.
 *
 * @param port 0 for each server's own port
 * @param host the Host header (the location's {@code $proxy_host})
 * @param tls the location's proxy_ssl_* settings when its proxy_pass is https:// (checks speak
 *     TLS as its requests do); null for cleartext
 * @param http2 the location speaks HTTP/2 to its servers (proxy_http_version 2, grpc_pass): so do
 *     its checks, each on a connection of its own
 */
public record HealthCheckConfig(Duration interval, Duration jitter, int fails, int passes, String uri, int port,
                                MatchConfig match, boolean mandatory, boolean persistent, String host,
                                Duration connectTimeout, Duration readTimeout, UpstreamSsl tls, boolean http2) {

    /**
     * Whether {@code other} probes the same way (URI, port, Host, match, protocol): across a reload
     * such a check goes on with the verdicts it had.
     */
    public boolean sameProbe(HealthCheckConfig other) {
        return uri.equals(other.uri) && port == other.port && host.equals(other.host) && match.name().equals(other.match.name())
                && (tls == null) == (other.tls == null) && http2 == other.http2;
    }

    /** The same check, over TLS with {@code ssl} (null: cleartext), and over HTTP/2 or not. */
    public HealthCheckConfig withTransport(UpstreamSsl ssl, boolean overHttp2) {
        return new HealthCheckConfig(interval, jitter, fails, passes, uri, port, match, mandatory, persistent, host,
                connectTimeout, readTimeout, ssl, overHttp2);
    }

    /**
     * Parses {@code "interval=5s jitter=0 fails=1 passes=1 uri=/ port=N match=NAME mandatory persistent"}.
     *
     * @param connectTimeout the location's {@code proxy_connect_timeout}, which a check uses too
     * @param readTimeout the location's {@code proxy_read_timeout}, likewise
     * @throws IllegalArgumentException naming the parameter and value
     */
    public static HealthCheckConfig parse(String text, Map<String, MatchConfig> matches, String host,
                                          Duration connectTimeout, Duration readTimeout) {
        Duration interval = Duration.ofSeconds(5);
        Duration jitter = Duration.ZERO;
        int fails = 1;
        int passes = 1;
        String uri = "/";
        int port = 0;
        MatchConfig match = MatchConfig.DEFAULT;
        boolean mandatory = false;
        boolean persistent = false;
        for (String word : text.trim().split("\\s+")) {
            if (word.isEmpty()) {
                continue;
            }
            int eq = word.indexOf('=');
            String key = eq < 0 ? word : word.substring(0, eq);
            String value = eq < 0 ? null : word.substring(eq + 1);
            switch (key) {
                case "interval" -> interval = positive(word, value);
                case "jitter" -> jitter = Durations.parse(need(word, value));
                case "fails" -> fails = count(word, value);
                case "passes" -> passes = count(word, value);
                case "uri" -> {
                    uri = need(word, value);
                    if (!uri.startsWith("/")) {
                        throw new IllegalArgumentException("'" + word + "' (expected a path starting with /)");
                    }
                }
                case "port" -> {
                    port = count(word, value);
                    if (port > 65535) {
                        throw new IllegalArgumentException("'" + word + "' (expected a port from 1 to 65535)");
                    }
                }
                case "match" -> {
                    match = matches.get(need(word, value));
                    if (match == null) {
                        throw new IllegalArgumentException("'" + word + "': no match block named '" + value + "'"
                                + (matches.isEmpty() ? " (define it under match:)" : " (defined: " + String.join(", ", matches.keySet()) + ")"));
                    }
                }
                case "mandatory" -> mandatory = flag(word, value);
                case "persistent" -> persistent = flag(word, value);
                default -> throw new IllegalArgumentException("unknown health_check parameter '" + word
                        + "' (expected interval, jitter, fails, passes, uri, port, match, mandatory, persistent)");
            }
        }
        if (persistent && !mandatory) {
            throw new IllegalArgumentException("'persistent' needs 'mandatory' (as in nginx Plus)");
        }
        return new HealthCheckConfig(interval, jitter, fails, passes, uri, port, match, mandatory, persistent, host,
                connectTimeout, readTimeout, null, false);
    }

    private static String need(String word, String value) {
        if (value == null || value.isEmpty()) {
            throw new IllegalArgumentException("'" + word + "' needs a value (e.g. " + word + "=...)");
        }
        return value;
    }

    private static Duration positive(String word, String value) {
        Duration d;
        try {
            d = Durations.parse(need(word, value));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("'" + word + "': " + e.getMessage());
        }
        if (d.isZero() || d.isNegative()) {
            throw new IllegalArgumentException("'" + word + "' (expected a duration above 0)");
        }
        return d;
    }

    private static int count(String word, String value) {
        try {
            int n = Integer.parseInt(need(word, value));
            if (n < 1) {
                throw new NumberFormatException();
            }
            return n;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + word + "' (expected an integer >= 1)");
        }
    }

    private static boolean flag(String word, String value) {
        if (value != null) {
            throw new IllegalArgumentException("'" + word + "' takes no value");
        }
        return true;
    }
}
