package io.stampede.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The bench's stories. Backends are sized so one instance saturates far below what this machine can
 * generate (4 workers x 20 ms per query: ~200 req/s each), so the numbers show the balancing, not
 * the laptop; the user counts follow from that capacity and the seed scenario's pace.
 */
final class Presets {
    static final List<String> NAMES = List.of("homogeneous", "heterogeneous", "failure", "overload", "swarm-7k", "tls", "reload", "websocket");
    static final List<String> ALGORITHMS = List.of("round_robin", "weighted", "least_conn", "ip_hash", "hash", "random");
    /** Requests per second one seed-scenario user sends while responses are fast (measured: 2.7). */
    static final double USER_RPS = 2.7;

    private static final Plan.Backend STANDARD = new Plan.Backend(4, Duration.ofMillis(20), 64);
    private static final Plan.Backend SLOW = new Plan.Backend(4, Duration.ofMillis(60), 64);
    private static final Plan.Backend BIG = new Plan.Backend(64, Duration.ofMillis(10), 1024);

    /**
     * What the user asked for on top of a preset; nulls keep the preset's own values.
     *
     * @param algorithms rows to run (names from {@link #ALGORITHMS}); empty for the preset's
     */
    record Options(boolean quick, int backends, Integer users, Double spawnRate, Duration duration, List<String> algorithms,
                   boolean withNginx, int sourceIps) {}

    private Presets() {}

    static Plan build(String preset, Options o) {
        int n = o.backends();
        return switch (preset) {
            case "homogeneous" -> plan(preset, "Equal backends: balancing should scale throughput nearly linearly with their number.",
                    Collections.nCopies(n, STANDARD), usersFor(0.9 * n * STANDARD.capacity()), o.quick() ? 4 : 15,
                    rows(o, ALGORITHMS, weights(n, 2, 1)), null, o);
            case "heterogeneous" -> {
                List<Plan.Backend> b = new ArrayList<>(Collections.nCopies(n - 1, STANDARD));
                b.add(SLOW);
                double capacity = b.stream().mapToDouble(Plan.Backend::capacity).sum();
                yield plan(preset, "One backend three times slower than the others: where least_conn and weights beat round robin at the tail.",
                        b, usersFor(0.65 * capacity), o.quick() ? 4 : 20, rows(o, ALGORITHMS, slowLast(n)), null, o);
            }
            case "failure" -> {
                int seconds = o.quick() ? 4 : 30;
                Duration d = o.duration() != null ? o.duration() : Duration.ofSeconds(seconds);
                Plan.Disruption kill = new Plan.Disruption(0, d.dividedBy(3), d.multipliedBy(2).dividedBy(3));
                // Active checks as well as passive health: every second, /healthz must answer 2xx;
                // a passive failure keeps a server out for 2s (not nginx's 10s), so a restarted one
                // is back within the run once its check passes.
                List<Plan.Row> rows = rows(o, ALGORITHMS, weights(n, 2, 1)).stream()
                        .map(r -> r.checked("interval=1s fails=1 passes=1 uri=/healthz", "fail_timeout=2s"))
                        .collect(java.util.stream.Collectors.toList());
                yield plan(preset, "One backend is killed (SIGKILL) a third into each run and restarted two thirds in:"
                        + " passive health, active checks (every 1s) and retries keep client failures near zero.",
                        Collections.nCopies(n, STANDARD), usersFor(0.6 * (n - 1) * STANDARD.capacity()), seconds, rows, kill, o);
            }
            case "overload" -> {
                List<Plan.Row> rows = rows(o, List.of("round_robin", "least_conn"), List.of());
                Plan.Row lc = Plan.Row.of("least_conn", "least_conn");
                rows.add(lc.limited("max_conns", "max_conns=" + STANDARD.workers() * 2, null));
                rows.add(lc.limited("max_conns+queue", "max_conns=" + STANDARD.workers() * 2, "512 timeout=5s"));
                yield plan(preset, "Twice the load all backends can take: without limits the backends' own queues overflow (503);"
                        + " with max_conns the proxy refuses at once (502); with max_conns and a queue it holds requests in order.",
                        Collections.nCopies(n, STANDARD), usersFor(2.0 * n * STANDARD.capacity()), o.quick() ? 4 : 20, rows, null, o);
            }
            case "swarm-7k" -> plan(preset, "The seed article's 5,000-7,000 users: can this machine generate that load honestly?"
                            + " (the generator's own saturation check says)",
                    Collections.nCopies(n, BIG), o.quick() ? 2000 : 7000, o.quick() ? 6 : 20,
                    rows(o, List.of("round_robin"), List.of()), null, o);
            case "tls" -> {
                // The same round robin over the same backends, the swarm speaking cleartext, TLS
                // and HTTP/2 over TLS to the proxy (which speaks cleartext to the backends).
                List<Plan.Row> rows = new ArrayList<>();
                for (Plan.Row r : rows(o, List.of("round_robin"), weights(n, 2, 1))) {
                    rows.add(r);
                    rows.add(r.over(r.name() + "-https", Plan.Edge.HTTPS));
                    rows.add(r.over(r.name() + "-h2", Plan.Edge.H2));
                    rows.add(r.over(r.name() + "-tls-both", Plan.Edge.HTTPS_BOTH));
                }
                yield plan(preset, "What TLS at the proxy costs: the same balancing with the swarm on cleartext HTTP/1.1,"
                        + " on TLS 1.3 and on HTTP/2 over TLS (users sharing connections), backends on cleartext; then TLS on both sides.",
                        Collections.nCopies(n, STANDARD), usersFor(0.9 * n * STANDARD.capacity()), o.quick() ? 4 : 15, rows, null, o);
            }
            case "reload" -> {
                Plan same = build("homogeneous", o);
                yield new Plan(preset, "The homogeneous rows while the proxy's configuration is reloaded every second"
                        + " (stampede proxy -s reload): the same table, and no failed request.",
                        same.backends(), same.load(), same.rows().stream().filter(r -> !r.nginx()).toList(), null, Duration.ofSeconds(1));
            }
            case "websocket" -> {
                int seconds = o.quick() ? 9 : 30;
                Duration d = o.duration() != null ? o.duration() : Duration.ofSeconds(seconds);
                // Back half-way, so the second half shows how fast each algorithm refills it.
                Plan.Disruption kill = new Plan.Disruption(0, d.dividedBy(4), d.dividedBy(2));
                List<Plan.Row> rows = rows(o, List.of("round_robin", "least_conn"), List.of()).stream()
                        .map(r -> r.checked("interval=1s fails=1 passes=1 uri=/healthz", "fail_timeout=2s"))
                        .collect(java.util.stream.Collectors.toList());
                Plan p = plan(preset, "WebSocket tunnels (live prices) hold their backend until they close: one backend is killed a quarter"
                        + " into each run and restarted half-way; as users reconnect, least_conn fills it first and round robin"
                        + " only its turn. Shares are open tunnels near the end.",
                        Collections.nCopies(n, STANDARD), o.quick() ? 30 : 90, seconds, rows, kill, o);
                yield new Plan(p.preset(), p.story(), p.backends(), p.load(), p.rows(), p.disruption(), null,
                        "market-live.swarm.yaml", true);
            }
            default -> throw new IllegalArgumentException("unknown preset '" + preset + "' (expected one of " + String.join(", ", NAMES) + ")");
        };
    }

