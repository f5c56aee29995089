package io.stampede.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The reload preset's event: while a row is measured, our proxy's configuration file is rewritten
 * and the proxy sent SIGHUP ({@code stampede proxy -s reload}) every {@code every}, alternating
 * the bench's configuration with one that differs in a top-level directive, so every reload
 * applies a real change. Counts the reloads sent, and those the proxy says it applied or refused.
 */
final class Reloader {
    private static final String APPLIED = "stampede proxy: reloaded ";
    private static final String REFUSED = "stampede proxy: reload failed";

    private final Balancer proxy;
    private final Duration every;
    private final Map<String, Object> summary = new LinkedHashMap<>();

    Reloader(Balancer proxy, Duration every) {
        this.proxy = proxy;
        this.every = every;
    }

    Map<String, Object> summary() {
        return summary;
    }

    /** Reloads until the swarm ends, on the calling thread. */
    void run(Child swarm) throws InterruptedException, BenchException {
        Path config = proxy.configFile();
        String original;
        try {
            original = Files.readString(config);
        } catch (IOException e) {
            throw new BenchException("cannot read the proxy's configuration " + config + ": " + e.getMessage());
        }
        String variant = "proxy_read_timeout: 61s   # the reload preset's change\n" + original;
        int appliedBefore = count(proxy.output(), APPLIED);
        int refusedBefore = count(proxy.output(), REFUSED);
        int sent = 0;
        try {
            while (!swarm.process.waitFor(every.toMillis(), TimeUnit.MILLISECONDS)) {
                write(config, sent % 2 == 0 ? variant : original);
                signal();
                sent++;
            }
        } finally {
            write(config, original);
        }
        if (sent % 2 == 1) {
            signal(); // back to the bench's own configuration for the next row
            sent++;
        }
        int expected = sent;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline
                && count(proxy.output(), APPLIED) - appliedBefore + count(proxy.output(), REFUSED) - refusedBefore < expected) {
            Thread.sleep(50); // the proxy logs each reload when it is done; a few may still be on their way
        }
        summary.put("reloads_sent", sent);
        summary.put("reloads_applied", count(proxy.output(), APPLIED) - appliedBefore);
        summary.put("reloads_refused", count(proxy.output(), REFUSED) - refusedBefore);
    }

    private static void write(Path config, String text) throws BenchException {
        try {
            Files.writeString(config, text);
        } catch (IOException e) {
            throw new BenchException("cannot write the proxy's configuration " + config + ": " + e.getMessage());
        }
    }

    private void signal() throws InterruptedException, BenchException {
        try {
            Process kill = new ProcessBuilder("kill", "-HUP", Long.toString(proxy.pid())).redirectErrorStream(true).start();
            if (kill.waitFor() != 0) {
                throw new BenchException("kill -HUP " + proxy.pid() + " failed: " + new String(kill.getInputStream().readAllBytes()));
            }
        } catch (IOException e) {
            throw new BenchException("cannot run kill: " + e.getMessage());
        }
    }

    private static int count(String text, String what) {
        int n = 0;
        for (int i = text.indexOf(what); i >= 0; i = text.indexOf(what, i + 1)) {
            n++;
        }
        return n;
    }
}
