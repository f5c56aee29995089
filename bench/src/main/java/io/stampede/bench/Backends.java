package io.stampede.bench;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The servers being balanced: Market API processes the bench starts (one process each, as in
 * production), or external URLs given with {@code --backend}. Ours can be reset, counted, killed
 * and restarted on the same port; external ones are only addressed.
 */
final class Backends {
    /** One backend: where it listens, the name its requests are counted under, its process if ours. */
    static final class Server {
        final String host;
        final int port;
        final String name;
        final Plan.Backend spec;
        /** Its HTTPS port (the same instance, {@code --tls-port}), or 0 when it serves only HTTP. */
        int tlsPort;
        Child child;
        /** Requests it served and refused (503) before being killed in this row: its counters die with it. */
        long servedBeforeKill;
        long rejectedBeforeKill;

        Server(String host, int port, String name, Plan.Backend spec, Child child) {
            this.host = host;
            this.port = port;
            this.name = name;
            this.spec = spec;
            this.child = child;
        }

        String url() {
            return "http://" + host + ":" + port;
        }

        String address() {
            return host + ":" + port;
        }

        /** Where to reach it over TLS. */
        String tlsAddress() {
            if (tlsPort == 0) {
                throw new IllegalStateException(name + " serves no HTTPS (started without --tls-port)");
            }
            return host + ":" + tlsPort;
        }

        boolean ours() {
            return spec != null;
        }
    }

    private final Children children;
    private final Map<String, String> env;
    /** The certificate the backends also serve HTTPS with, or null. */
    private Path tlsCertificate;
    final List<Server> servers = new ArrayList<>();

    private Backends(Children children, Map<String, String> env) {
        this.children = children;
        this.env = env;
    }

    /**
     * Starts one Market API process per spec, on free ports (or {@code firstPort}, {@code firstPort+1}, ...).
     *
     * @param tlsCertificate for rows with TLS to the backends: each also serves HTTPS ({@code --tls-port})
     *        with this PEM certificate and the key the bench wrote beside it; null for HTTP only
     */
    static Backends start(Children children, List<Plan.Backend> specs, int firstPort, String jwtSecret, Path tlsCertificate)
            throws BenchException, InterruptedException {
        Backends b = new Backends(children, Map.of("MARKET_JWT_SECRET", jwtSecret));
        b.tlsCertificate = tlsCertificate;
        // Start them all, then wait: the JVMs boot in parallel.
        List<Child> started = new ArrayList<>();
        for (int i = 0; i < specs.size(); i++) {
            int port = firstPort == 0 ? 0 : firstPort + i;
            started.add(b.launch(i, port, specs.get(i)));
        }
        for (int i = 0; i < specs.size(); i++) {
            Child c = started.get(i);
            io.stampede.common.wire.ReadyLine ready = c.awaitReady("api", "listening", Duration.ofSeconds(60))
                    .orElseThrow(() -> new BenchException(c.label + " did not start within 60s" + c.tail()));
            int port = java.net.URI.create(ready.urls().get(0)).getPort();
            Server s = new Server("127.0.0.1", port, "api-" + port, specs.get(i), c);
            s.tlsPort = ready.urls().stream().filter(u -> u.startsWith("https://"))
                    .mapToInt(u -> java.net.URI.create(u).getPort()).findFirst().orElse(0);
            b.servers.add(s);
        }
        return b;
    }

    /** External servers: checked to answer HTTP before any load is sent. */
    static Backends external(Children children, List<String> urls) throws BenchException {
        Backends b = new Backends(children, Map.of());
        for (String u : urls) {
            java.net.URI uri;
            try {
                uri = java.net.URI.create(u);
            } catch (IllegalArgumentException e) {
                throw new BenchException("--backend " + u + ": not a URL (expected http://HOST:PORT)");
            }
            if (!"http".equals(uri.getScheme()) || uri.getHost() == null || uri.getPort() < 0) {
                throw new BenchException("--backend " + u + ": expected http://HOST:PORT");
            }
            if (!Admin.answers(u)) {
                throw new BenchException("backend " + u + " is not answering (nothing accepted an HTTP request there)");
            }
            b.servers.add(new Server(uri.getHost(), uri.getPort(), uri.getHost() + ":" + uri.getPort(), null, null));
        }
        return b;
    }

