package io.stampede.bench;

import io.stampede.common.wire.ReadyLine;
import java.net.URI;
import java.util.Optional;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One part of the bench running as its own process, its output in a log file. The label names it
 * in every error ("the Market API api-2", "the proxy for least_conn"), so a part that fails to
 * start is reported by what it was, with the last lines it printed.
 */
final class Child {
    final String label;
    final Process process;
    final Path log;
    /** Where this process's output starts in the log (a restarted part appends to its old log). */
    private final long offset;

    Child(String label, Process process, Path log, long offset) {
        this.label = label;
        this.process = process;
        this.log = log;
        this.offset = offset;
    }

    /** Waits for the part's ready line for {@code listening}; returns the port of its first URL. */
    int awaitListening(String part, Duration timeout) throws BenchException, InterruptedException {
        ReadyLine ready = awaitReady(part, "listening", timeout)
                .orElseThrow(() -> new BenchException(label + " did not start within " + timeout.toSeconds() + "s" + tail()));
        return URI.create(ready.urls().get(0)).getPort();
    }

    /** Waits for the part's ready line for {@code event}; empty on timeout; fails if the process exits first. */
    Optional<ReadyLine> awaitReady(String part, String event, Duration timeout) throws BenchException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        long pauseMs = 5;
        while (System.nanoTime() < deadline) {
            Optional<ReadyLine> ready = ReadyLine.find(output(), part, event);
            if (ready.isPresent()) {
                return ready;
            }
            if (!process.isAlive()) {
                throw new BenchException(label + " failed to start (exit status " + process.exitValue() + ")" + tail());
            }
            // The log is a file the child writes; nothing to block on but the process's exit.
            process.waitFor(pauseMs, TimeUnit.MILLISECONDS);
            pauseMs = Math.min(100, pauseMs * 2);
        }
        return Optional.empty();
    }

    /** What this process printed so far. */
    String output() {
        try (java.nio.channels.SeekableByteChannel ch = Files.newByteChannel(log)) {
            long size = ch.size();
            if (size <= offset) {
                return "";
            }
            java.nio.ByteBuffer buf = java.nio.ByteBuffer.allocate((int) Math.min(Integer.MAX_VALUE - 8, size - offset));
            ch.position(offset);
            while (buf.hasRemaining() && ch.read(buf) > 0) {
                // read on
            }
            return new String(buf.array(), 0, buf.position(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }

    /** The last few lines the part printed, to quote in an error. */
    String tail() {
        List<String> lines = output().lines().filter(l -> !l.isBlank()).toList();
        if (lines.isEmpty()) {
            return " (it printed nothing; log: " + log + ")";
        }
        List<String> last = lines.subList(Math.max(0, lines.size() - 5), lines.size());
        return ":\n    " + String.join("\n    ", last) + "\n  (log: " + log + ")";
    }

    boolean alive() {
        return process.isAlive();
    }

    /** SIGTERM, then SIGKILL if it has not exited within {@code grace}. */
    void stop(Duration grace) throws InterruptedException {
        if (!process.isAlive()) {
            return;
        }
        process.destroy();
        if (!process.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS)) {
            kill();
        }
    }

    /** SIGKILL, as a crashed server dies: no goodbye to its clients. Waits until it is gone. */
    void kill() throws InterruptedException {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
    }
}
