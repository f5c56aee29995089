package io.stampede.balancer.log;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The access log, written by its own thread so no event loop ever waits on the disk. Lines are
 * queued (up to 64k of them); when the writer falls that far behind, lines are dropped and
 * counted rather than slowing requests down.
 */
public final class AccessLog implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(AccessLog.class);
    private static final String STOP = new String("stop");
    private static final String REOPEN = new String("reopen");

    private final BlockingQueue<String> queue = new ArrayBlockingQueue<>(65_536);
    private final LongAdder dropped = new LongAdder();
    private final Path file;
    /** Written (and reopened) by the writer thread only. */
    private BufferedWriter out;
    private final Thread writer;

    /** @throws IOException when the file cannot be opened for appending */
    public AccessLog(Path file) throws IOException {
        this.file = file;
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        this.out = open(file);
        this.writer = new Thread(this::drain, "access-log");
        writer.setDaemon(true);
        writer.start();
    }

    private static BufferedWriter open(Path file) throws IOException {
        return Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                StandardOpenOption.APPEND, StandardOpenOption.WRITE);
    }

    public Path file() {
        return file;
    }

    /**
     * nginx's {@code -s reopen}: the lines queued so far go to the file open now, and later ones
     * to the file at the same path, opened anew (log rotation renames the old one first).
     */
    public void reopen() {
        try {
            if (!queue.offer(REOPEN, 5, TimeUnit.SECONDS)) {
                LOG.warn("access log: the writer is {} lines behind; not reopened", queue.size());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Queues one line; never blocks. */
    public void log(String line) {
        if (!queue.offer(line)) {
            dropped.increment();
        }
    }

    public long dropped() {
        return dropped.sum();
    }

    private void drain() {
        List<String> batch = new ArrayList<>(1024);
        boolean failing = false;
        try {
            while (true) {
                String first = queue.poll(1, TimeUnit.SECONDS);
                if (first == null) {
                    continue;
                }
                batch.add(first);
                queue.drainTo(batch, 1023);
                boolean stop = false;
                try {
                    for (String line : batch) {
                        if (line == STOP) {
                            stop = true;
                            break;
                        }
                        if (line == REOPEN) {
                            reopenNow();
                            continue;
                        }
                        out.write(line);
                        out.write('\n');
                    }
                    out.flush();
                    failing = false;
                } catch (IOException e) {
                    // A full disk, say: these lines are lost, the writer goes on (and says so once).
                    dropped.add(batch.size());
                    if (!failing) {
                        LOG.error("access log {}: cannot write: {}", file, e.getMessage());
                        failing = true;
                    }
                }
                batch.clear();
                if (stop) {
                    return;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The new file first: if it cannot be opened, the old one is kept. */
    private void reopenNow() throws IOException {
        BufferedWriter next;
        try {
            next = open(file);
        } catch (IOException e) {
            LOG.error("access log: cannot reopen {}: {}; still writing to the file open before", file, e.getMessage());
            return;
        }
        out.flush();
        BufferedWriter old = out;
        out = next;
        old.close();
    }

    /** Writes what is queued, then closes the file. */
    @Override
    public void close() {
        try {
            if (!queue.offer(STOP, 5, TimeUnit.SECONDS)) {
                writer.interrupt(); // stuck (a writer that stopped draining): give up its lines
            }
            writer.join(5_000);
            out.close();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException e) {
            LOG.warn("access log: close failed: {}", e.getMessage());
        }
    }
}
