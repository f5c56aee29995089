package io.stampede.loadgen.stats;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Every request as one CSV row ({@code --raw-log}), as k6's CSV output or JMeter's JTL: when it
 * ended (epoch ms), method, name, latency and service time in microseconds (the values the
 * histograms get), bytes, and the error (empty for a success). For checking the histograms
 * against the raw values, and for tools of one's own; it costs a little throughput, since every
 * request is written.
 *
 * <p>Each recording writes through its own {@link Sink}, buffered, from its worker's thread only;
 * a full buffer goes to the file under one lock, so rows never interleave mid-line.
 */
public final class RawLog implements AutoCloseable {
    public static final String HEADER = "timestamp_ms,method,name,latency_us,service_us,bytes,error\n";
    private static final int FLUSH_AT = 64 * 1024;

    private final Path file;
    private final FileChannel channel;
    private final List<Sink> sinks = new CopyOnWriteArrayList<>();
    private volatile boolean closed;

    public RawLog(Path file) throws IOException {
        this.file = file;
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        this.channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING);
        write(HEADER);
        if (failed != null) {
            channel.close();
            throw failed.getCause();
        }
    }

    /** A buffer for one recording (one writer thread). */
    public Sink sink() {
        Sink s = new Sink();
        sinks.add(s);
        return s;
    }

    public Path file() {
        return file;
    }

    private synchronized void write(CharSequence rows) {
        if (rows.length() == 0 || failed != null) {
            return;
        }
        try {
            ByteBuffer bytes = StandardCharsets.UTF_8.encode(java.nio.CharBuffer.wrap(rows));
            while (bytes.hasRemaining()) {
                channel.write(bytes);
            }
        } catch (IOException e) {
            // On a worker's event loop a throw would end its users: the log stops here, and the
            // run's end reports it (close).
            failed = new UncheckedIOException("cannot write the raw log " + file + ": " + e.getMessage(), e);
        }
    }

    /** The first write that failed (a full disk), reported at the close. */
    private UncheckedIOException failed;

    /** Writes what the sinks hold and closes the file; call once every writer has stopped. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            for (Sink s : sinks) {
                s.flush();
            }
        } finally {
            try {
                channel.close();
            } catch (IOException e) {
                throw new UncheckedIOException("cannot close the raw log " + file + ": " + e.getMessage(), e);
            }
        }
        if (failed != null) {
            throw failed;
        }
    }

    /** One recording's rows, buffered. */
    public final class Sink {
        private final StringBuilder rows = new StringBuilder(FLUSH_AT + 1024);

        void add(long epochMillis, String method, String name, long latencyMicros, long serviceMicros, long bytes, String error) {
            if (closed) {
                return; // a response after the run's end: the summary does not count it either
            }
            rows.append(epochMillis).append(',').append(method).append(',');
            quoted(name);
            rows.append(',').append(latencyMicros).append(',').append(serviceMicros).append(',').append(bytes).append(',');
            if (error != null) {
                quoted(error);
            }
            rows.append('\n');
            if (rows.length() >= FLUSH_AT) {
                flush();
            }
        }

        private void quoted(String s) {
            boolean quote = s.indexOf(',') >= 0 || s.indexOf('"') >= 0 || s.indexOf('\n') >= 0 || s.indexOf('\r') >= 0;
            if (!quote) {
                rows.append(s);
                return;
            }
            rows.append('"');
            for (int i = 0; i < s.length(); i++) {
                char c = s.charAt(i);
                rows.append(c == '"' ? "\"\"" : String.valueOf(c));
            }
            rows.append('"');
        }

        void flush() {
            synchronized (RawLog.this) {
                write(rows);
                rows.setLength(0);
            }
        }
    }
}
