package io.stampede.balancer.proxy;

import java.io.File;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;

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
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            this.port = s.getLocalPort();
        }
        String cfg = "global\n  maxconn 1000\n"
                + "defaults\n  mode http\n  timeout connect 5s\n  timeout client 10s\n  timeout server 5s\n"
                + "  http-reuse always\n"
                + "frontend f\n  bind 127.0.0.1:" + port + "\n  default_backend b\n"
                + "backend b\n  server s1 " + server + "\n";
        Files.writeString(dir.resolve("haproxy.cfg"), cfg);
        this.process = new ProcessBuilder(binary().toString(), "-db", "-f", dir.resolve("haproxy.cfg").toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("out.log").toFile()).start();
        Awaitility.await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20)).until(() -> {
            if (!process.isAlive()) {
                throw new IllegalStateException("haproxy exited: " + Files.readString(dir.resolve("out.log")));
            }
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 200);
                return true;
            } catch (IOException e) {
                return false;
            }
        });
    }

    InetSocketAddress address() {
        return new InetSocketAddress("127.0.0.1", port);
    }

    @Override
    public void close() throws IOException {
        process.destroy();
        try {
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try (var files = Files.walk(dir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
