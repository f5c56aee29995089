package io.stampede.balancer;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * nginx's {@code -s}: the running proxy's process id is in its pid file, and each command is a
 * signal to it. Java cannot signal another process, so {@code kill} does.
 */
final class Signals {
    /** The command names, as nginx's, and the signal each sends. */
    static final Map<String, String> COMMANDS = Map.of("reload", "HUP", "quit", "TERM", "stop", "INT", "reopen", "USR1");

    private Signals() {}

    /** Sends {@code command}'s signal to the proxy whose pid is in {@code pidFile}; the exit status. */
    static int send(String command, Path pidFile, PrintWriter out, PrintWriter err) {
        String signal = COMMANDS.get(command);
        if (signal == null) {
            err.println("stampede proxy: -s " + command + ": unknown signal (expected reload, quit, stop or reopen)");
            return 1;
        }
        long pid;
        try {
            pid = Long.parseLong(Files.readString(pidFile, StandardCharsets.US_ASCII).trim());
        } catch (IOException | NumberFormatException e) {
            err.println("stampede proxy: -s " + command + ": cannot read the pid file " + pidFile + " (" + e.getMessage()
                    + "); is the proxy running with this configuration?");
            return 1;
        }
        Optional<ProcessHandle> running = ProcessHandle.of(pid);
        if (running.isEmpty() || !running.get().isAlive()) {
            err.println("stampede proxy: -s " + command + ": no process " + pid + " (from " + pidFile + ")");
            return 1;
        }
        try {
            Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).redirectErrorStream(true).start();
            String said = new String(kill.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            if (kill.waitFor() != 0) {
                err.println("stampede proxy: -s " + command + ": kill -" + signal + " " + pid + " failed: " + said);
                return 1;
            }
        } catch (IOException e) {
            err.println("stampede proxy: -s " + command + ": cannot run kill: " + e.getMessage());
            return 1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 1;
        }
        out.println("stampede proxy: sent SIG" + signal + " (" + command + ") to " + pid);
        return 0;
    }

    /** Writes this process's id; a file that cannot be written is a warning (only -s needs it). */
    static Path writePid(Path pidFile, PrintWriter err) {
        try {
            Path parent = pidFile.getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            Files.writeString(pidFile, ProcessHandle.current().pid() + "\n", StandardCharsets.US_ASCII);
            return pidFile;
        } catch (IOException e) {
            err.println("stampede proxy: warning: cannot write the pid file " + pidFile + " (" + e.getMessage()
                    + "); -s will not find this proxy");
            err.flush();
            return null;
        }
    }

    /** Removes the pid file at exit, if it still names this process. */
    static void removePid(Path pidFile) {
        try {
            if (Files.readString(pidFile, StandardCharsets.US_ASCII).trim().equals(Long.toString(ProcessHandle.current().pid()))) {
                Files.delete(pidFile);
            }
        } catch (IOException | RuntimeException e) {
            // Gone already, or another proxy's now: leave it.
        }
    }
}
