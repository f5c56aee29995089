package io.stampede.bench;

import io.stampede.api.ApiCommand;
import io.stampede.balancer.ProxyCommand;
import io.stampede.common.Cli;
import io.stampede.loadgen.SwarmCommand;
import picocli.CommandLine;

/**
 * How the bench starts each part as its own OS process: {@code java -cp <this class path> PartMain
 * api|proxy|swarm|bench ARGS}. The same class path serves the shaded jar and the test class path,
 * so the bench and its tests run the parts exactly as users do.
 *
 * <p>A part started by a bench dies with it: {@value #PARENT_ENV} names the bench's pid, and a part
 * that sees it gone exits at once, so even a bench killed with SIGKILL leaves nothing behind.
 */
public final class PartMain {
    static final String PARENT_ENV = "STAMPEDE_BENCH_PID";

    private PartMain() {}

    public static void main(String[] args) {
        Cli.processDefaults(); // as ./stampede's parts have them
        exitWithParent(System.getenv(PARENT_ENV));
        if (args.length == 0) {
            System.err.println("usage: PartMain api|proxy|swarm|bench ARGS");
            System.exit(2);
        }
        Object command = switch (args[0]) {
            case "api" -> new ApiCommand();
            case "proxy" -> new ProxyCommand();
            case "swarm" -> new SwarmCommand();
            case "bench" -> new BenchCommand();
            default -> null;
        };
        if (command == null) {
            System.err.println("PartMain: unknown part '" + args[0] + "' (expected api, proxy, swarm or bench)");
            System.exit(2);
        }
        String[] rest = java.util.Arrays.copyOfRange(args, 1, args.length);
        System.exit(Cli.configure(new CommandLine(command)).execute(rest));
    }

    /** Halts this process when the bench that started it ends (however it ended). */
    static void exitWithParent(String pid) {
        if (pid == null || pid.isBlank()) {
            return;
        }
        ProcessHandle.of(Long.parseLong(pid.trim())).ifPresentOrElse(
                parent -> parent.onExit().thenRun(() -> Runtime.getRuntime().halt(3)),
                () -> Runtime.getRuntime().halt(3));
    }
}
