package io.stampede.balancer;

import io.stampede.common.Cli;
import picocli.CommandLine;

/** Runs {@code stampede proxy} in a separate JVM for process-level tests (signals, exit codes). */
public final class ProxyMain {
    private ProxyMain() {}

    public static void main(String[] args) {
        System.exit(Cli.configure(new CommandLine(new ProxyCommand())).execute(args));
    }
}
