package io.stampede.loadgen.locust;

import io.stampede.loadgen.engine.SwarmSettings;
import io.stampede.loadgen.run.RunListener;
import io.stampede.loadgen.run.RunOutputs;
import io.stampede.loadgen.run.RunRequest;
import io.stampede.loadgen.run.RunSession;
import io.stampede.loadgen.stats.StatsSnapshot;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.function.Function;
import org.zeromq.SocketType;
import org.zeromq.ZContext;
import org.zeromq.ZMQ;

/**
 * {@code stampede swarm --worker}: our engine as a worker of a real Locust master, speaking its
 * protocol (a ZeroMQ DEALER to the master's ROUTER, msgpack messages):
 * <ul>
 * <li>{@code client_ready} with our version, then the master's {@code ack};</li>
 * <li>{@code spawn} gives absolute user counts per class for this worker: the users of the
 *     scenario's classes of those names are started at once (the master paces the ramp), answered
 *     with {@code spawning} and, once all run, {@code spawning_complete};</li>
 * <li>{@code heartbeat} every second with the state and the process's CPU and memory;</li>
 * <li>{@code stats} every 3 seconds: the deltas since the last report in Locust's format;</li>
 * <li>{@code stop}: the users stop, a last report, {@code client_stopped}, {@code client_ready};
 *     {@code quit}: a last report and the worker ends; Ctrl-C: {@code quit} to the master.</li>
 * </ul>
 * Everything runs on the calling thread: the socket, the run's ticks and its outputs.
 */
public final class LocustWorker {
    static final long HEARTBEAT_NANOS = 1_000_000_000L;
    static final long REPORT_NANOS = 3_000_000_000L;
    /** Locust's own workers give up after CONNECT_TIMEOUT x CONNECT_RETRY_COUNT without the master's answer. */
    static final long GIVE_UP_NANOS = 300_000_000_000L;

    /** How to reach the master and what to run. */
    /** @param sessions told of each test's run as it starts (the metrics endpoint reads it) */
    public record Options(String masterHost, int masterPort, RunSession.Spec spec, String defaultHost,
                          Function<RunRequest, SwarmSettings> settingsFor, RunOutputs.Options outputs,
                          java.util.function.Consumer<RunSession> sessions) {}

    private final Options options;
    private final PrintWriter out;
    private final PrintWriter err;
    private final String id;
    private ZMQ.Socket socket;
    private RunSession session;
    private LocustStats stats;
    private String state = "ready";
    private double lastSpawn = Double.NEGATIVE_INFINITY;
    private Map<String, Integer> expected = Map.of();
    private boolean spawnPending;
    private long requestsSent;
    private boolean acked;
    /** A master's stop in progress: the users stop on a thread of their own while heartbeats go on; null otherwise. */
    private java.util.concurrent.CompletableFuture<Void> stopping;
    private long lastCpuNanos = -1;
    private long lastCpuWall;

    private LocustWorker(Options options, PrintWriter out, PrintWriter err) {
        this.options = options;
        this.out = out;
        this.err = err;
        this.id = hostName() + "_" + UUID.randomUUID().toString().replace("-", "");
    }

    /** Runs until the master says quit or {@code interrupted} opens; the exit status. */
    public static int run(Options options, PrintWriter out, PrintWriter err, CountDownLatch interrupted) throws InterruptedException {
        return new LocustWorker(options, out, err).loop(interrupted);
    }

