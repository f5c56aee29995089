package io.stampede.loadgen.report;

import io.stampede.loadgen.stats.Endpoint;
import io.stampede.loadgen.stats.StatsSnapshot;
import java.io.FileNotFoundException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramLogWriter;

/**
 * An HdrHistogram interval log ({@code --hdr-log FILE}): one untagged histogram per interval for
 * all requests and one tagged per endpoint ({@code GET_/api/v1/products/}), latencies in
 * microseconds from the intended start, readable by HistogramLogProcessor and HdrHistogram plotters.
 */
public final class HdrLog implements AutoCloseable {
    private final PrintStream out;
    private final HistogramLogWriter writer;
    private final long startMillis;
    private long lastMillis;

    public HdrLog(Path file, long startMillis) throws java.io.IOException {
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        try {
            this.out = new PrintStream(file.toFile(), java.nio.charset.StandardCharsets.UTF_8);
        } catch (FileNotFoundException e) {
            throw new java.io.IOException("cannot write " + file + ": " + e.getMessage(), e);
        }
        this.writer = new HistogramLogWriter(out);
        this.startMillis = startMillis;
        this.lastMillis = startMillis;
        writer.outputComment("stampede swarm: latency in microseconds from the intended start");
        writer.outputLogFormatVersion();
        writer.outputStartTime(startMillis);
        writer.setBaseTime(startMillis);
        writer.outputLegend();
    }

    public void write(StatsSnapshot s) {
        long now = s.epochMillis();
        write(s.intervalTotal(), null, now);
        for (Map.Entry<Endpoint, Histogram> e : s.interval().entrySet()) {
            write(e.getValue(), tag(e.getKey()), now);
        }
        lastMillis = now;
        out.flush();
    }

    private void write(Histogram h, String tag, long now) {
        Histogram copy = h.copy();
        copy.setStartTimeStamp(lastMillis);
        copy.setEndTimeStamp(now);
        copy.setTag(tag);
        writer.outputIntervalHistogram(copy);
    }

    static String tag(Endpoint e) {
        return (e.method() + "_" + e.name()).replaceAll("[\\s,]", "_");
    }

    public long startMillis() {
        return startMillis;
    }

    @Override
    public void close() {
        out.close();
    }
}
