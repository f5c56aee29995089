package io.stampede.balancer;

import io.stampede.balancer.config.ConfigLoader;
import io.stampede.balancer.config.nginx.NginxConfigs;
import io.stampede.common.yaml.ConfigException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code stampede config convert nginx.conf}: an nginx.conf as the proxy's YAML, checked as the proxy would check it. */
@Command(name = "config", mixinStandardHelpOptions = true, usageHelpAutoWidth = true,
        description = "Work with proxy configurations.",
        subcommands = ConfigCommand.Convert.class)
public final class ConfigCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getErr());
    }

    @Command(name = "convert", mixinStandardHelpOptions = true, usageHelpAutoWidth = true,
            description = "Print an nginx.conf as the YAML configuration `stampede proxy` reads (the same configuration: "
                    + "`stampede proxy -c nginx.conf` runs it as it is). Notes on skipped directives go to standard error.")
    static final class Convert implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Parameters(paramLabel = "NGINX_CONF", description = "The nginx.conf to convert.")
        Path file;

        @Option(names = "--lenient", description = "Skip directives Stampede does not support, with a warning, instead of refusing.")
        boolean lenient;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            if (!Files.isRegularFile(file)) {
                err.println("stampede config convert: " + file + ": no such file");
                return 1;
            }
            try {
                // Checked whole first: a YAML that would not load is never printed.
                ConfigLoader.load(file, lenient, note -> { });
                out.print(NginxConfigs.yaml(file, lenient, note -> err.println("stampede config convert: " + note)));
                out.flush();
                return 0;
            } catch (ConfigException e) {
                err.println("stampede config convert: " + e.getMessage());
                return 1;
            }
        }
    }
}
