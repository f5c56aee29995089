package io.stampede.bench;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What one row measured: the swarm's view (requests, failures, latency from the intended start),
 * where the requests went (each backend's share of what the backends served), and what the
 * balancer did about trouble (retries, queue overflows, backends' own 503s).
 *
 * @param latencyMs p50, p95, p99, p999, max
 * @param retries attempts the proxy made beyond each request's first; -1 when not known (direct, nginx)
 * @param overflows requests the proxy's queue turned away; -1 when not known
 * @param disruption what happened to the killed backend (failure preset), the reloads (reload preset), or empty
 */
record RowResult(String name, String algorithm, int backends, long requests, long failures, double seconds,
                 double[] latencyMs, Map<String, Double> share, long retries, long overflows, long rejected,
                 Map<String, Object> generator, Map<String, Object> disruption) {

    double rps() {
        return seconds > 0 ? requests / seconds : 0;
    }

    /** Requests per second that succeeded: what the users got. */
    double goodRps() {
        return seconds > 0 ? (requests - failures) / seconds : 0;
    }

    double failRatio() {
        return requests == 0 ? 0 : (double) failures / requests;
    }

    double p50() {
        return latencyMs[0];
    }

    double p95() {
        return latencyMs[1];
    }

    double p99() {
        return latencyMs[2];
    }

    double p999() {
        return latencyMs[3];
    }

    double max() {
        return latencyMs[4];
    }

    Map<String, Object> toJson(double directGoodRps) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", name);
        m.put("algorithm", algorithm);
        m.put("backends", backends);
        m.put("requests", requests);
        m.put("rps", round(rps()));
        m.put("good_rps", round(goodRps()));
        m.put("failures", failures);
        m.put("fail_ratio", Math.round(failRatio() * 1e6) / 1e6);
        Map<String, Object> lat = new LinkedHashMap<>();
        lat.put("p50", round(p50()));
        lat.put("p95", round(p95()));
        lat.put("p99", round(p99()));
        lat.put("p999", round(p999()));
        lat.put("max", round(max()));
        m.put("latency_ms", lat);
        Map<String, Object> sh = new LinkedHashMap<>();
        share.forEach((k, v) -> sh.put(k, Math.round(v * 10_000) / 10_000.0));
        m.put("share", sh);
        m.put("speedup", directGoodRps > 0 ? round(goodRps() / directGoodRps) : null);
        m.put("retries", retries < 0 ? null : retries);
        m.put("queue_overflows", overflows < 0 ? null : overflows);
        m.put("backend_503s", rejected);
        m.put("generator", generator);
        if (!disruption.isEmpty()) {
            m.put("disruption", disruption);
        }
        return m;
    }

    static double round(double v) {
        return Math.round(v * 100) / 100.0;
    }
}
