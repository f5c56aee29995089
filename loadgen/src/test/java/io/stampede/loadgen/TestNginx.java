package io.stampede.loadgen;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Assumptions;

/** A real nginx for the swarm's tests: one worker, in the foreground, everything under one directory. */
final class TestNginx implements AutoCloseable {
    private static final Path NGINX = Path.of("/usr/sbin/nginx");
    final Path dir;
    final int port;
    private final Process process;

    /** Skips the calling test loudly when nginx is absent, naming what went unchecked. */
    static void require(String unchecked) {
        if (!Files.isExecutable(NGINX)) {
            System.err.println("SKIPPED LOUDLY: nginx is not installed (apt-get install nginx); " + unchecked + " was not checked against it");
            Assumptions.abort("nginx is not installed");
        }
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /**
     * Starts nginx with {@code http} (the http block's inside, which may use {@code PORT} for the
     * port picked here and {@code DIR} for the run directory) and waits until it listens.
     */
    TestNginx(Path parent, String http) throws Exception {
        dir = Files.createTempDirectory(parent, "nginx");
        port = freePort();
        String temp = "  client_body_temp_path DIR;\n  proxy_temp_path DIR;\n  fastcgi_temp_path DIR;\n"
                + "  uwsgi_temp_path DIR;\n  scgi_temp_path DIR;\n";
        Files.writeString(dir.resolve("nginx.conf"), ("worker_processes 1;\ndaemon off;\nmaster_process off;\n"
                + "error_log DIR/error.log info;\npid DIR/nginx.pid;\nevents { worker_connections 1024; }\nhttp {\n"
                + temp + http + "\n}\n").replace("DIR", dir.toString()).replace("PORT", Integer.toString(port)));
        process = new ProcessBuilder(NGINX.toString(), "-p", dir.toString(), "-c", dir.resolve("nginx.conf").toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("out.log").toFile()).start();
        Awaitility.await("nginx listening").atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20)).until(() -> {
            assertThat(process.isAlive()).as("nginx runs: " + Files.readString(dir.resolve("out.log"))).isTrue();
            try (Socket ignored = new Socket("127.0.0.1", port)) {
                return true;
            } catch (IOException e) {
                return false;
            }
        });
    }

    Path file(String name) {
        return dir.resolve(name);
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        process.waitFor(10, TimeUnit.SECONDS);
    }
}
