package io.stampede.loadgen;

import io.stampede.common.Cli;
import picocli.CommandLine;

/** {@code stampede swarm} as its own process for tests that need signals (the jar's main lives in the cli module). */
public final class SwarmMain {
    private SwarmMain() {}

    public static void main(String[] args) {
        System.exit(Cli.configure(new CommandLine(new SwarmCommand())).execute(args));
    }
}