    private int loop(CountDownLatch interrupted) throws InterruptedException {
        try (ZContext context = new ZContext()) {
            connect(context);
            out.printf("Locust worker %s: connecting to the master at tcp://%s:%d%n", id, options.masterHost(), options.masterPort());
            out.flush();
            long nextHeartbeat = System.nanoTime();
            long nextReport = System.nanoTime() + REPORT_NANOS;
            long connected = System.nanoTime();
            boolean warned = false;
            while (true) {
                long now = System.nanoTime();
                if (!acked && !warned && now - connected > 10_000_000_000L) {
                    warned = true;
                    err.printf("stampede swarm: no answer yet from a Locust master at tcp://%s:%d (is it running, with --master"
                            + " and this --master-bind-port?); still trying%n", options.masterHost(), options.masterPort());
                    err.flush();
                }
                if (!acked && now - connected > GIVE_UP_NANOS) {
                    err.printf("stampede swarm: no Locust master answered at tcp://%s:%d in %d s; giving up%n", options.masterHost(),
                            options.masterPort(), GIVE_UP_NANOS / 1_000_000_000L);
                    err.flush();
                    return 1;
                }
                if (now >= nextHeartbeat) {
                    send("heartbeat", heartbeat());
                    nextHeartbeat = now + HEARTBEAT_NANOS;
                }
                if (stopping != null && stopping.isDone()) {
                    finishStop(true);
                }
                if (session != null && stopping == null) {
                    session.poll(); // it does what is due (a statistics tick once a second)
                    if (spawnPending && spawned()) {
                        spawnPending = false;
                        state = "running";
                        send("spawning_complete", spawnComplete());
                        out.printf("Locust worker: %d users running %s%n", session.users(), session.usersPerClass());
                        out.flush();
                    }
                    if (now >= nextReport) {
                        report();
                        nextReport = now + REPORT_NANOS;
                    }
                } else {
                    nextReport = now + REPORT_NANOS;
                }
                if (interrupted.getCount() == 0) {
                    awaitStopping();
                    stopSession();
                    send("quit", null);
                    return 0;
                }
                long wait = Math.min(nextHeartbeat, nextReport) - System.nanoTime();
                if (session != null) {
                    wait = Math.min(wait, session.nanosToNextPoll());
                }
                socket.setReceiveTimeOut((int) Math.max(1, Math.min(100, wait / 1_000_000)));
                byte[] frame = socket.recv();
                if (frame == null) {
                    continue;
                }
                LocustMessage m;
                try {
                    m = LocustMessage.decode(frame);
                } catch (IllegalArgumentException e) {
                    err.println("stampede swarm: the master sent what is not a Locust message: " + e.getMessage());
                    err.flush();
                    continue;
                }
                if (!handle(m, context)) {
                    return 0;
                }
            }
        }
    }

    private void connect(ZContext context) {
        open(context);
        send("client_ready", version());
    }

