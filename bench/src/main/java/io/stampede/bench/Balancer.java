package io.stampede.bench;

import io.stampede.common.wire.ReadyLine;
import java.net.URI;
import io.stampede.common.wire.PeerState;
import io.stampede.common.wire.ProxyStatus;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A balancer process: the one {@code stampede proxy} that serves every balanced row (row R under
 * path /R/, so it is warmed up once and every row meets a warm JVM), or a real nginx for the
 * nginx row.
 */
final class Balancer {

    private final Child child;
    private final int port;
    /** The TLS listener's port (h2 by ALPN), or 0 when the balancer has none. */
    private final int tlsPort;
    /** Our proxy's admin port; 0 for nginx (no status API in nginx OSS). */
    private final int adminPort;

    /** Our proxy's configuration file (the reload preset rewrites it); null for nginx. */
    private Path config;

    private Balancer(Child child, int port, int tlsPort, int adminPort) {
        this.child = child;
        this.port = port;
        this.tlsPort = tlsPort;
        this.adminPort = adminPort;
    }

    /** Starts the proxy for {@code rows}; its config is written to configs/proxy.yaml, runnable by hand. */
    static Balancer startProxy(List<Plan.Row> rows, Backends backends, Children children, Path configDir)
            throws BenchException, InterruptedException, IOException {
        Path config = configDir.resolve("proxy.yaml");
        if (rows.stream().anyMatch(r -> r.edge().tls)) {
            writeCertificate(configDir);
        }
        Files.writeString(config, Configs.proxyYaml(rows, backends.servers));
        Child c = children.start("the proxy", "proxy", "proxy", List.of("-c", config.toString()), Map.of());
        ReadyLine ready = c.awaitReady("proxy", "listening", Duration.ofSeconds(60))
                .orElseThrow(() -> new BenchException("the proxy did not start within 60s" + c.tail()));
        if (ready.admin() == null) {
            throw new BenchException("the proxy has no admin listener" + c.tail());
        }
        int port = URI.create(ready.urls().get(0)).getPort();
        int tls = ready.urls().stream().filter(u -> u.startsWith("https://")).mapToInt(u -> URI.create(u).getPort()).findFirst().orElse(0);
        int admin = URI.create(ready.admin()).getPort();
        Balancer b = new Balancer(c, port, tls, admin);
        b.config = config;
        return b;
    }

    /** The TLS rows' self-signed certificate for localhost (the swarm takes it with --insecure), made once per bench. */
    static void writeCertificate(Path configDir) throws IOException {
        Path crt = configDir.resolve(Configs.CERTIFICATE);
        if (!Files.exists(crt)) {
            Files.createDirectories(crt.getParent());
            io.stampede.common.tls.Certificates.selfSigned(List.of("localhost", "127.0.0.1"))
                    .write(crt, configDir.resolve(Configs.KEY));
        }
    }

    static Balancer startNginx(Plan.Row row, Backends backends, Children children, Path configDir)
            throws BenchException, InterruptedException, IOException {
        String nginx = Nginx.binary().orElseThrow(() -> new BenchException("--with-nginx: nginx is not installed (apt-get install nginx)"));
        Path prefix = Files.createDirectories(configDir.resolve("nginx-" + row.name()));
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        if (row.edge().tls) {
            writeCertificate(configDir);
        }
        Path conf = configDir.resolve(row.name() + ".nginx.conf");
        Files.writeString(conf, Configs.nginxConf(row, backends.servers, port, prefix));
        Child c = children.startProgram("nginx for " + row.name(), "nginx-" + row.name(),
                List.of(nginx, "-p", prefix.toString(), "-c", conf.toString(), "-e", "stderr"));
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        String url = "http://127.0.0.1:" + port + "/";
        while (!(row.edge().tls ? Admin.listens(port) : Admin.answers(url))) {
            if (!c.alive()) {
                throw new BenchException("nginx for " + row.name() + " failed to start" + c.tail());
            }
            if (System.nanoTime() > deadline) {
                c.stop(Duration.ofSeconds(5));
                throw new BenchException("nginx for " + row.name() + " did not answer within 20s" + c.tail());
            }
            c.process.waitFor(50, java.util.concurrent.TimeUnit.MILLISECONDS);
        }
        return new Balancer(c, port, row.edge().tls ? port : 0, 0);
    }

    /** Where the swarm of {@code row} sends its requests. */
    Path configFile() {
        return config;
    }

    /** The balancer's process, for signals. */
    long pid() {
        return child.process.pid();
    }

    /** What the balancer printed so far. */
    String output() {
        return child.output();
    }

    String url(Plan.Row row) {
        // 127.0.0.1 either way (the certificate names it too), so --source-ips applies to every row alike.
        String base = row.edge().tls ? "https://127.0.0.1:" + tlsPort : "http://127.0.0.1:" + port;
        return base + (adminPort == 0 ? "" : "/" + row.name());
    }

    /** The upstream that serves {@code row} in the status document. */
    static String upstream(Plan.Row row) {
        return row.nginx() ? "" : Configs.upstream(row);
    }

    /** Our proxy's {@code /status}, or null (nginx, or not answering). */
    ProxyStatus status() throws InterruptedException {
        if (adminPort == 0) {
            return null;
        }
        try {
            return ProxyStatus.read(Admin.text("http://127.0.0.1:" + adminPort + "/status"));
        } catch (IOException e) {
            return null;
        }
    }

    /** Attempts per peer ({@code ip:port}) of one upstream, from a status document. */
    static Map<String, Long> peerRequests(ProxyStatus status, String upstream) {
        Map<String, Long> out = new HashMap<>();
        ProxyStatus.UpstreamStatus u = status.upstream(upstream);
        if (u != null) {
            u.peers().forEach(p -> out.put(p.server(), p.requests()));
        }
        return out;
    }

    /** The state our proxy reports for a peer, or null. */
    static PeerState peerState(ProxyStatus status, String upstream, String address) {
        ProxyStatus.UpstreamStatus u = status == null ? null : status.upstream(upstream);
        ProxyStatus.PeerStatus p = u == null ? null : u.peer(address);
        return p == null ? null : p.state();
    }

    void stop() throws InterruptedException {
        child.stop(Duration.ofSeconds(10));
    }
}
