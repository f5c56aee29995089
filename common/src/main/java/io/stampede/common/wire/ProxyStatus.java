package io.stampede.common.wire;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.List;
import java.util.Map;

/**
 * The proxy's {@code GET /status} document, written by the proxy and read by the bench with these
 * same records. The format, in the spirit of nginx Plus's API:
 * <pre>
 * {"version": 1, "upstreams": {NAME: {"peers": [PEER...], "retries": N, "queue": {...}?}}}
 * </pre>
 * Version history: 0, the document before it carried a version (the same fields, no
 * {@code version} key; read as version 0); 1, {@code version} added. Readers ignore keys they do
 * not know, so a newer proxy's document still reads.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record ProxyStatus(int version, Map<String, UpstreamStatus> upstreams) {
    public static final int VERSION = 1;
    private static final ObjectMapper JSON = new ObjectMapper().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    /** One upstream: its servers in configuration order (backups last), retries, and its queue when it has one. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record UpstreamStatus(List<PeerStatus> peers, long retries,
                                 @JsonInclude(JsonInclude.Include.NON_NULL) QueueStatus queue) {
        /** The server with this {@code ip:port}, or null. */
        public PeerStatus peer(String server) {
            for (PeerStatus p : peers) {
                if (p.server().equals(server)) {
                    return p;
                }
            }
            return null;
        }
    }

    /**
     * One server.
     *
     * @param server its address, {@code ip:port}
     * @param name the address as configured (a host name, say)
     * @param active requests in flight
     * @param requests attempts sent to it
     * @param fails failed attempts in all
     * @param unavail times it was made unavailable by passive checks
     * @param currentFails failures in the current {@code fail_timeout} window
     * @param downtime milliseconds unhealthy or checking
     * @param selected when it was last picked (ISO-8601), or null
     * @param headerTime the moving average of the time to the response head, ms
     */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record PeerStatus(String server, String name, boolean backup, PeerState state, long active, long requests,
                             Responses responses, long fails, long unavail,
                             @JsonProperty("current_fails") long currentFails,
                             @JsonProperty("health_checks") HealthChecks healthChecks, long downtime, String selected,
                             @JsonProperty("header_time") long headerTime, int weight,
                             @JsonProperty("effective_weight") long effectiveWeight) {}

    /** Responses by status class, and their total. */
    public record Responses(@JsonProperty("1xx") long informational, @JsonProperty("2xx") long success,
                            @JsonProperty("3xx") long redirection, @JsonProperty("4xx") long clientError,
                            @JsonProperty("5xx") long serverError, long total) {
        /** From counts indexed by class − 1 (1xx at 0). */
        public static Responses of(long[] byClass) {
            long total = 0;
            for (long n : byClass) {
                total += n;
            }
            return new Responses(byClass[0], byClass[1], byClass[2], byClass[3], byClass[4], total);
        }
    }

    /** Active health checks of one server; {@code lastPassed} is ISO-8601 or null. */
    public record HealthChecks(long checks, long fails, long unhealthy, @JsonProperty("last_passed") String lastPassed) {}

    /** nginx Plus's queue: requests waiting now, its limit, and requests it refused (full or timed out). */
    public record QueueStatus(long size, @JsonProperty("max_size") long maxSize, long overflows) {}

    public byte[] toJson() {
        try {
            return JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(this);
        } catch (IOException e) {
            throw new IllegalStateException("cannot write the status document", e);
        }
    }

    public static ProxyStatus read(String json) throws IOException {
        return JSON.readValue(json, ProxyStatus.class);
    }

    /** The upstream named, or null. */
    public UpstreamStatus upstream(String name) {
        return upstreams.get(name);
    }
}
