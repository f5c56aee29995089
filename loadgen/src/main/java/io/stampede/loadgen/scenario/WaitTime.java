package io.stampede.loadgen.scenario;

import java.util.Locale;
import java.util.random.RandomGenerator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Locust's wait_time functions: how long a user waits after a task before the next one.
 * {@code between(a, b)} is uniform in [a, b] seconds; {@code constant(s)}; {@code constant_pacing(p)}
 * starts a task every p seconds (waiting what the task left of p); {@code constant_throughput(n)}
 * is pacing at n tasks per second.
 */
public sealed interface WaitTime {
    /** Nanoseconds to wait after a task that took {@code taskNanos}. */
    long waitNanos(long taskNanos, RandomGenerator random);

    String text();

    record Between(double min, double max) implements WaitTime {
        public long waitNanos(long taskNanos, RandomGenerator random) {
            return (long) ((min + random.nextDouble() * (max - min)) * 1e9);
        }

        public String text() {
            return "between(" + min + ", " + max + ")";
        }
    }

    record Constant(double seconds) implements WaitTime {
        public long waitNanos(long taskNanos, RandomGenerator random) {
            return (long) (seconds * 1e9);
        }

        public String text() {
            return "constant(" + seconds + ")";
        }
    }

    record ConstantPacing(double seconds) implements WaitTime {
        public long waitNanos(long taskNanos, RandomGenerator random) {
            return Math.max(0, (long) (seconds * 1e9) - taskNanos);
        }

        public String text() {
            return "constant_pacing(" + seconds + ")";
        }
    }

    record ConstantThroughput(double perSecond) implements WaitTime {
        public long waitNanos(long taskNanos, RandomGenerator random) {
            return Math.max(0, (long) (1e9 / perSecond) - taskNanos);
        }

        public String text() {
            return "constant_throughput(" + perSecond + ")";
        }
    }

    Pattern CALL = Pattern.compile("\\s*(between|constant|constant_pacing|constant_throughput)\\s*\\(([^)]*)\\)\\s*");

    /** @throws IllegalArgumentException saying what was expected */
    static WaitTime parse(String text) {
        Matcher m = CALL.matcher(text);
        String expected = "between(MIN, MAX), constant(S), constant_pacing(S) or constant_throughput(N), in seconds";
        if (!m.matches()) {
            throw new IllegalArgumentException(expected);
        }
        String[] args = m.group(2).split(",");
        double[] v = new double[args.length];
        try {
            for (int i = 0; i < args.length; i++) {
                v[i] = Double.parseDouble(args[i].trim());
                if (v[i] < 0 || Double.isNaN(v[i]) || Double.isInfinite(v[i])) {
                    throw new NumberFormatException();
                }
            }
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(expected + "; arguments are non-negative numbers");
        }
        String fn = m.group(1).toLowerCase(Locale.ROOT);
        if (fn.equals("between")) {
            if (v.length != 2 || v[1] < v[0]) {
                throw new IllegalArgumentException("between takes two numbers, MIN <= MAX");
            }
            return new Between(v[0], v[1]);
        }
        if (v.length != 1) {
            throw new IllegalArgumentException(fn + " takes one number");
        }
        return switch (fn) {
            case "constant" -> new Constant(v[0]);
            case "constant_pacing" -> new ConstantPacing(v[0]);
            default -> {
                if (v[0] == 0) {
                    throw new IllegalArgumentException("constant_throughput needs a rate above 0");
                }
                yield new ConstantThroughput(v[0]);
            }
        };
    }
}
