package io.stampede.common;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine;

/**
 * Shared command-line behaviour: a bad flag value is one clear line on stderr (what was wrong,
 * and where to look for help), exit status 2, as Unix tools do.
 */
public final class Cli {
    private Cli() {}

    /**
     * The process-wide defaults every part starts with, unless a {@code -D} flag set them first:
     * no leak sampling (Netty samples buffers by default, which costs throughput in production;
     * the tests run with paranoid detection instead), and Netty's own INFO lines off (its
     * internals' diary, such as an HTTP/2 frame ignored after a GOAWAY, one line each and
     * hundreds under load; nginx keeps such things at debug). Netty's warnings stay;
     * {@code -Dorg.slf4j.simpleLogger.log.io.netty=info} brings the rest back.
     */
    public static void processDefaults() {
        if (System.getProperty("io.netty.leakDetection.level") == null) {
            System.setProperty("io.netty.leakDetection.level", "disabled");
        }
        if (System.getProperty("org.slf4j.simpleLogger.log.io.netty") == null) {
            System.setProperty("org.slf4j.simpleLogger.log.io.netty", "warn");
        }
    }

    public static CommandLine configure(CommandLine cmd) {
        cmd.setParameterExceptionHandler(Cli::oneLineError);
        // Validation done inside a command's call() is reported the same way as a parse error.
        cmd.setExecutionExceptionHandler((e, c, parsed) -> {
            if (e instanceof CommandLine.ParameterException pe) {
                return oneLineError(pe, new String[0]);
            }
            if (e instanceof UncheckedIOException || e instanceof IOException) {
                // A file that could not be written during the run (a full disk): one line, not a trace.
                c.getErr().println(c.getCommandSpec().qualifiedName() + ": " + e.getMessage());
                c.getErr().flush();
                return 1;
            }
            throw e;
        });
        cmd.setCaseInsensitiveEnumValuesAllowed(true);
        return cmd;
    }

    /** Raise from a command's own validation: shown like a parse error. */
    public static CommandLine.ParameterException badValue(CommandLine cmd, String message) {
        return new CommandLine.ParameterException(cmd, message);
    }

    /**
     * Checks before anything runs that {@code file}, named by {@code flag}, can be written: its
     * directory exists or is created, and it is not a directory itself. A run's results are then
     * not lost at its end to a path that could never have taken them.
     */
    public static void checkWritable(CommandLine cmd, String flag, Path file) {
        Path abs = file.toAbsolutePath();
        if (Files.isDirectory(abs)) {
            throw badValue(cmd, flag + " " + file + ": is a directory (expected a file to write)");
        }
        Path parent = abs.getParent();
        try {
            Files.createDirectories(parent);
        } catch (FileAlreadyExistsException e) {
            throw badValue(cmd, flag + " " + file + ": cannot create its directory: " + e.getFile() + " is a file");
        } catch (IOException e) {
            throw badValue(cmd, flag + " " + file + ": cannot create its directory " + parent + " (" + e.getMessage() + ")");
        }
        if (!Files.isWritable(parent)) {
            throw badValue(cmd, flag + " " + file + ": its directory " + parent + " is not writable");
        }
    }

    private static int oneLineError(CommandLine.ParameterException e, String[] args) {
        CommandLine cmd = e.getCommandLine();
        PrintWriter err = cmd.getErr();
        String message = e.getMessage().replace(System.lineSeparator(), " ").trim();
        err.println(cmd.getCommandSpec().qualifiedName() + ": " + message
                + " (see '" + cmd.getCommandSpec().qualifiedName() + " --help')");
        err.flush();
        return 2;
    }
}
