package io.stampede.loadgen.engine;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The open model's schedule as a pure function: when the n-th arrival (from 0) is due, for a
 * constant rate or for stages whose rate ramps linearly from the previous stage's target (from 0
 * for the first, as k6's ramping-arrival-rate). No clock: tests check it with tables.
 *
 * <p>Over a stage with rate going from r0 to r1 in D seconds, arrivals so far grow as
 * A(t) = A0 + r0·t + (r1 − r0)·t²/(2D); the n-th arrival is at the t where A(t) = n.
 */
public final class Pacer {
    /** A stage: how long it lasts and the rate reached at its end. */
    public record Stage(Duration duration, double targetPerSecond) {}

    private final List<Stage> stages;
    private final double constant;
    /** An execution segment: this pacer takes arrivals index, index + count, ... of the whole schedule. */
    private final int segmentIndex;
    private final int segmentCount;

    private Pacer(List<Stage> stages, double constant) {
        this(stages, constant, 0, 1);
    }

    private Pacer(List<Stage> stages, double constant, int segmentIndex, int segmentCount) {
        this.stages = stages;
        this.constant = constant;
        this.segmentIndex = segmentIndex;
        this.segmentCount = segmentCount;
    }

    /**
     * Segment {@code index} of {@code count} of this schedule (k6's execution segments, striped):
     * arrival n of the segment is arrival {@code index + n * count} of the whole, at its time, so
     * the segments of all processes together are the whole schedule exactly, arrival for arrival.
     */
    public Pacer segment(int index, int count) {
        if (count < 1 || index < 0 || index >= count) {
            throw new IllegalArgumentException("segment " + index + "/" + count + " (expected INDEX/COUNT with 0 <= INDEX < COUNT)");
        }
        return new Pacer(stages, constant, index, count);
    }

    public static Pacer constant(double perSecond) {
        if (!(perSecond > 0)) {
            throw new IllegalArgumentException("a rate must be above 0");
        }
        return new Pacer(List.of(), perSecond);
    }

    public static Pacer stages(List<Stage> stages) {
        if (stages.isEmpty()) {
            throw new IllegalArgumentException("no stages");
        }
        return new Pacer(List.copyOf(stages), 0);
    }

    /** Parses {@code 500/s}, {@code 30/m} or a plain number per second. */
    public static double parseRate(String text) {
        double v = parseRate(text, false);
        return v;
    }

    private static double parseRate(String text, boolean zeroAllowed) {
        String t = text.trim();
        double per = 1;
        if (t.endsWith("/s")) {
            t = t.substring(0, t.length() - 2);
        } else if (t.endsWith("/m")) {
            t = t.substring(0, t.length() - 2);
            per = 60;
        } else if (t.endsWith("/h")) {
            t = t.substring(0, t.length() - 2);
            per = 3600;
        }
        try {
            double v = Double.parseDouble(t) / per;
            if ((v > 0 || (zeroAllowed && v == 0)) && v < 10_000_000) {
                return v;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException("'" + text + "' is not a rate (expected e.g. 500/s, 30/m)");
    }

    /** Parses {@code 30s:100/s,1m:500/s}. */
    public static Pacer parseStages(String text) {
        List<Stage> out = new ArrayList<>();
        for (String part : text.split(",")) {
            int colon = part.indexOf(':');
            if (colon < 0) {
                throw new IllegalArgumentException("'" + part + "' is not a stage (expected DURATION:RATE, e.g. 30s:100/s)");
            }
            Duration d = io.stampede.common.Durations.parse(part.substring(0, colon));
            if (d.isZero()) {
                throw new IllegalArgumentException("stage '" + part + "' lasts 0s");
            }
            out.add(new Stage(d, parseRate(part.substring(colon + 1), true)));
        }
        return stages(out);
    }

    /** How long the schedule lasts, or null for a constant rate (until the run time ends). */
    public Duration total() {
        if (stages.isEmpty()) {
            return null;
        }
        Duration d = Duration.ZERO;
        for (Stage s : stages) {
            d = d.plus(s.duration);
        }
        return d;
    }

    /** The rate (per second) at {@code nanos} into the schedule (this segment's share of it). */
    public double rateAt(long nanos) {
        return wholeRateAt(nanos) / segmentCount;
    }

    private double wholeRateAt(long nanos) {
        if (stages.isEmpty()) {
            return constant;
        }
        double t = nanos / 1e9;
        double r0 = 0;
        for (Stage s : stages) {
            double d = s.duration.toNanos() / 1e9;
            if (t <= d) {
                return r0 + (s.targetPerSecond - r0) * t / d;
            }
            t -= d;
            r0 = s.targetPerSecond;
        }
        return 0;
    }

    /** When the n-th arrival (n from 0) is due, in nanoseconds from the start; -1 past the end. */
    public long timeOf(long n) {
        return wholeTimeOf(segmentIndex + n * segmentCount);
    }

    private long wholeTimeOf(long n) {
        if (stages.isEmpty()) {
            return (long) (n / constant * 1e9);
        }
        double before = 0;
        double start = 0;
        double r0 = 0;
        for (Stage s : stages) {
            double d = s.duration.toNanos() / 1e9;
            double r1 = s.targetPerSecond;
            double inStage = (r0 + r1) / 2 * d;
            if (n < before + inStage || (n == 0 && inStage > 0)) {
                double c = before - n;
                double a = (r1 - r0) / (2 * d);
                double tau;
                if (Math.abs(a) < 1e-12) {
                    tau = -c / r0;
                } else {
                    double disc = r0 * r0 - 4 * a * c;
                    tau = (-r0 + Math.sqrt(Math.max(0, disc))) / (2 * a);
                }
                return (long) ((start + Math.max(0, Math.min(d, tau))) * 1e9);
            }
            before += inStage;
            start += d;
            r0 = r1;
        }
        return -1;
    }
}
