package io.stampede.loadgen.run;

import io.stampede.common.Durations;
import io.stampede.loadgen.engine.Pacer;
import io.stampede.loadgen.engine.Target;
import java.time.Duration;
import java.util.Map;

/**
 * What a run asks for, from the command line or the web UI's start form ({@code POST /swarm}):
 * Locust's fields {@code user_count}, {@code spawn_rate}, {@code host} and {@code run_time}, and
 * ours, {@code rate}: the open model's arrivals as a rate ({@code 200/s}) or as stages
 * ({@code 30s:100/s,1m:500/s}); then {@code user_count} is the most users free for arrivals.
 *
 * @param runTime null: until stopped
 * @param arrivals the open model's arrivals as written, or null for the closed model
 */
public record RunRequest(int users, double spawnRate, String host, Duration runTime, String arrivals) {
    public RunRequest {
        if (arrivals != null) {
            pacerOf(arrivals); // fails here, naming the text, rather than when the run starts
        }
    }

    /** Whether this is the open model (arrivals on a schedule). */
    public boolean open() {
        return arrivals != null;
    }

    /** The arrivals' schedule, or null for the closed model. */
    public Pacer pacer() {
        return arrivals == null ? null : pacerOf(arrivals);
    }

    /** A rate ({@code 200/s}) or stages ({@code 30s:100/s,1m:500/s}), told apart by the stage's colon. */
    public static Pacer pacerOf(String arrivals) {
        return arrivals.contains(":") ? Pacer.parseStages(arrivals) : Pacer.constant(Pacer.parseRate(arrivals));
    }

    /** How the report and the console name the model: "closed model" or "open model, arrivals 200/s". */
    public String modelLabel() {
        return arrivals == null ? "closed model" : "open model, arrivals " + arrivals;
    }

    /** Reads the form; a missing field takes {@code defaults}' value, a bad one names itself. */
    public static RunRequest parse(Map<String, String> form, RunRequest defaults) {
        int users = defaults.users;
        String u = field(form, "user_count");
        if (u != null) {
            try {
                users = Integer.parseInt(u);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("user_count: '" + u + "' is not a whole number");
            }
        }
        if (users < 1 || users > 100_000) {
            throw new IllegalArgumentException("user_count: " + users + " (expected 1 to 100000)");
        }
        double spawn = defaults.spawnRate;
        String r = field(form, "spawn_rate");
        if (r != null) {
            try {
                spawn = Double.parseDouble(r);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("spawn_rate: '" + r + "' is not a number");
            }
        }
        if (!(spawn > 0) || Double.isInfinite(spawn)) {
            throw new IllegalArgumentException("spawn_rate: " + r + " (expected above 0)");
        }
        String host = field(form, "host");
        if (host == null) {
            host = defaults.host;
        }
        if (host == null) {
            throw new IllegalArgumentException("host: missing (the scenario sets none)");
        }
        try {
            Target.of(host);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("host: " + e.getMessage());
        }
        // Absent: the command line's value; present but empty: none (until stopped; closed model).
        Duration runTime = form.containsKey("run_time") ? null : defaults.runTime;
        String t = field(form, "run_time");
        if (t != null) {
            try {
                runTime = Durations.parse(t);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("run_time: " + e.getMessage());
            }
            if (runTime.isZero()) {
                throw new IllegalArgumentException("run_time: 0s (expected a positive duration, or leave it empty)");
            }
        }
        String arrivals = form.containsKey("rate") ? null : defaults.arrivals;
        String a = field(form, "rate");
        if (a != null) {
            Pacer pacer;
            try {
                pacer = pacerOf(a);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("rate: " + e.getMessage());
            }
            arrivals = a;
            if (runTime == null && pacer.total() != null && field(form, "run_time") == null) {
                runTime = pacer.total(); // stages end by themselves: the run with them
            }
        }
        return new RunRequest(users, spawn, host, runTime, arrivals);
    }

    /** A field's trimmed value, or null when absent or blank (an empty run_time means "until stopped"). */
    private static String field(Map<String, String> form, String name) {
        String v = form.get(name);
        return v == null || v.isBlank() ? null : v.trim();
    }
}
