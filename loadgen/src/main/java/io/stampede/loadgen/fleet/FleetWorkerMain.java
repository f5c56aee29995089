package io.stampede.loadgen.fleet;

import io.stampede.common.Cli;
import io.stampede.loadgen.SwarmCommand;
import picocli.CommandLine;

/** A worker process's entry point: {@code stampede swarm}'s command line with {@code --fleet-worker}. */
public final class FleetWorkerMain {
    private FleetWorkerMain() {}

    public static void main(String[] args) {
        Cli.processDefaults();
        System.exit(Cli.configure(new CommandLine(new SwarmCommand())).execute(args));
    }
}
