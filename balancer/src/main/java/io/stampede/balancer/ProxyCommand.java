package io.stampede.balancer;

import io.stampede.common.wire.ReadyLine;
import io.stampede.balancer.config.ConfigLoader;
import io.stampede.balancer.config.LocationConfig;
import io.stampede.balancer.config.ProxyConfig;
import io.stampede.common.tls.TlsEngine;
import io.stampede.balancer.config.UpstreamConfig;
import io.stampede.balancer.proxy.ProxyServer;
import io.stampede.common.DurationConverter;
import io.stampede.common.Transport;
import io.stampede.common.yaml.ConfigException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import sun.misc.Signal;

/** {@code stampede proxy}: the nginx-compatible load balancer. */
@Command(name = "proxy", mixinStandardHelpOptions = true, sortOptions = false, usageHelpAutoWidth = true,
        description = {
            "Run the load-balancing reverse proxy: nginx's upstream balancing, configured in YAML.",
            "",
            "Keys are nginx directive names and values use nginx's syntax; the README",
            "lists them all. The same config and requests pick the same servers as nginx.",
            ""},
        footer = {"", "Signals (or -s, which finds the proxy through its pid file):",
            "  SIGHUP  (-s reload)  read the configuration again; apply it whole, or keep the old one",
            "  SIGTERM (-s quit)    stop accepting, let requests in flight finish (--grace), exit 0",
            "  SIGINT  (-s stop)    stop at once (Ctrl-C)",
            "  SIGUSR1 (-s reopen)  reopen the access log (after log rotation)",
            "Examples: config/seed.yaml (round robin), config/least_conn.yaml,",
            "config/ip_hash.yaml, config/hash.yaml, config/random.yaml, config/proxy-reference.yaml"})
