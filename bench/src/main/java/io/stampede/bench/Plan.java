package io.stampede.bench;

import java.time.Duration;
import java.util.List;

/**
 * What one bench run does: the backends to start, the load, and the rows to measure in order.
 *
 * @param story one line for the console and bench.md: what this preset shows
 * @param disruption a backend killed and brought back during every row, or null
 * @param reloadEvery how often our proxy's configuration is reloaded during every balanced row, or null
 * @param scenario the built-in scenario the swarm runs (a file in config/ shipped in the jar), or null for the seed's
 * @param tunnels the rows' shares are the backends' open WebSocket sessions near the window's end, not requests served
 */
record Plan(String preset, String story, List<Backend> backends, Load load, List<Row> rows, Disruption disruption,
            Duration reloadEvery, String scenario, boolean tunnels) {
    Plan(String preset, String story, List<Backend> backends, Load load, List<Row> rows, Disruption disruption,
         Duration reloadEvery) {
        this(preset, story, backends, load, rows, disruption, reloadEvery, null, false);
    }


    /** One Market API process: its capacity is about {@code workers / dbLatency} requests per second. */
    record Backend(int workers, Duration dbLatency, int maxQueue) {
        double capacity() {
            return workers / (dbLatency.toNanos() / 1e9);
        }

        /**
         * Log-ins hash with 1,000 PBKDF2 iterations instead of the API's 10,000: on a 2-core
         * machine shared by every part, a few hundred users logging in at 10 ms of CPU each would
         * make the CPU, not the backends' capacity, the story of the first seconds.
         */
        List<String> args() {
            return List.of("--workers", String.valueOf(workers), "--db-latency", dbLatency.toMillis() + "ms",
                    "--max-queue", String.valueOf(maxQueue), "--hash-iterations", "1000");
        }
    }

    /**
     * The swarm: closed-model users running the seed scenario, spawned at {@code spawnRate}, left
     * {@code warmup} to log in and let every JVM warm up, then measured for {@code duration}.
     */
    record Load(int users, double spawnRate, Duration warmup, Duration duration, int sourceIps) {
        Duration spawnTime() {
            return Duration.ofMillis((long) Math.ceil(users / spawnRate * 1000));
        }
    }

    /**
     * One measured row.
     *
     * @param balance the upstream's {@code balance} value, "" for round robin; null for the direct row
     * @param weights per-backend weights, or empty for all 1
     * @param serverParams extra parameters on every server line ({@code max_conns=8})
     * @param queue the upstream's {@code queue} value, or null
     * @param nginx run through a real nginx instead of our proxy
     * @param healthCheck the location's {@code health_check} value, or null (nginx OSS has none)
     * @param edge how the swarm speaks to the balancer (or to the backend, for the direct row)
     */
    record Row(String name, String algorithm, String balance, List<Integer> weights, String serverParams,
               String queue, boolean nginx, String healthCheck, Edge edge) {
        Row(String name, String algorithm, String balance, List<Integer> weights, String serverParams,
            String queue, boolean nginx, String healthCheck) {
            this(name, algorithm, balance, weights, serverParams, queue, nginx, healthCheck, Edge.HTTP);
        }

        static Row direct() {
            return new Row("direct", "-", null, List.of(), "", null, false, null);
        }

        static Row of(String name, String balance) {
            return new Row(name, balance.isEmpty() ? "round_robin" : balance, balance, List.of(), "", null, false, null);
        }

        /** With an active health check, and the server parameters that go with it. */
        Row checked(String check, String params) {
            return new Row(name, algorithm, balance, weights, params, queue, nginx, check, edge);
        }

        /** The same row as {@code newName}, with the swarm speaking {@code e} to the balancer. */
        Row over(String newName, Edge e) {
            return new Row(newName, algorithm + ", " + e.label, balance, weights, serverParams, queue, nginx, healthCheck, e);
        }

        boolean isDirect() {
            return balance == null;
        }

        Row withWeights(List<Integer> w) {
            return new Row(name, algorithm + " (weights " + w.stream().map(String::valueOf)
                    .collect(java.util.stream.Collectors.joining(":")) + ")", balance, w, serverParams, queue, nginx, healthCheck, edge);
        }

        Row limited(String name, String params, String queueValue) {
            String label = algorithm + ", " + params + (queueValue == null ? "" : ", queue " + queueValue);
            return new Row(name, label, balance, weights, params, queueValue, nginx, healthCheck, edge);
        }
    }

    /**
     * The protocols of a row: between the swarm and the balancer, cleartext HTTP/1.1, HTTP/1.1
     * over TLS (keep-alive, so one handshake per user) or HTTP/2 over TLS (the users sharing
     * connections); and between the balancer and the backends, cleartext or TLS (kept-alive
     * connections, sessions resumed).
     */
    enum Edge {
        HTTP(false, false, false, "http"), HTTPS(true, false, false, "https (TLS 1.3)"), H2(true, true, false, "h2 (TLS 1.3)"),
        HTTPS_BOTH(true, false, true, "https, TLS to the backends too");

        final boolean tls;
        final boolean http2;
        final boolean upstreamTls;
        final String label;

        Edge(boolean tls, boolean http2, boolean upstreamTls, String label) {
            this.tls = tls;
            this.http2 = http2;
            this.upstreamTls = upstreamTls;
            this.label = label;
        }
    }

    /** Backend {@code backend} is killed (SIGKILL) {@code killAt} into the measured window, and restarted at {@code backAt}. */
    record Disruption(int backend, Duration killAt, Duration backAt) {}
}
