package io.stampede.loadgen.fleet;

import io.stampede.loadgen.engine.Segment;
import io.stampede.loadgen.engine.SwarmSettings;
import io.stampede.loadgen.run.RunListener;
import io.stampede.loadgen.run.RunRequest;
import io.stampede.loadgen.run.RunSession;
import io.stampede.loadgen.stats.StatsSnapshot;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.IntUnaryOperator;

/**
 * What one worker process of {@code stampede swarm --processes N} runs: it connects to its parent
 * on loopback, says hello once its generator is warm, then runs its segment of each run the
 * parent starts (users, spawn rate and arrivals cut by {@link Segment}), sends what it recorded
 * once a second and at the stop, and exits when told to or when the parent goes away. It keeps
 * no run time of its own: the parent decides when a run ends.
 */
public final class FleetWorker {
    /**
     * @param usersShare this process's users of a run's whole count (the segment's; quick mode
     *        with HTTP/2 in whole connections)
     * @param outputs what this worker writes itself for each run (its --raw-log), built afresh per run
     */
    public record Options(InetSocketAddress parent, Segment segment, RunSession.Spec spec,
                          Function<RunRequest, SwarmSettings> settingsFor, IntUnaryOperator usersShare,
                          java.util.function.Supplier<List<RunListener>> outputs) {}

    private final Options options;
    private final DataOutputStream out;
    private final PrintWriter err;
    private RunSession session;
    private int runId = -1;

    private FleetWorker(Options options, DataOutputStream out, PrintWriter err) {
        this.options = options;
        this.out = out;
        this.err = err;
    }

    /** Serves the parent until it says quit or goes away; returns the exit status. */
    public static int run(Options o, PrintWriter err) throws InterruptedException {
        try (Socket socket = new Socket()) {
            socket.setTcpNoDelay(true);
            socket.connect(o.parent(), 10_000);
            DataOutputStream out = new DataOutputStream(new BufferedOutputStream(socket.getOutputStream()));
            DataInputStream in = new DataInputStream(new BufferedInputStream(socket.getInputStream()));
            String token = System.getenv(Fleet.TOKEN_VARIABLE);
            Wire.write(out, new Wire.Hello(o.segment().index(), ProcessHandle.current().pid(), token == null ? "" : token));
            BlockingQueue<Wire.Message> commands = new LinkedBlockingQueue<>();
            Thread reader = new Thread(() -> {
                try {
                    while (true) {
                        commands.add(Wire.read(in));
                    }
                } catch (IOException e) {
                    commands.add(new Wire.Quit()); // the parent is gone: nobody is left to report to
                }
            }, "fleet-worker-reader");
            reader.setDaemon(true);
            reader.start();
            return new FleetWorker(o, out, err).serve(commands);
        } catch (IOException e) {
            err.println("stampede swarm: worker " + o.segment() + ": lost its parent at " + o.parent() + ": " + e.getMessage());
            err.flush();
            return 1;
        }
    }

    private int serve(BlockingQueue<Wire.Message> commands) throws InterruptedException, IOException {
        while (true) {
            long wait = session == null ? TimeUnit.SECONDS.toNanos(60) : session.nanosToNextPoll();
            Wire.Message m = commands.poll(wait, TimeUnit.NANOSECONDS);
            if (m instanceof Wire.Run r) {
                stopRun();
                startRun(r);
            } else if (m instanceof Wire.Edit e && session != null && e.run() == runId) {
                try {
                    session.edit(share(e.users(), e.spawnRate(), session.request().host(), e.arrivals()));
                } catch (RuntimeException ex) {
                    Wire.write(out, new Wire.Failed(runId, messageOf(ex)));
                }
            } else if (m instanceof Wire.Stop s) {
                if (session != null && s.run() == runId) {
                    stopRun();
                } else {
                    Wire.write(out, Wire.emptyLast(s.run())); // nothing ran here: the parent need not wait
                }
            } else if (m instanceof Wire.Quit) {
                stopRun();
                return 0;
            }
            if (session != null) {
                session.poll(); // no run time here: the parent stops the run
            }
        }
    }

    private RunRequest share(int users, double spawnRate, String host, String arrivals) {
        return new RunRequest(options.usersShare().applyAsInt(users), options.segment().spawnRate(spawnRate), host, null, arrivals);
    }

    private void startRun(Wire.Run r) throws IOException {
        runId = r.run();
        int id = r.run();
        try {
            RunRequest request = share(r.users(), r.spawnRate(), r.host(), r.arrivals());
            List<RunListener> listeners = new java.util.ArrayList<>(options.outputs().get());
            listeners.add(new Reporter(id)); // last: the run's other outputs are done when the parent hears of its end
            RunSession fresh = new RunSession(options.spec(), request, options.settingsFor().apply(request), listeners,
                    System::nanoTime);
            session = fresh;
            fresh.start().whenComplete((v, t) -> send(t == null ? new Wire.Started(id) : new Wire.Failed(id, messageOf(t))));
        } catch (RuntimeException e) {
            session = null;
            Wire.write(out, new Wire.Failed(id, messageOf(e)));
        }
    }

    private static String messageOf(Throwable t) {
        return t.getMessage() == null ? t.toString() : t.getMessage();
    }

    private void stopRun() {
        if (session != null) {
            RunSession s = session;
            session = null;
            s.stop(); // the reporter sends the last tick
        }
    }

    private void send(Wire.Message m) {
        try {
            Wire.write(out, m);
        } catch (IOException e) {
            // The parent is gone; the reader sees it too and ends this process.
            err.println("stampede swarm: worker " + options.segment() + ": cannot report to the parent: " + e.getMessage());
            err.flush();
        }
    }

    /** Sends each tick's difference, and the last one at the stop. */
    private final class Reporter implements RunListener {
        private final int id;
        private final TickDeltas deltas = new TickDeltas();

        Reporter(int id) {
            this.id = id;
        }

        @Override
        public void tick(RunSession run, StatsSnapshot snapshot, String warning) {
            send(tickOf(run, snapshot, false));
        }

        @Override
        public void stopped(RunSession run, StatsSnapshot last) {
            send(tickOf(run, last, true));
        }

        private Wire.Tick tickOf(RunSession run, StatsSnapshot s, boolean last) {
            TickDeltas.Delta d = deltas.next(s);
            Double rate = run.currentRate();
            return new Wire.Tick(id, last, last ? 0 : run.users(), !last && run.spawning(), rate == null || last ? 0 : rate,
                    run.usersPerClass(), run.health().lastCpu(), run.health().lastLagMs(), run.health().gcMillis(),
                    d.endpoints(), d.errors(), d.exceptions(), d.dropped(), d.handshakes(), d.resumed());
        }
    }
}
