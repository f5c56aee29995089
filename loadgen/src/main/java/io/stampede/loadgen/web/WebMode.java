package io.stampede.loadgen.web;

import io.stampede.common.Durations;
import io.stampede.loadgen.engine.SwarmSettings;
import io.stampede.loadgen.report.ConsoleTable;
import io.stampede.loadgen.report.CsvFiles;
import io.stampede.loadgen.report.JsonSummary;
import io.stampede.loadgen.scenario.Scenario;
import io.stampede.loadgen.stats.StatsSnapshot;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * {@code stampede swarm -f FILE} without {@code --headless}: the web UI on
 * {@code --web-host:--web-port}, tests started from the page (or at once with
 * {@code --autostart}), each one's CSV, JSON and HTML written as headless runs write them, and the
 * console tables as Locust prints them. Ends on Ctrl-C, or {@code --autoquit} after a test stops.
 */
public final class WebMode {
    /** The command line's choices for web mode. */
    public record Options(String webHost, int webPort, boolean autostart, Duration autoquit, String csvPrefix,
                          boolean csvFullHistory, Path jsonFile, Path htmlFile, boolean onlySummary, String scenarioSource) {}

    private WebMode() {}

    /**
     * Serves until {@code quit} opens (or autoquit); returns the last test's final statistics, or
     * null when no test ran. Throws IllegalStateException when the UI cannot be served.
     */
    public static StatsSnapshot run(PrintWriter out, PrintWriter err, Scenario scenario, RunRequest defaults,
                                    Function<RunRequest, SwarmSettings> settings, Options o, CountDownLatch quit)
            throws IOException, InterruptedException {
        CountDownLatch stoppedOnce = new CountDownLatch(1);
        RunControl.Outputs outputs = new RunControl.Outputs() {
            private CsvFiles csv;
            private int tick;

            @Override
            public void started(LiveRun run) {
                csv = o.csvPrefix() == null ? null : new CsvFiles(o.csvPrefix(), o.csvFullHistory());
                tick = 0;
                RunRequest r = run.request();
                out.printf("Test started: %d users%s against %s (%s)%n", r.users(),
                        r.rate() == null ? String.format(" at %.1f/s", r.spawnRate()) : String.format(", arrivals %.1f/s", r.rate()),
                        r.host(), r.runTime() == null ? "until stopped" : "for " + Durations.format(r.runTime()));
                out.flush();
            }

            @Override
            public void tick(LiveRun run, String warning) {
                if (csv != null) {
                    csv.update(run.last());
                }
                if (warning != null) {
                    err.println(warning);
                    err.flush();
                }
                if (!o.onlySummary() && ++tick % 2 == 0) {
                    out.println(ConsoleTable.stats(run.last()));
                    out.flush();
                }
            }

            @Override
            public void stopped(LiveRun run) {
                try {
                    write(run);
                } finally {
                    stoppedOnce.countDown();
                }
            }

            private void write(LiveRun run) {
                StatsSnapshot last = run.last();
                if (csv != null) {
                    csv.update(last);
                }
                out.println("Test stopped.");
                ConsoleTable.printEnd(out, last);
                out.println(ConsoleTable.generatorLine(run.health()));
                try {
                    if (o.jsonFile() != null) {
                        JsonSummary.of(run.inForce().rate() == null ? "closed" : "open", last,
                                run.inForce().users(), run.health()).write(o.jsonFile());
                    }
                    if (o.htmlFile() != null) {
                        Path parent = o.htmlFile().toAbsolutePath().getParent();
                        if (parent != null) {
                            Files.createDirectories(parent);
                        }
                        Files.writeString(o.htmlFile(), run.report(o.scenarioSource()), StandardCharsets.UTF_8);
                    }
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
                out.flush();
            }
        };
        RunControl control = new RunControl(scenario, defaults, settings, outputs);
        WebUi ui = new WebUi(control, o.scenarioSource());
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
            ui.close();
        }
        LiveRun last = control.run();
        return last == null ? null : last.last();
    }
}
