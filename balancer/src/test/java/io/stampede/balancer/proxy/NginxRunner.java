package io.stampede.balancer.proxy;

import java.io.File;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A private nginx for differential tests: its own prefix directory, one worker, no master, no
 * daemon, listening on a free loopback port, stopped (and its directory removed) on close.
 */
final class NginxRunner implements AutoCloseable {
    private final Process process;
    private final Path dir;
    final int port;

    /** The nginx binary, or null when nginx is not installed. */
    static Path binary() {
        for (String candidate : new String[] {"/usr/sbin/nginx", "/usr/local/sbin/nginx", "/usr/local/nginx/sbin/nginx"}) {
            if (Files.isExecutable(Path.of(candidate))) {
                return Path.of(candidate);
            }
        }
        for (String entry : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            Path p = Path.of(entry, "nginx");
            if (Files.isExecutable(p)) {
                return p;
            }
        }
        return null;
    }

    /**
     * @param upstream the body of the {@code upstream backend} block
     * @param location extra directives for {@code location /}
     */
    NginxRunner(String upstream, String location) throws IOException {
        this(port -> "  upstream backend {\n" + upstream + "\n  }\n"
                + "  server {\n    listen 127.0.0.1:" + port + ";\n"
                + "    location / {\n      proxy_pass http://backend;\n      proxy_http_version 1.1;\n"
                + "      proxy_set_header Connection \"\";\n" + location + "\n    }\n  }\n");
    }

    /**
     * An nginx with whole blocks of its own.
     *
     * @param upstreams upstream blocks
     * @param server the body of the one {@code server} block, after its {@code listen}
     */
    static NginxRunner withServer(String upstreams, String server) throws IOException {
        return new NginxRunner(port -> upstreams + "\n  server {\n    listen 127.0.0.1:" + port + ";\n" + server + "\n  }\n");
    }

    /** An nginx with an http block of the test's own, given the port it listens on. */
    static NginxRunner withHttp(java.util.function.IntFunction<String> http) throws IOException {
        return new NginxRunner(http);
    }

    /** As {@link #withServer}, listening with {@code ssl}: the server body names its certificate. */
    static NginxRunner withSslServer(String upstreams, String server) throws IOException {
        return new NginxRunner(port -> upstreams + "\n  server {\n    listen 127.0.0.1:" + port + " ssl;\n" + server + "\n  }\n");
    }

    /**
     * As {@link #withServer}, with parameters after the listen address: {@code http2} for h2c
     * with prior knowledge, {@code ssl http2} for h2 by ALPN.
     */
    static NginxRunner withListen(String parameters, String server) throws IOException {
        return new NginxRunner(port -> "\n  server {\n    listen 127.0.0.1:" + port + " " + parameters + ";\n" + server + "\n  }\n");
    }

    /** An nginx run from a whole nginx.conf of the test's (which names its own pid, logs and temp paths under {@code dir}). */
    static NginxRunner fromFile(Path dir, Path conf, int port) throws IOException {
        return new NginxRunner(dir, conf, port);
    }

    private NginxRunner(Path dir, Path conf, int port) throws IOException {
        this.dir = dir;
        this.port = port;
        Files.createDirectories(dir.resolve("tmp"));
        this.process = new ProcessBuilder(binary().toString(), "-p", dir.toString(), "-c", conf.toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("stdout.log").toFile()).start();
        PeerProcess.awaitListening(process, port, "nginx", () -> Files.readString(dir.resolve("stdout.log"))
                + (Files.exists(dir.resolve("error.log")) ? Files.readString(dir.resolve("error.log")) : ""));
    }

    private NginxRunner(java.util.function.IntFunction<String> http) throws IOException {
        this.dir = Files.createTempDirectory("stampede-nginx");
        Files.createDirectories(dir.resolve("tmp"));
        this.port = PeerProcess.freePort();
        String conf = "worker_processes 1;\ndaemon off;\nmaster_process off;\n"
                + "error_log " + dir.resolve("error.log") + " info;\npid " + dir.resolve("nginx.pid") + ";\n"
                + "events { worker_connections 1024; }\n"
                + "http {\n  access_log off;\n"
                + "  client_body_temp_path " + dir.resolve("tmp") + ";\n  proxy_temp_path " + dir.resolve("tmp") + ";\n"
                + "  fastcgi_temp_path " + dir.resolve("tmp") + ";\n  uwsgi_temp_path " + dir.resolve("tmp") + ";\n"
                + "  scgi_temp_path " + dir.resolve("tmp") + ";\n"
                + http.apply(port) + "}\n";
        Files.writeString(dir.resolve("nginx.conf"), conf);
        this.process = new ProcessBuilder(binary().toString(), "-p", dir.toString(), "-c", dir.resolve("nginx.conf").toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("stdout.log").toFile()).start();
        PeerProcess.awaitListening(process, port, "nginx", () -> Files.readString(dir.resolve("stdout.log")) + Files.readString(dir.resolve("error.log")));
    }

    InetSocketAddress address() {
        return new InetSocketAddress("127.0.0.1", port);
    }

    String errorLog() throws IOException {
        return Files.readString(dir.resolve("error.log"));
    }

    @Override
    public void close() throws IOException {
        PeerProcess.stop(process, dir);
    }
}
