package io.stampede.loadgen.run;

import io.stampede.common.wire.ReadyLine;
import io.stampede.loadgen.report.CsvFiles;
import io.stampede.loadgen.report.HdrLog;
import io.stampede.loadgen.report.HtmlReport;
import io.stampede.loadgen.report.JsonSummary;
import io.stampede.loadgen.stats.StatsSnapshot;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The outputs the command line asks for, as listeners of a run: built afresh for every run (the
 * web UI's second test writes its own files), the same in headless and web mode.
 */
public final class RunOutputs {
    /**
     * @param csvPrefix Locust's {@code --csv} prefix, or null
     * @param hdrLog the HdrHistogram interval log, or null
     * @param jsonFile the JSON summary, or null
     * @param htmlFile the HTML report, or null
     * @param onlySummary no statistics table every two seconds
     * @param rawLog every request as a CSV row ({@code --raw-log}), or null
     */
    public record Options(String csvPrefix, boolean csvFullHistory, Path hdrLog, Path jsonFile, Path htmlFile,
                          boolean onlySummary, Path rawLog) {
        public Options(String csvPrefix, boolean csvFullHistory, Path hdrLog, Path jsonFile, Path htmlFile, boolean onlySummary) {
            this(csvPrefix, csvFullHistory, hdrLog, jsonFile, htmlFile, onlySummary, null);
        }

        /** The same outputs without the raw log (worker processes write it, not their parent). */
        public Options withoutRawLog() {
            return new Options(csvPrefix, csvFullHistory, hdrLog, jsonFile, htmlFile, onlySummary, null);
        }
    }

    private RunOutputs() {}

    /** The console first (its lines come before the files' messages), then the ready line, then the files. */
    public static List<RunListener> of(Options o, PrintWriter out, PrintWriter err, boolean web) {
        List<RunListener> list = new ArrayList<>();
        list.add(new ConsoleOutput(out, err, o.onlySummary(), web));
        list.add(new Ready(out));
        if (o.csvPrefix() != null) {
            list.add(new Csv(o.csvPrefix(), o.csvFullHistory()));
        }
        if (o.hdrLog() != null) {
            list.add(new Hdr(o.hdrLog()));
        }
        if (o.jsonFile() != null || o.htmlFile() != null) {
            list.add(new Summaries(o.jsonFile(), o.htmlFile()));
        }
        if (o.rawLog() != null) {
            list.add(raw(o.rawLog()));
        }
        return list;
    }

    /** {@code --raw-log}: opened as the run starts, closed once its users stopped (their last responses in it). */
    public static RunListener raw(Path file) {
        return new RunListener() {
            private io.stampede.loadgen.stats.RawLog log;

            @Override
            public void started(RunSession run) {
                try {
                    log = new io.stampede.loadgen.stats.RawLog(file);
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot write the raw log " + file + ": " + e.getMessage(), e);
                }
                run.recordRawTo(log);
            }

            @Override
            public void stopped(RunSession run, StatsSnapshot last) {
                log.close();
            }
        };
    }

    /** The {@code stampede-ready} lines a parent process waits for (bench): started, then measuring. */
    private record Ready(PrintWriter out) implements RunListener {
        @Override
        public void started(RunSession run) {
            ReadyLine.of("swarm", "started", List.of(run.request().host()), null).announce(out);
        }

        @Override
        public void reset(RunSession run, boolean measuring) {
            if (measuring) {
                ReadyLine.of("swarm", "measuring", List.of(run.request().host()), null).announce(out);
            }
        }
    }

    /** Locust's CSV files, rewritten every tick and once more at the end. */
    private static final class Csv implements RunListener {
        private final String prefix;
        private final boolean fullHistory;
        private CsvFiles files;

        Csv(String prefix, boolean fullHistory) {
            this.prefix = prefix;
            this.fullHistory = fullHistory;
        }

        @Override
        public void started(RunSession run) {
            files = new CsvFiles(prefix, fullHistory);
        }

        @Override
        public void tick(RunSession run, StatsSnapshot snapshot, String warning) {
            files.update(snapshot);
        }

        @Override
        public void stopped(RunSession run, StatsSnapshot last) {
            files.update(last);
        }
    }

    /** The HdrHistogram interval log: an interval a tick, started again at a statistics reset, closed with the last. */
    private static final class Hdr implements RunListener {
        private final Path file;
        private HdrLog log;

        Hdr(Path file) {
            this.file = file;
        }

        @Override
        public void started(RunSession run) {
            try {
                log = new HdrLog(file, System.currentTimeMillis());
            } catch (IOException e) {
                throw new UncheckedIOException("cannot write the HdrHistogram log " + file + ": " + e.getMessage(), e);
            }
        }

        @Override
        public void tick(RunSession run, StatsSnapshot snapshot, String warning) {
            log.write(snapshot);
        }

        /** The statistics start again (after --warmup): so does the log, so it holds what the summary counts. */
        @Override
        public void reset(RunSession run, boolean measuring) {
            log.close();
            started(run);
        }

        @Override
        public void stopped(RunSession run, StatsSnapshot last) {
            log.write(last);
            log.close();
        }
    }

    /** The JSON summary and the HTML report, written when the run stops. */
    private record Summaries(Path json, Path html) implements RunListener {
        @Override
        public void stopped(RunSession run, StatsSnapshot last) {
            try {
                if (json != null) {
                    JsonSummary.of(run.mode(), last, run.request().users(), run.health()).write(json);
                }
                if (html != null) {
                    HtmlReport.write(html, run.htmlReport());
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
