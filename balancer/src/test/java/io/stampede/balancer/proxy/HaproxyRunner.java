package io.stampede.balancer.proxy;

import java.io.File;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A private HAProxy for side-by-side runs: foreground, one backend server with connection reuse
 * ({@code http-reuse always}, as a proxy in front of an API is run), a free loopback port, and a
 * {@code maxconn} far below the machine's file limit.
 */
final class HaproxyRunner implements AutoCloseable {
    private final Process process;
    private final Path dir;
    final int port;

    /** The haproxy binary, or null when HAProxy is not installed. */
    static Path binary() {
        for (String entry : ("/usr/sbin" + File.pathSeparator + System.getenv().getOrDefault("PATH", "")).split(File.pathSeparator)) {
            Path p = Path.of(entry, "haproxy");
            if (Files.isExecutable(p)) {
                return p;
            }
        }
        return null;
    }

    HaproxyRunner(String server) throws IOException {
        this.dir = Files.createTempDirectory("stampede-haproxy");
        this.port = PeerProcess.freePort();
        String cfg = "global\n  maxconn 1000\n"
                + "defaults\n  mode http\n  timeout connect 5s\n  timeout client 10s\n  timeout server 5s\n"
                + "  http-reuse always\n"
                + "frontend f\n  bind 127.0.0.1:" + port + "\n  default_backend b\n"
                + "backend b\n  server s1 " + server + "\n";
        Files.writeString(dir.resolve("haproxy.cfg"), cfg);
        this.process = new ProcessBuilder(binary().toString(), "-db", "-f", dir.resolve("haproxy.cfg").toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("out.log").toFile()).start();
        PeerProcess.awaitListening(process, port, "haproxy", () -> Files.readString(dir.resolve("out.log")));
    }

    InetSocketAddress address() {
        return new InetSocketAddress("127.0.0.1", port);
    }

    @Override
    public void close() throws IOException {
        PeerProcess.stop(process, dir);
    }
}