    private void open(ZContext context) {
        socket = context.createSocket(SocketType.DEALER);
        socket.setIdentity(id.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        socket.setLinger(1000);
        socket.setTCPKeepAlive(1);
        socket.setTCPKeepAliveIdle(30);
        socket.connect("tcp://" + options.masterHost() + ":" + options.masterPort());
    }

    /** Acts on one message; false when the worker is to end. */
    private boolean handle(LocustMessage m, ZContext context) throws InterruptedException {
        switch (m.type()) {
            case "ack" -> {
                acked = true;
                Object index = m.data() instanceof Map<?, ?> d ? d.get("index") : null;
                out.println("Locust worker: the master accepted us" + (index == null ? "" : " as worker " + index));
                out.flush();
            }
            case "spawn" -> spawn(m.data());
            case "stop" -> {
                if (session == null || stopping != null) {
                    send("client_stopped", null);
                    send("client_ready", version());
                    return true;
                }
                // What is counted so far goes at once; the users stop on another thread (waiting for
                // requests in flight) while this loop keeps the heartbeats going, so the master does
                // not take a slow stop for a lost worker.
                state = "stopping";
                session.tickNow();
                report();
                RunSession ending = session;
                stopping = java.util.concurrent.CompletableFuture.runAsync(ending::stop, runnable -> {
                    Thread t = new Thread(runnable, "locust-worker-stop");
                    t.setDaemon(true);
                    t.start();
                });
            }
            case "quit" -> {
                awaitStopping();
                stopSession();
                out.println("Locust worker: the master said quit");
                out.flush();
                return false;
            }
            case "reconnect" -> {
                // As Locust's worker: a new socket, without a new client_ready (the master would take us for a fresh worker).
                context.destroySocket(socket);
                open(context);
            }
            case "heartbeat", "update_user_class", "spawning_complete" -> {
                // A newer master's own heartbeat and UI notices: nothing to do.
            }
            default -> {
                err.println("stampede swarm: ignoring the master's '" + m.type() + "' message (not part of the protocol we speak)");
                err.flush();
            }
        }
        return true;
    }

    private void spawn(Object data) throws InterruptedException {
        awaitStopping(); // a spawn right after a stop: the old users are gone first
        if (!(data instanceof Map<?, ?> d) || !(d.get("user_classes_count") instanceof Map<?, ?> classes)) {
            exception("a spawn message without user_classes_count: " + data);
            return;
        }
        double timestamp = d.get("timestamp") instanceof Number n ? n.doubleValue() : 0;
        if (timestamp <= lastSpawn) {
            return; // Locust's rule: a repeated or older spawn is discarded
        }
        lastSpawn = timestamp;
        send("spawning", null);
        Map<String, Integer> counts = new LinkedHashMap<>();
        classes.forEach((k, v) -> counts.put(String.valueOf(k), ((Number) v).intValue()));
        try {
            if (session == null) {
                checkClasses(counts); // before anything is built: a refused spawn leaves nothing behind
                String host = d.get("host") instanceof String h && !h.isEmpty() ? h : options.defaultHost();
                if (host == null) {
                    throw new IllegalArgumentException("no host: start the master with -H/--host or give the worker -H");
                }
                int total = counts.values().stream().mapToInt(Integer::intValue).sum();
                RunRequest request = new RunRequest(Math.max(1, total), Math.max(1, total) * 1000.0, host, null, null);
                List<RunListener> listeners = new ArrayList<>(RunOutputs.of(options.outputs(), out, err, false));
                stats = new LocustStats(System.currentTimeMillis() / 1000.0);
                LocustStats counted = stats;
                listeners.add(RunListener.everySnapshot(counted::add));
                SwarmSettings settings = options.settingsFor().apply(request);
                // The master's --stop-timeout (seconds, or none) is Locust's, for all its workers: it wins over ours.
                if (d.get("stop_timeout") instanceof Number st && st.doubleValue() > 0) {
                    settings = settings.withStopTimeout(Duration.ofMillis(Math.round(st.doubleValue() * 1000)));
                }
                RunSession fresh = new RunSession(options.spec(), request, settings, listeners, System::nanoTime);
                fresh.editClasses(counts);
                fresh.start();
                session = fresh;
                options.sessions().accept(session);
            } else {
                session.editClasses(counts);
            }
            expected = counts;
            state = "spawning";
            spawnPending = true;
        } catch (IllegalArgumentException e) {
            exception(e.getMessage());
        }
    }

    /**
     * The users stop, their last responses counted and reported. What is counted so far is
     * reported first: a master that says quit waits only half a second for it, and stopping waits
     * for the requests in flight; those are reported once they end.
     */
    private void stopSession() {
        if (session == null) {
            return;
        }
        try {
            session.tickNow();
            report();
            session.stop();
            report();
        } finally {
            forgetSession();
        }
    }

    /** The test is over: says how much went to the master and forgets the run. */
    private void forgetSession() {
        out.printf("Locust worker: stopped; %d requests reported to the master%n", requestsSent);
        out.flush();
        session = null;
        spawnPending = false;
        expected = Map.of();
    }

    /**
     * The users have stopped: the rest is reported, then (for the master's stop, {@code announce})
     * client_stopped and client_ready, as Locust's worker does.
     */
    private void finishStop(boolean announce) {
        if (!stopping.isDone()) {
            err.println("stampede swarm: the users did not stop within 30 s; going on without them");
            err.flush();
        } else {
            try {
                stopping.join();
            } catch (java.util.concurrent.CompletionException e) {
                err.println("stampede swarm: stopping the users: " + e.getCause());
                err.flush();
            }
        }
        stopping = null;
        try {
            report();
        } finally {
            forgetSession();
        }
        state = "ready";
        if (announce) {
            send("client_stopped", null);
            send("client_ready", version());
        }
    }

    /** A stop in progress when the master says quit (or Ctrl-C) or spawns again: it ends first. */
    private void awaitStopping() {
        if (stopping != null) {
            try {
                stopping.get(30, java.util.concurrent.TimeUnit.SECONDS);
            } catch (Exception e) {
                // reported by finishStop
            }
            finishStop(true);
        }
    }

    /** Whether every class runs the users the master asked for (users stopped by an edit have left). */
    private boolean spawned() {
        Map<String, Integer> now = session.usersPerClass();
        for (Map.Entry<String, Integer> e : expected.entrySet()) {
            if (now.containsKey(e.getKey()) && !now.get(e.getKey()).equals(e.getValue())) {
                return false;
            }
        }
        return session.users() == now.values().stream().mapToInt(Integer::intValue).sum();
    }

    /** A class the master gives users that the scenario lacks is refused (one it gives none is not its concern). */
    private void checkClasses(Map<String, Integer> counts) {
        List<String> have = options.spec().scenario().users().stream().map(io.stampede.loadgen.scenario.UserClass::name).toList();
        for (Map.Entry<String, Integer> e : counts.entrySet()) {
            if (e.getValue() > 0 && !have.contains(e.getKey())) {
                throw new IllegalArgumentException("user class '" + e.getKey() + "' is not in the scenario (it has "
                        + String.join(", ", have) + ")");
            }
        }
    }

    private void report() {
        Map<String, Object> data = stats.report(session.usersPerClass(), session.users());
        requestsSent += ((Number) ((Map<?, ?>) data.get("stats_total")).get("num_requests")).longValue();
        send("stats", data);
    }

    private Map<String, Object> spawnComplete() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("user_classes_count", new LinkedHashMap<>(session.usersPerClass()));
        m.put("user_count", session.users());
        return m;
    }

