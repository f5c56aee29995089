package io.stampede.balancer.config.directive;

import io.stampede.balancer.vars.Template;

/** An upstream's balancing method, as its {@code balance} directive says. */
public sealed interface BalanceMethod {
    /** The directive text, as it would be written in nginx. */
    String directive();

    /** Which method, for the one exhaustive switch that maps a method to its selector. */
    Kind kind();

    enum Kind { ROUND_ROBIN, LEAST_CONN, IP_HASH, HASH, RANDOM, LEAST_TIME, RANDOM_TWO_LEAST_TIME }

    /** Whether {@code backup} servers are allowed (round robin and least_conn only, as nginx). */
    default boolean allowsBackup() {
        return false;
    }

    record RoundRobin() implements BalanceMethod {
        public Kind kind() {
            return Kind.ROUND_ROBIN;
        }

        public String directive() {
            return "";
        }

        @Override
        public boolean allowsBackup() {
            return true;
        }
    }

    record LeastConn() implements BalanceMethod {
        public Kind kind() {
            return Kind.LEAST_CONN;
        }

        public String directive() {
            return "least_conn";
        }

        @Override
        public boolean allowsBackup() {
            return true;
        }
    }

    record IpHash() implements BalanceMethod {
        public Kind kind() {
            return Kind.IP_HASH;
        }

        public String directive() {
            return "ip_hash";
        }
    }

    record Hash(Template key, boolean consistent) implements BalanceMethod {
        public Kind kind() {
            return Kind.HASH;
        }

        public String directive() {
            return "hash " + key.source() + (consistent ? " consistent" : "");
        }
    }

    /** nginx Plus's {@code least_time header|last_byte [inflight]}. */
    record LeastTime(boolean lastByte, boolean inflight) implements BalanceMethod {
        public Kind kind() {
            return Kind.LEAST_TIME;
        }

        public String directive() {
            return "least_time " + (lastByte ? "last_byte" : "header") + (inflight ? " inflight" : "");
        }

        @Override
        public boolean allowsBackup() {
            return true;
        }
    }

    /** {@code random two least_time=header|last_byte}. */
    record RandomTwoLeastTime(boolean lastByte) implements BalanceMethod {
        public Kind kind() {
            return Kind.RANDOM_TWO_LEAST_TIME;
        }

        public String directive() {
            return "random two least_time=" + (lastByte ? "last_byte" : "header");
        }
    }

    /** {@code random}, or {@code random two [least_conn]} when {@code two}. */
    record Random(boolean two) implements BalanceMethod {
        public Kind kind() {
            return Kind.RANDOM;
        }

        public String directive() {
            return two ? "random two least_conn" : "random";
        }
    }

    /**
     * Parses the directive's value.
     *
     * @throws IllegalArgumentException saying what was expected
     */
    static BalanceMethod parse(String text) {
        String[] w = text.trim().split("\\s+");
        String expected = "round_robin, least_conn, least_time header|last_byte [inflight], ip_hash, hash KEY [consistent],"
                + " random [two [least_conn|least_time=header|least_time=last_byte]]";
        switch (w[0]) {
            case "", "round_robin" -> {
                if (w.length == 1) {
                    return new RoundRobin();
                }
            }
            case "least_conn" -> {
                if (w.length == 1) {
                    return new LeastConn();
                }
            }
            case "ip_hash" -> {
                if (w.length == 1) {
                    return new IpHash();
                }
            }
            case "hash" -> {
                if (w.length == 2 || (w.length == 3 && w[2].equals("consistent"))) {
                    return new Hash(Template.parse(w[1]), w.length == 3);
                }
                throw new IllegalArgumentException("hash KEY [consistent], e.g. hash $request_uri consistent");
            }
            case "random" -> {
                if (w.length == 1) {
                    return new Random(false);
                }
                if (w[1].equals("two") && (w.length == 2 || (w.length == 3 && w[2].equals("least_conn")))) {
                    return new Random(true);
                }
                if (w[1].equals("two") && w.length == 3 && w[2].matches("least_time=(header|last_byte)")) {
                    return new RandomTwoLeastTime(w[2].endsWith("last_byte"));
                }
                throw new IllegalArgumentException("random, random two, random two least_conn or random two least_time=header|last_byte");
            }
            case "least_time" -> {
                if ((w.length == 2 || (w.length == 3 && w[2].equals("inflight"))) && w[1].matches("header|last_byte")) {
                    return new LeastTime(w[1].equals("last_byte"), w.length == 3);
                }
                throw new IllegalArgumentException("least_time header|last_byte [inflight]");
            }
            default -> { }
        }
        throw new IllegalArgumentException("one of " + expected);
    }
}