public final class ProxyCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = {"-c", "--config"}, paramLabel = "FILE", required = true,
            description = "The configuration file: YAML, or nginx's own syntax for a name ending in .conf.")
    Path config;

    @Option(names = "--lenient",
            description = "In an nginx.conf, skip directives Stampede does not support with a warning instead of refusing the file.")
    boolean lenient;

    @Option(names = {"-t", "--test"},
            description = "Check the configuration (syntax, values, host names) and exit, like nginx -t.")
    boolean test;

    @Option(names = "-s", paramLabel = "SIGNAL",
            description = "Send a signal to the proxy running with this configuration, as nginx -s: reload, quit, stop or reopen.")
    String signal;

    @Option(names = "--grace", paramLabel = "DURATION", defaultValue = "10s", converter = DurationConverter.class,
            description = "How long a graceful stop waits for requests in flight. Default: ${DEFAULT-VALUE}.")
    Duration grace;

    /** How a location speaks TLS to its servers, for the start-up lines. */
    private static String tlsSummary(LocationConfig l) {
        var ssl = l.proxy().ssl();
        String name = ssl.nameFor(l.proxyHost());
        return "TLS" + (ssl.verify() ? ", verifying " + name : ", certificates not verified (proxy_ssl_verify off)")
                + (ssl.serverName() ? ", SNI " + name : "") + (ssl.certificate() != null ? ", client certificate" : "");
    }

    /**
     * SIGHUP: the configuration file read and checked again, then applied whole, or not at all
     * (the reason logged, the running configuration unchanged).
     */
    private void reload(ProxyServer server, java.io.PrintWriter out, java.io.PrintWriter err) {
        String why;
        try {
            why = server.reload(ConfigLoader.load(config, lenient, note -> {
                err.println("stampede proxy: " + note);
                err.flush();
            }));
        } catch (ConfigException e) {
            why = e.getMessage();
        } catch (RuntimeException e) {
            why = config + ": " + e.getMessage();
        }
        if (why == null) {
            out.println("stampede proxy: reloaded " + config);
            out.flush();
        } else {
            err.println("stampede proxy: reload failed, still running the previous configuration: " + why);
            err.flush();
        }
    }

    @Override
    public Integer call() throws Exception {
        java.io.PrintWriter out = spec.commandLine().getOut();
        java.io.PrintWriter err = spec.commandLine().getErr();
        if (!Files.isRegularFile(config)) {
            err.println("stampede proxy: " + config + ": no such file");
            return 1;
        }
        ProxyConfig cfg;
        try {
            cfg = ConfigLoader.load(config, lenient, note -> err.println("stampede proxy: " + note));
        } catch (ConfigException e) {
            err.println("stampede proxy: " + e.getMessage());
            err.flush();
            if (test) {
                err.println("stampede proxy: configuration file " + config + " test failed");
            }
            return 1;
        }
        if (cfg.listen().stream().anyMatch(io.stampede.balancer.config.Listener::ssl)) {
            try {
                // The TLS library's own checks (cipher strings), for every server's settings, before anything listens.
                ProxyServer.checkTls(cfg);
            } catch (IllegalArgumentException | IllegalStateException e) {
                err.println("stampede proxy: " + config + ": " + e.getMessage());
                if (test) {
                    err.println("stampede proxy: configuration file " + config + " test failed");
                }
                return 1;
            }
        }
        if (test) {
            out.println("stampede proxy: the configuration file " + config + " syntax is ok");
            out.println("stampede proxy: configuration file " + config + " test is successful");
            return 0;
        }
        if (signal != null) {
            return Signals.send(signal, cfg.pid(), out, err);
        }
        ProxyServer server = ProxyServer.create(cfg);
        try {
            server.start();
        } catch (Exception e) {
            err.println("stampede proxy: cannot listen on " + cfg.listen() + ": " + e.getMessage());
            server.close();
            return 1;
        }
        // The pid file before the first line that says the proxy listens: whoever waits for that line
        // (a script, a test) may signal it with -s at once.
        Path pid = Signals.writePid(cfg.pid(), err);
        List<String> urls = new java.util.ArrayList<>();
        for (int i = 0; i < server.addresses().size(); i++) {
            var address = server.addresses().get(i);
            urls.add((cfg.listen().get(i).ssl() ? "https://" : "http://") + address.getHostString() + ":" + address.getPort());
            out.println("stampede proxy listening on " + urls.get(i)
                    + " (" + (cfg.listen().get(i).http2() ? "HTTP/1.1 and HTTP/2, " : "") + Transport.name() + ", "
                    + (cfg.workers() == 0 ? "auto" : cfg.workers()) + " workers)");
        }
        if (cfg.listen().stream().anyMatch(io.stampede.balancer.config.Listener::ssl)) {
            out.println("  " + TlsEngine.describe());
        }
        server.adminAddress().ifPresent(a -> out.println("stampede proxy admin on http://" + a.getHostString() + ":"
                + a.getPort() + "/status"));
        for (LocationConfig l : cfg.locations()) {
            UpstreamConfig u = cfg.upstreams().get(l.upstream());
            out.println("  location " + (l.exact() ? "= " : "") + l.path() + " -> " + l.upstream() + " ("
                    + (u.method().directive().isEmpty() ? "round robin" : u.method().directive()) + ", "
                    + u.servers().size() + " servers" + (l.https() ? ", " + tlsSummary(l) : "") + ")");
        }
        out.flush();
        ReadyLine.of("proxy", "listening",
                urls,
                server.adminAddress().map(a -> "http://" + a.getHostString() + ":" + a.getPort()).orElse(null)).announce(out);
        CountDownLatch stopped = new CountDownLatch(1);
        java.util.function.Consumer<Duration> stop = g -> {
            boolean clean = server.stop(g);
            out.println("stampede proxy: stopped" + (clean ? "" : " (requests still in flight after "
                    + g.toSeconds() + "s were cut)"));
            out.flush();
            if (pid != null) {
                Signals.removePid(pid);
            }
            stopped.countDown();
        };
        // Reloads one at a time, off the signal thread.
        java.util.concurrent.ExecutorService reloads = java.util.concurrent.Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "proxy-reload");
            t.setDaemon(true);
            return t;
        });
        Signal.handle(new Signal("TERM"), s -> new Thread(() -> stop.accept(grace), "proxy-stop").start());
        Signal.handle(new Signal("INT"), s -> new Thread(() -> stop.accept(Duration.ZERO), "proxy-stop").start());
        Signal.handle(new Signal("HUP"), s -> reloads.execute(() -> reload(server, out, err)));
        Signal.handle(new Signal("USR1"), s -> reloads.execute(() -> {
            server.reopenLogs();
            out.println("stampede proxy: reopened the access log");
            out.flush();
        }));
        stopped.await();
        return 0;
    }
}