    private static Plan plan(String preset, String story, List<Plan.Backend> backends, int users, int seconds,
                             List<Plan.Row> rows, Plan.Disruption disruption, Options o) {
        int u = o.users() != null ? o.users() : users;
        // Log-ins hash passwords (CPU): spreading the users' arrival keeps that from being the story.
        double spawn = o.spawnRate() != null ? o.spawnRate() : Math.max(1, Math.ceil(u / (o.quick() ? 1.0 : 4.0)));
        Duration d = o.duration() != null ? o.duration() : Duration.ofSeconds(seconds);
        Duration warmup = Duration.ofSeconds(o.quick() ? 2 : 5);
        Plan.Load load = new Plan.Load(u, spawn, warmup, d, o.sourceIps());
        List<Plan.Row> all = new ArrayList<>();
        all.add(Plan.Row.direct());
        all.addAll(rows);
        if (o.withNginx()) {
            Plan.Row nginx = new Plan.Row("nginx", "round_robin (real nginx)", "", List.of(), "", null, true, null);
            all.add(nginx);
            if (preset.equals("tls")) {
                all.add(nginx.over("nginx-https", Plan.Edge.HTTPS));
                all.add(nginx.over("nginx-h2", Plan.Edge.H2));
                all.add(nginx.over("nginx-tls-both", Plan.Edge.HTTPS_BOTH));
            }
        }
        return new Plan(preset, story, List.copyOf(backends), load, List.copyOf(all), disruption, null);
    }

    private static int usersFor(double requestsPerSecond) {
        return (int) Math.ceil(requestsPerSecond / USER_RPS);
    }

    /** One backend weighted {@code heavy}, the rest {@code light}. */
    private static List<Integer> weights(int n, int heavy, int light) {
        List<Integer> w = new ArrayList<>(Collections.nCopies(n, light));
        w.set(0, heavy);
        return w;
    }

    /** Weights matching the heterogeneous capacities: 3 for each normal backend, 1 for the slow last one. */
    private static List<Integer> slowLast(int n) {
        List<Integer> w = new ArrayList<>(Collections.nCopies(n, 3));
        w.set(n - 1, 1);
        return w;
    }

    private static List<Plan.Row> rows(Options o, List<String> defaults, List<Integer> weights) {
        List<String> names = o.algorithms().isEmpty() ? defaults : o.algorithms();
        List<Plan.Row> rows = new ArrayList<>();
        for (String a : names) {
            rows.add(switch (a) {
                case "round_robin" -> Plan.Row.of(a, "");
                case "weighted" -> Plan.Row.of(a, "").withWeights(weights.isEmpty() ? weights(o.backends(), 2, 1) : weights);
                case "least_conn" -> Plan.Row.of(a, "least_conn");
                case "ip_hash" -> Plan.Row.of(a, "ip_hash");
                case "hash" -> Plan.Row.of(a, "hash $request_uri consistent");
                case "random" -> Plan.Row.of(a, "random two least_conn");
                default -> throw new IllegalArgumentException("unknown algorithm '" + a + "' (expected " + String.join(", ", ALGORITHMS) + ")");
            });
        }
        return rows;
    }
}