    private Child launch(int index, int port, Plan.Backend spec) throws BenchException {
        return launch(index, port, 0, spec);
    }

    private Child launch(int index, int port, int tlsPort, Plan.Backend spec) throws BenchException {
        List<String> args = new ArrayList<>(List.of("--port", String.valueOf(port)));
        if (tlsCertificate != null) {
            Path key = tlsCertificate.resolveSibling(Path.of(Configs.KEY).getFileName());
            args.addAll(List.of("--tls-port", String.valueOf(tlsPort), "--tls-cert", tlsCertificate.toString(), "--tls-key", key.toString()));
        }
        args.addAll(spec.args());
        String label = "the Market API #" + (index + 1) + (port == 0 ? "" : " (port " + port + ")");
        return children.start(label, "api-" + (index + 1), "api", args, env);
    }

    boolean ours() {
        return servers.stream().allMatch(Server::ours);
    }

    void resetStats() throws BenchException, InterruptedException {
        for (Server s : servers) {
            s.servedBeforeKill = 0;
            s.rejectedBeforeKill = 0;
            if (s.ours()) {
                try {
                    Admin.post(s.url() + "/_admin/stats/reset");
                } catch (IOException e) {
                    throw new BenchException("cannot reset the stats of " + s.name + ": " + e.getMessage());
                }
            }
        }
    }

    /** A backend's own counters: requests it served, and those it refused with 503 (its queue full). */
    record Served(long served, long rejected) {
        static final Served NONE = new Served(0, 0);

        Served minus(Served before) {
            return new Served(served - before.served, rejected - before.rejected);
        }
    }

    /** The backends' own counters, per server. */
    Map<String, Served> stats() throws InterruptedException {
        Map<String, Served> out = new java.util.LinkedHashMap<>();
        for (Server s : servers) {
            long served = s.servedBeforeKill;
            long rejected = s.rejectedBeforeKill;
            if (s.ours()) {
                try {
                    JsonNode j = Admin.get(s.url() + "/_admin/stats");
                    served += j.path("requests_total").asLong();
                    rejected += j.path("rejected_total").asLong();
                } catch (IOException e) {
                    // Down right now: what it served before it died is all there is.
                }
            }
            out.put(s.name, new Served(served, rejected));
        }
        return out;
    }

    /** Requests waiting in our backends' own queues now (the ones down count none); null when none are ours. */
    Long queued() throws InterruptedException {
        if (!ours()) {
            return null;
        }
        long waiting = 0;
        for (Server s : servers) {
            try {
                waiting += Admin.get(s.url() + "/_admin/stats").path("queued").asLong();
            } catch (IOException e) {
                // down
            }
        }
        return waiting;
    }

    /** Each backend's open WebSocket sessions now (0 for one that is down). */
    Map<String, Integer> liveSessions() throws InterruptedException {
        Map<String, Integer> out = new java.util.LinkedHashMap<>();
        for (Server s : servers) {
            int open = 0;
            if (s.ours()) {
                try {
                    open = Admin.get(s.url() + "/_admin/stats").path("live_sessions").asInt();
                } catch (IOException e) {
                    // down
                }
            }
            out.put(s.name, open);
        }
        return out;
    }

    /** Kills a backend as a crash would (SIGKILL), keeping what it had served. */
    void kill(Server s) throws InterruptedException {
        try {
            JsonNode j = Admin.get(s.url() + "/_admin/stats");
            s.servedBeforeKill += j.path("requests_total").asLong();
            s.rejectedBeforeKill += j.path("rejected_total").asLong();
        } catch (IOException e) {
            // Already gone.
        }
        s.child.kill();
    }

    /** Starts a killed backend again on its own port, with the same secret (clients keep their tokens). */
    void restart(Server s) throws BenchException, InterruptedException {
        int index = servers.indexOf(s);
        s.child = launch(index, s.port, s.tlsPort, s.spec);
        s.child.awaitListening("api", Duration.ofSeconds(60));
    }
}
