package io.stampede.cli;

import io.stampede.api.ApiCommand;
import io.stampede.balancer.ConfigCommand;
import io.stampede.balancer.ProxyCommand;
import io.stampede.bench.BenchCommand;
import io.stampede.loadgen.SwarmCommand;
import io.stampede.loadgen.compare.ReportCommand;
import io.stampede.common.Cli;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code stampede} command: one jar, one subcommand per part of the toolkit. */
@Command(name = "stampede", mixinStandardHelpOptions = true, versionProvider = Stampede.Version.class,
        usageHelpAutoWidth = true,
        description = {
            "Stampede answers two questions for the people who run HTTP APIs:",
            "how many users can my API take, and how do I make it take more?",
            ""},
        subcommands = {ApiCommand.class, ProxyCommand.class, ConfigCommand.class, SwarmCommand.class, BenchCommand.class, ReportCommand.class, CommandLine.HelpCommand.class},
        footer = {"", "Run 'stampede COMMAND --help' for a command's flags."})
public final class Stampede implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    public static void main(String[] args) {
        Cli.processDefaults();
        System.exit(Cli.configure(new CommandLine(new Stampede())).execute(args));
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Stampede.class.getPackage().getImplementationVersion();
            return new String[] {"stampede " + (v == null ? "(development build)" : v),
                "Java " + Runtime.version() + " (" + System.getProperty("java.vm.name") + ")"};
        }
    }
}