    private Map<String, Object> heartbeat() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("state", state);
        com.sun.management.OperatingSystemMXBean os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        // psutil's cpu_percent: 100 per busy core, from the process's CPU time over the wall time since the last
        // heartbeat (the JDK's load figure divides by the host's cores, not a container's).
        long cpu = os.getProcessCpuTime();
        long wall = System.nanoTime();
        m.put("current_cpu_usage", lastCpuNanos < 0 || wall == lastCpuWall ? 0.0 : Math.max(0, cpu - lastCpuNanos) * 100.0 / (wall - lastCpuWall));
        lastCpuNanos = cpu;
        lastCpuWall = wall;
        m.put("current_memory_usage", residentBytes());
        return m;
    }

    /** The process's resident memory (psutil's rss, which Locust's own workers report), or the JVM's heap where /proc is absent. */
    private static long residentBytes() {
        try {
            String[] statm = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/self/statm")).trim().split("\\s+");
            return Long.parseLong(statm[1]) * 4096;
        } catch (java.io.IOException | RuntimeException e) {
            return Runtime.getRuntime().totalMemory();
        }
    }

    private void exception(String message) {
        err.println("stampede swarm: " + message);
        err.flush();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("msg", message);
        m.put("traceback", "");
        send("exception", m);
    }

    /** Never blocks: with no master to take them, ZeroMQ's queue fills and a message is dropped (and said). */
    private void send(String type, Object data) {
        if (!socket.send(new LocustMessage(type, data, id).encode(), ZMQ.DONTWAIT)) {
            err.println("stampede swarm: the master is not taking messages; dropped a '" + type + "'");
            err.flush();
        }
    }

    /** What client_ready says: our version (a master refuses an empty one). */
    static String version() {
        String v = LocustWorker.class.getPackage().getImplementationVersion();
        return "stampede-" + (v == null ? "dev" : v);
    }

    private static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (java.io.IOException e) {
            return "stampede";
        }
    }
}
