package io.stampede.loadgen.report;

import io.stampede.common.wire.SwarmSummary;
import io.stampede.common.wire.SwarmSummary.Endpoint;
import io.stampede.common.wire.SwarmSummary.ErrorCount;
import io.stampede.common.wire.SwarmSummary.ExceptionCount;
import io.stampede.common.wire.SwarmSummary.GeneratorStats;
import io.stampede.common.wire.SwarmSummary.Percentiles;
import io.stampede.loadgen.stats.EndpointStats;
import io.stampede.loadgen.stats.ErrorKey;
import io.stampede.loadgen.stats.StatsSnapshot;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.HdrHistogram.Histogram;

/** The machine-readable summary ({@code --json FILE}): a {@link SwarmSummary} from a run's last snapshot. */
public final class JsonSummary {
    private JsonSummary() {}

    public static SwarmSummary of(String mode, StatsSnapshot s, int users, GeneratorHealth health) {
        List<Endpoint> endpoints = new ArrayList<>();
        for (EndpointStats e : s.endpoints()) {
            endpoints.add(new Endpoint(e.endpoint().method(), e.endpoint().name(), e.requests(), e.failures(),
                    round(s.rps(e)), percentiles(e.latency()), percentiles(e.service())));
        }
        List<ExceptionCount> exceptions = new ArrayList<>();
        s.exceptions().forEach((message, count) -> exceptions.add(new ExceptionCount(message, count)));
        GeneratorStats gen = new GeneratorStats(round(health.cpu()), round(health.peakCpu()), round(health.maxLagMs()),
                health.gcTotalMillis(), health.saturated());
        return new SwarmSummary(SwarmSummary.VERSION, mode, round(s.elapsedSeconds()), users, s.total().requests(),
                s.total().failures(), s.dropped(), round(s.rps()), round(s.total().failRatio()),
                percentiles(s.total().latency()), percentiles(s.total().service()), endpoints, errors(s), exceptions, gen,
                s.handshakes().count() == 0 ? null
                        : new SwarmSummary.TlsHandshakes(s.handshakes().count(), s.handshakes().resumed(), percentiles(s.handshakes().time())));
    }

    private static Percentiles percentiles(Histogram h) {
        if (h.getTotalCount() == 0) {
            return Percentiles.NONE;
        }
        return new Percentiles(ms(h.getMinValue()), round(h.getMean() / 1000.0), ms(h.getValueAtPercentile(50)),
                ms(h.getValueAtPercentile(90)), ms(h.getValueAtPercentile(95)), ms(h.getValueAtPercentile(99)),
                ms(h.getValueAtPercentile(99.9)), ms(h.getMaxValue()));
    }

    private static double ms(long micros) {
        return round(micros / 1000.0);
    }

    private static double round(double v) {
        return Math.round(v * 1000) / 1000.0;
    }

    /** The failures as Locust's web API lists them: method, name, error, occurrences. */
    public static List<ErrorCount> errors(StatsSnapshot s) {
        List<ErrorCount> errors = new ArrayList<>();
        for (Map.Entry<ErrorKey, Long> e : s.errors().entrySet()) {
            errors.add(new ErrorCount(e.getKey().method(), e.getKey().name(), e.getKey().error(), e.getValue()));
        }
        return errors;
    }
}
