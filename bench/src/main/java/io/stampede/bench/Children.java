package io.stampede.bench;

import io.stampede.common.JvmDefaults;
import io.stampede.common.wire.ReadyLine;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Starts the bench's parts as processes and guarantees they end: every child is registered here,
 * a JVM shutdown hook (Ctrl-C, SIGTERM) stops whatever is still running, and each child also
 * watches the bench's pid ({@link PartMain#exitWithParent}) for the case no hook can cover.
 */
final class Children implements AutoCloseable {
    private final List<Child> started = new ArrayList<>();
    private final List<String> javaPrefix;
    private final Path logDir;
    private final Thread hook = new Thread(this::stopAllQuietly, "bench-children-stop");

    Children(Path logDir, List<String> jvmOptions) throws IOException {
        this.logDir = Files.createDirectories(logDir);
        List<String> prefix = new ArrayList<>();
        prefix.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        prefix.addAll(jvmOptions);
        if (Runtime.version().feature() >= 22) {
            prefix.add("--enable-native-access=ALL-UNNAMED"); // Netty's epoll library
        }
        prefix.add("-cp");
        prefix.add(System.getProperty("java.class.path"));
        prefix.add(PartMain.class.getName());
        this.javaPrefix = List.copyOf(prefix);
        Runtime.getRuntime().addShutdownHook(hook);
    }

    /** Starts {@code part} ("api", "proxy", "swarm") with {@code args}; output goes to logs/LOGNAME.log. */
    Child start(String label, String logName, String part, List<String> args, Map<String, String> env)
            throws BenchException {
        List<String> command = new ArrayList<>(javaPrefix.subList(0, 1));
        command.addAll(JvmDefaults.forPart(part)); // before the bench's own options, which may override them
        command.addAll(javaPrefix.subList(1, javaPrefix.size()));
        command.add(part);
        command.addAll(args);
        Map<String, String> withParent = new HashMap<>(env);
        withParent.put(PartMain.PARENT_ENV, String.valueOf(ProcessHandle.current().pid()));
        withParent.put(ReadyLine.ENV, "1"); // the parts say when they are ready in lines the bench parses
        return launch(label, logName, command, withParent);
    }

    /** Starts a program that is not one of ours (nginx); it is stopped like the others. */
    Child startProgram(String label, String logName, List<String> command) throws BenchException {
        return launch(label, logName, command, Map.of());
    }

    private synchronized Child launch(String label, String logName, List<String> command, Map<String, String> env)
            throws BenchException {
        Path log = logDir.resolve(logName + ".log");
        long offset;
        try {
            offset = Files.exists(log) ? Files.size(log) : 0;
        } catch (IOException e) {
            offset = 0;
        }
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        pb.environment().putAll(env);
        try {
            Child child = new Child(label, pb.start(), log, offset);
            started.add(child);
            return child;
        } catch (IOException e) {
            throw new BenchException("cannot start " + label + ": " + e.getMessage());
        }
    }

    /** Stops every child still running: SIGTERM, a short grace, then SIGKILL. */
    synchronized void stopAll() throws InterruptedException {
        for (Child c : started) {
            if (c.alive()) {
                c.process.destroy();
            }
        }
        for (Child c : started) {
            c.stop(Duration.ofSeconds(5));
        }
        started.removeIf(c -> !c.alive());
    }

    private void stopAllQuietly() {
        try {
            stopAll();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() throws InterruptedException {
        stopAll();
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException shuttingDown) {
            // The hook is running already; it does the same.
        }
    }
}
