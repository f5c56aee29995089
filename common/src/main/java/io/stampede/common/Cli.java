package io.stampede.common;

import java.io.PrintWriter;
import picocli.CommandLine;

/**
 * Shared command-line behaviour: a bad flag value is one clear line on stderr (what was wrong,
 * and where to look for help), exit status 2, as Unix tools do.
 */
public final class Cli {
    private Cli() {}

    public static CommandLine configure(CommandLine cmd) {
        cmd.setParameterExceptionHandler(Cli::oneLineError);
        // Validation done inside a command's call() is reported the same way as a parse error.
        cmd.setExecutionExceptionHandler((e, c, parsed) -> {
            if (e instanceof CommandLine.ParameterException pe) {
                return oneLineError(pe, new String[0]);
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
