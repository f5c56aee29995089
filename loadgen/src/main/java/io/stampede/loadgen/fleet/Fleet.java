package io.stampede.loadgen.fleet;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.BufferedReader;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * The worker processes of {@code stampede swarm --processes N}: started on this machine with the
 * same JVM, class path and JVM flags as this one, each told its segment and this process's
 * loopback address, and kept for every run this process starts (the web UI starts several).
 * Each worker is a {@link FleetWorker}; a {@link FleetLoad} is one run over them. Their standard
 * error comes out here, each line prefixed with the worker's index.
 */
public final class Fleet implements AutoCloseable {
    /** The class a worker process runs. */
    static final String WORKER_MAIN = FleetWorkerMain.class.getName();
    /** The environment variable that hands each worker the secret its hello must carry. */
    static final String TOKEN_VARIABLE = "STAMPEDE_FLEET_TOKEN";

    /** A worker process and its connection. */
    static final class Member {
        final int index;
        final Process process;
        DataOutputStream out;
        DataInputStream in;
        volatile boolean gone;

        Member(int index, Process process) {
            this.index = index;
            this.process = process;
        }

        String name() {
            return "worker " + index + " (pid " + process.pid() + ")";
        }

        void send(Wire.Message m) {
            if (gone) {
                return;
            }
            try {
                Wire.write(out, m);
            } catch (IOException e) {
                gone = true; // its reader reports how it ended
            }
        }
    }

    private final List<Member> members;
    private final ServerSocket server;
    private final PrintWriter err;
    private final List<String> troubles = new CopyOnWriteArrayList<>();
    private volatile FleetLoad current;
    private volatile boolean closing;
    private int runs;

    private Fleet(List<Member> members, ServerSocket server, PrintWriter err) {
        this.members = members;
        this.server = server;
        this.err = err;
    }

    /**
     * Starts {@code count} workers, each with {@code workerArgs} (the swarm's command line without
     * what only this process does) and its segment, and waits until every one has connected with
     * its generator warm.
     *
     * @throws IOException when a worker cannot start or does not connect within {@code timeout}
     *         (the others are stopped; the message has the worker's last words)
     */
    public static Fleet launch(int count, List<String> workerArgs, PrintWriter err, Duration timeout) throws IOException {
        ServerSocket server = new ServerSocket(0, count, InetAddress.getLoopbackAddress());
        List<Member> members = new ArrayList<>();
        Fleet fleet = new Fleet(members, server, err);
        byte[] secret = new byte[16];
        new java.security.SecureRandom().nextBytes(secret);
        String token = java.util.HexFormat.of().formatHex(secret);
        try {
            for (int i = 0; i < count; i++) {
                List<String> command = new ArrayList<>(javaCommand());
                command.add("--fleet-worker=" + server.getLocalPort() + "/" + i + "/" + count);
                command.addAll(workerArgs); // they may end with "--" and the positional arguments
                ProcessBuilder pb = new ProcessBuilder(command).redirectOutput(ProcessBuilder.Redirect.DISCARD);
                pb.environment().put(TOKEN_VARIABLE, token);
                // Their flags are in this JVM's input arguments already, filtered above; set again they would not be.
                pb.environment().remove("JAVA_TOOL_OPTIONS");
                pb.environment().remove("JDK_JAVA_OPTIONS");
                pb.environment().remove("_JAVA_OPTIONS");
                Member m = new Member(i, pb.start());
                members.add(m);
                fleet.pumpErrors(m);
            }
            long deadline = System.nanoTime() + timeout.toNanos();
            int connected = 0;
            while (connected < count) {
                long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                for (Member m : members) {
                    if (!m.process.isAlive() && m.in == null) {
                        throw new IOException(m.name() + " exited with status " + m.process.exitValue() + " before it was ready");
                    }
                }
                if (left <= 0) {
                    throw new IOException("only " + connected + " of " + count + " worker processes connected within "
                            + timeout.toSeconds() + " s");
                }
                server.setSoTimeout((int) Math.min(left, 500));
                Socket s;
                try {
                    s = server.accept();
                } catch (SocketTimeoutException e) {
                    continue;
                }
                s.setTcpNoDelay(true);
                DataInputStream in = new DataInputStream(new BufferedInputStream(s.getInputStream()));
                s.setSoTimeout((int) Math.max(1, Math.min(left, 5_000)));
                Wire.Hello h;
                try {
                    h = Wire.readHello(in);
                } catch (IOException e) {
                    s.close(); // not one of ours, or one that died mid-hello (its exit is noticed above)
                    continue;
                }
                s.setSoTimeout(0);
                if (!java.security.MessageDigest.isEqual(h.token().getBytes(StandardCharsets.UTF_8),
                        token.getBytes(StandardCharsets.UTF_8)) || h.index() < 0 || h.index() >= count || members.get(h.index()).in != null) {
                    s.close(); // not one of ours: another local process found the port
                    continue;
                }
                Member m = members.get(h.index());
                m.in = in;
                m.out = new DataOutputStream(new BufferedOutputStream(s.getOutputStream()));
                connected++;
            }
            server.close(); // every worker is in: nobody else needs the port
            for (Member m : members) {
                fleet.read(m);
            }
            return fleet;
        } catch (IOException | RuntimeException e) {
            fleet.close();
            throw e;
        }
    }

