package io.stampede.loadgen.web;

import io.stampede.loadgen.engine.SwarmSettings;
import io.stampede.loadgen.metrics.MetricsServer;
import io.stampede.loadgen.metrics.SwarmMetrics;
import io.stampede.loadgen.run.RunListener;
import io.stampede.loadgen.run.RunOutputs;
import io.stampede.loadgen.run.RunRequest;
import io.stampede.loadgen.run.RunSession;
import io.stampede.loadgen.stats.StatsSnapshot;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * {@code stampede swarm -f FILE} without {@code --headless}: the web UI on
 * {@code --web-host:--web-port}, tests started from the page (or at once with
 * {@code --autostart}), each one a {@link RunSession} with the same outputs a headless run has
 * (CSV, HdrHistogram log, JSON, HTML, the console tables as Locust prints them). Ends on Ctrl-C,
 * or {@code --autoquit} after a test stops.
 */
public final class WebMode {
    /** The command line's choices for web mode. */
    /** @param metrics where {@code --metrics-port} serves /metrics besides the UI's own, or null */
    public record Options(String webHost, int webPort, boolean autostart, Duration autoquit, RunOutputs.Options outputs,
                          InetSocketAddress metrics) {}

    private WebMode() {}

    /**
     * Serves until {@code quit} opens (or autoquit); returns the last test's final statistics, or
     * null when no test ran. Throws IllegalStateException when the UI cannot be served.
     */
    public static StatsSnapshot run(PrintWriter out, PrintWriter err, RunSession.Spec spec, RunRequest defaults,
                                    Function<RunRequest, SwarmSettings> settings, Options o, CountDownLatch quit)
            throws IOException, InterruptedException {
        CountDownLatch stoppedOnce = new CountDownLatch(1);
        RunListener autoquit = new RunListener() {
            @Override
            public void stopped(RunSession run, StatsSnapshot last) {
                stoppedOnce.countDown();
            }
        };
        RunControl control = new RunControl(spec, defaults, settings, () -> {
            List<RunListener> all = new ArrayList<>(RunOutputs.of(o.outputs(), out, err, true));
            all.add(autoquit);
            return all;
        });
        WebUi ui = new WebUi(control, spec.scenarioLabel());
        MetricsServer metrics = null;
        try {
            InetSocketAddress at;
            try {
                at = ui.start(new InetSocketAddress(o.webHost(), o.webPort()));
            } catch (Exception e) {
                // Netty's bind throws the checked BindException without declaring it.
                throw new IllegalStateException("cannot serve the web UI on " + o.webHost() + ":" + o.webPort() + ": "
                        + e.getMessage() + " (choose another with --web-port)", e);
            }
            out.printf("Web UI: http://%s:%d/ (Ctrl-C to quit)%n", at.getHostString(), at.getPort());
            out.flush();
            if (o.metrics() != null) {
                try {
                    metrics = MetricsServer.start(o.metrics(), new SwarmMetrics(control::run));
                } catch (Exception e) {
                    throw new IllegalStateException("cannot serve metrics on " + o.metrics().getHostString() + ":"
                            + o.metrics().getPort() + ": " + e.getMessage() + " (choose another with --metrics-port)", e);
                }
                out.printf("Metrics: http://%s:%d/metrics%n", metrics.address().getHostString(), metrics.address().getPort());
                out.flush();
            }
            if (o.autostart()) {
                control.swarm(defaults, false).join();
            }
            if (o.autoquit() != null) {
                // Locust's --autoquit: quit this long after the (first) test stops.
                while (!stoppedOnce.await(50, TimeUnit.MILLISECONDS)) {
                    if (quit.getCount() == 0) {
                        break;
                    }
                }
                quit.await(o.autoquit().toMillis(), TimeUnit.MILLISECONDS);
            } else {
                quit.await();
            }
            control.close(); // stops a test still running: its outputs are written
        } finally {
            if (metrics != null) {
                metrics.close();
            }
            ui.close();
        }
        RunSession last = control.run();
        return last == null ? null : last.last();
    }
}
