package io.stampede.common.wire;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The swarm's machine-readable summary ({@code stampede swarm --json FILE}), written by the swarm and
 * read by {@code stampede report} and the bench with these same records. Times are milliseconds,
 * latency measured from each request's intended start, service time from its actual send.
 *
 * <p>Version history: 0, the summary before it carried a version (the same fields, no
 * {@code version} key; read as version 0); 1, {@code version} added, later with
 * {@code tls_handshakes} for https:// targets (absent otherwise). Readers ignore keys they do not know.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record SwarmSummary(int version, String mode, @JsonProperty("duration_s") double durationS, int users,
                           long requests, long failures, long dropped, double rps,
                           @JsonProperty("fail_ratio") double failRatio,
                           @JsonProperty("latency_ms") Percentiles latencyMs,
                           @JsonProperty("service_ms") Percentiles serviceMs,
                           List<Endpoint> endpoints, List<ErrorCount> errors, List<ExceptionCount> exceptions,
                           GeneratorStats generator,
                           @JsonProperty("tls_handshakes") @JsonInclude(JsonInclude.Include.NON_NULL) TlsHandshakes tlsHandshakes) {
    public static final int VERSION = 1;

    public SwarmSummary(int version, String mode, double durationS, int users, long requests, long failures, long dropped,
                        double rps, double failRatio, Percentiles latencyMs, Percentiles serviceMs, List<Endpoint> endpoints,
                        List<ErrorCount> errors, List<ExceptionCount> exceptions, GeneratorStats generator) {
        this(version, mode, durationS, users, requests, failures, dropped, rps, failRatio, latencyMs, serviceMs, endpoints,
                errors, exceptions, generator, null);
    }

    /** The run's TLS handshakes: how many, how many resumed a session, and their time in milliseconds. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record TlsHandshakes(long count, long resumed, @JsonProperty("time_ms") Percentiles timeMs) {}
    private static final ObjectMapper JSON = new ObjectMapper().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    /** Milliseconds; all 0 when nothing was recorded. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Percentiles(double min, double mean, double p50, double p90, double p95, double p99, double p999,
                              double max) {
        public static final Percentiles NONE = new Percentiles(0, 0, 0, 0, 0, 0, 0, 0);
    }

    /** One request name (Locust's method and name). */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Endpoint(String method, String name, long requests, long failures, double rps,
                           @JsonProperty("latency_ms") Percentiles latencyMs,
                           @JsonProperty("service_ms") Percentiles serviceMs) {}

    /** Failures as Locust's web API lists them. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record ErrorCount(String method, String name, String error, long occurrences) {}

    /** Locust's exceptions: tasks abandoned, by message. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record ExceptionCount(String message, long count) {}

    /** The generator's own load: CPU share (0-100), event-loop lag, GC, and whether it limited the run. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record GeneratorStats(double cpu, @JsonProperty("peak_cpu") double peakCpu,
                                 @JsonProperty("max_lag_ms") double maxLagMs, @JsonProperty("gc_ms") long gcMs,
                                 boolean saturated) {}

    /** The request count and the failure ratio of the total or an endpoint, as {@code stampede report} compares them. */
    public static double failRatio(long requests, long failures) {
        return requests == 0 ? 0 : (double) failures / requests;
    }

    public void write(Path file) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        JSON.writerWithDefaultPrettyPrinter().writeValue(file.toFile(), this);
    }

    public static SwarmSummary read(Path file) throws IOException {
        return JSON.readValue(file.toFile(), SwarmSummary.class);
    }

    public static SwarmSummary read(String json) throws IOException {
        return JSON.readValue(json, SwarmSummary.class);
    }
}