    /** java, this JVM's flags (not a debugger's or an agent's: they would collide), its class path. */
    static List<String> javaCommand() {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(workerFlags(ManagementFactory.getRuntimeMXBean().getInputArguments()));
        if (Runtime.version().feature() >= 22 && !command.contains("--enable-native-access=ALL-UNNAMED")) {
            command.add("--enable-native-access=ALL-UNNAMED"); // Netty's native transports (the jar's manifest says so for -jar only)
        }
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(WORKER_MAIN);
        return command;
    }

    /**
     * This JVM's flags a worker can share: not those of a debugger, an agent or a profiler, nor
     * JMX ports, nor files every JVM would write at once (logs, heap dumps, error files, archives);
     * the heap size and the collector stay, for each worker.
     */
    static List<String> workerFlags(List<String> flags) {
        List<String> kept = new ArrayList<>();
        for (String flag : flags) {
            boolean own = flag.startsWith("-agentlib") || flag.startsWith("-agentpath") || flag.startsWith("-javaagent")
                    || flag.startsWith("-Xrunjdwp") || flag.startsWith("-Xdebug") || flag.startsWith("-XX:StartFlightRecording")
                    || flag.startsWith("-XX:FlightRecorderOptions") || flag.startsWith("-Dcom.sun.management.jmxremote")
                    || flag.startsWith("-Xloggc") || (flag.startsWith("-Xlog") && flag.contains("file="))
                    || flag.startsWith("-XX:HeapDumpPath") || flag.startsWith("-XX:ErrorFile")
                    || flag.startsWith("-XX:ArchiveClassesAtExit");
            if (!own) {
                kept.add(flag);
            }
        }
        return kept;
    }

    private void pumpErrors(Member m) {
        Thread t = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(m.process.getErrorStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) {
                    synchronized (err) {
                        err.println("[worker " + m.index + "] " + line);
                        err.flush();
                    }
                }
            } catch (IOException e) {
                // the process is gone
            }
        }, "fleet-stderr-" + m.index);
        t.setDaemon(true);
        t.start();
    }

    private void read(Member m) {
        Thread t = new Thread(() -> {
            try {
                while (true) {
                    Wire.Message msg = Wire.read(m.in);
                    FleetLoad run = current;
                    if (run != null) {
                        run.heard(m.index, msg);
                    }
                }
            } catch (IOException | RuntimeException e) {
                m.gone = true;
                if (!closing) {
                    trouble(m.name() + " is gone: " + (e instanceof IOException ? exitOf(m)
                            : "its statistics could not be added (" + e + "); it is stopped"));
                }
                if (!(e instanceof IOException)) {
                    m.process.destroyForcibly(); // nobody reads it any more: it must not block writing to us
                }
                FleetLoad run = current;
                if (run != null) {
                    run.lost(m.index);
                }
            }
        }, "fleet-reader-" + m.index);
        t.setDaemon(true);
        t.start();
    }

    private static String exitOf(Member m) {
        try {
            if (m.process.waitFor(2, TimeUnit.SECONDS)) {
                return "it exited with status " + m.process.exitValue();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return "its connection closed";
    }

    /** Something went wrong in a worker: said at once, and the run's exit status will say so too. */
    void trouble(String message) {
        troubles.add(message);
        synchronized (err) {
            err.println("stampede swarm: " + message);
            err.flush();
        }
    }

    /** What went wrong in workers so far (empty when nothing did). */
    public List<String> troubles() {
        return List.copyOf(troubles);
    }

    public int size() {
        return members.size();
    }

    /** The workers' process ids, in index order. */
    public List<Long> pids() {
        return members.stream().map(m -> m.process.pid()).toList();
    }

    List<Member> members() {
        return members;
    }

    /** Makes {@code run} the one the workers' messages go to; returns its number. */
    synchronized int attach(FleetLoad run) {
        current = run;
        return ++runs;
    }

    synchronized void detach(FleetLoad run) {
        if (current == run) {
            current = null;
        }
    }

    /** Tells the workers to quit and waits for them (10 s), then ends any still running. */
    @Override
    public void close() {
        closing = true;
        try {
            server.close(); // no worker may connect from now on
        } catch (IOException e) {
            // nothing listens any more either way
        }
        for (Member m : members) {
            if (m.out != null) {
                m.send(new Wire.Quit());
            } else {
                m.process.destroyForcibly(); // never connected: nothing to tell it
            }
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        for (Member m : members) {
            try {
                long left = deadline - System.nanoTime();
                if (!m.process.waitFor(Math.max(0, left), TimeUnit.NANOSECONDS)) {
                    m.process.destroyForcibly();
                }
            } catch (InterruptedException e) {
                m.process.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
    }
}
