package io.stampede.bench;

import io.stampede.common.wire.ProxyStatus;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Samples, once a second while a row's swarm runs, the requests waiting in our proxy's queue for
 * the row's upstream and in the backends' own queues, into {@code runs/ROW_waiting.csv}
 * ({@code second,proxy,backends}; a blank where the part says nothing, e.g. nginx has no queue).
 * The report draws them over time (the overload preset is about them).
 */
final class Waiting implements AutoCloseable {
    static final String SUFFIX = "_waiting.csv";

    private final Thread thread;
    private volatile boolean stopped;

    private Waiting(Thread thread) {
        this.thread = thread;
    }

    /** Starts sampling; second 0 is now, which the caller makes the swarm's start. */
    static Waiting start(Path file, Backends backends, Balancer proxy, String upstream) throws IOException {
        Files.writeString(file, "second,proxy,backends\n");
        Waiting[] self = new Waiting[1];
        long t0 = System.nanoTime();
        Thread t = new Thread(() -> {
            try {
                for (long second = 1; !self[0].stopped; ) {
                    long due = t0 + second * 1_000_000_000L;
                    long wait = due - System.nanoTime();
                    if (wait > 0) {
                        Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                    }
                    ProxyStatus status = proxy == null ? null : proxy.status();
                    ProxyStatus.UpstreamStatus u = status == null ? null : status.upstream(upstream);
                    String queue = u == null || u.queue() == null ? "" : String.valueOf(u.queue().size());
                    Long queued = backends.queued();
                    Files.writeString(file, second + "," + queue + "," + (queued == null ? "" : queued) + "\n",
                            java.nio.file.StandardOpenOption.APPEND);
                    // A slow answer (a backend dying, an overloaded proxy) skips the seconds it took,
                    // so each sample keeps the second it was due at.
                    second = Math.max(second + 1, (System.nanoTime() - t0) / 1_000_000_000L + 1);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }, "bench-waiting");
        self[0] = new Waiting(t);
        t.setDaemon(true);
        t.start();
        return self[0];
    }

    @Override
    public void close() throws InterruptedException {
        stopped = true;
        thread.interrupt();
        thread.join(5_000);
    }

    /**
     * The samples by history index: the swarm writes its first history row a second after it
     * starts, so second s lands on row s - 1.
     */
    static Map<Integer, Double[]> read(Path file) throws IOException {
        Map<Integer, Double[]> out = new HashMap<>();
        if (!Files.exists(file)) {
            return out;
        }
        List<String> lines = Files.readAllLines(file);
        for (String line : lines.subList(Math.min(1, lines.size()), lines.size())) {
            String[] f = line.split(",", -1);
            if (f.length == 3 && !f[0].isEmpty()) {
                out.put(Integer.parseInt(f[0]) - 1, new Double[] {value(f[1]), value(f[2])});
            }
        }
        return out;
    }

    private static Double value(String s) {
        return s.isEmpty() ? null : Double.valueOf(s);
    }
}
