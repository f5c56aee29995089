package io.stampede.balancer;

import static org.assertj.core.api.Assertions.assertThat;

import io.stampede.common.Cli;
import org.awaitility.Awaitility;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class ProxyCommandTest {

    private static String[] run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cmd = Cli.configure(new CommandLine(new ProxyCommand()));
        cmd.setOut(new PrintWriter(out, true));
        cmd.setErr(new PrintWriter(err, true));
        int code = cmd.execute(args);
        return new String[] {String.valueOf(code), out.toString(), err.toString()};
    }

    /** {@code stampede proxy -c cfg} in a process of its own, its output in {@code log}. */
    private static Process startProxy(Path cfg, Path log) throws java.io.IOException {
        return new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), ProxyMain.class.getName(), "-c", cfg.toString())
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    /** The port the proxy says it listens on, once it does. */
    private static int listeningPort(Path log) {
        Pattern listening = Pattern.compile("listening on http://127.0.0.1:(\\d+)");
        return Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> {
            Matcher m = listening.matcher(Files.readString(log));
            return m.find() ? Integer.parseInt(m.group(1)) : 0;
        }, v -> v > 0);
    }

    @Test
    void testFlagChecksAConfigLikeNginxT(@TempDir Path dir) throws Exception {
        Path good = dir.resolve("good.yaml");
        Files.writeString(good, "locations:\n  /:\n    proxy_pass: http://api\nupstreams:\n  api:\n    servers: [127.0.0.1:8081]\n");
        String[] ok = run("-c", good.toString(), "-t");
        assertThat(ok[0]).isEqualTo("0");
        assertThat(ok[1]).contains("syntax is ok").contains("test is successful");

        Path bad = dir.resolve("bad.yaml");
        Files.writeString(bad, "locations:\n  /:\n    proxy_pass: http://api\nupstreams:\n  api:\n    servers: [\"127.0.0.1:8081 weight=-1\"]\n");
        String[] failed = run("-c", bad.toString(), "-t");
        assertThat(failed[0]).isEqualTo("1");
        assertThat(failed[2]).contains(bad + ":6: upstreams.api.servers[0]: weight=-1 (expected an integer >= 1)")
                .contains("test failed");
    }

    @Test
    void missingFileIsAClearError() {
        String[] r = run("-c", "/no/such/file.yaml");
        assertThat(r[0]).isEqualTo("1");
        assertThat(r[2]).contains("/no/such/file.yaml: no such file");
    }

    @Test
    void sigtermFinishesRequestsInFlightThenExitsZero(@TempDir Path dir) throws Exception {
        try (SlowBackend slow = new SlowBackend()) {
            Path cfg = dir.resolve("p.yaml");
            Files.writeString(cfg, "listen: 127.0.0.1:0\nlocations:\n  /:\n    proxy_pass: http://127.0.0.1:" + slow.port() + "\n");
            Path log = dir.resolve("proxy.log");
            Process p = startProxy(cfg, log);
            try {
                int port = listeningPort(log);
                HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
                CompletableFuture<HttpResponse<String>> inFlight = client.sendAsync(
                        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/slow")).timeout(Duration.ofSeconds(20)).build(),
                        HttpResponse.BodyHandlers.ofString());
                slow.awaitRequest();
                new ProcessBuilder("kill", "-TERM", String.valueOf(p.pid())).start().waitFor();
                HttpResponse<String> r;
                try {
                    r = inFlight.get(20, TimeUnit.SECONDS);
                } catch (java.util.concurrent.ExecutionException e) {
                    p.waitFor(15, TimeUnit.SECONDS);
                    throw new AssertionError("the request failed; proxy log:\n" + Files.readString(log), e);
                }
                assertThat(r.statusCode()).as("proxy log:%n%s", Files.readString(log)).isEqualTo(200);
                assertThat(r.body()).isEqualTo("slow\n");
                assertThat(p.waitFor(20, TimeUnit.SECONDS)).isTrue();
                assertThat(p.exitValue()).as("exit code; log:%n%s", Files.readString(log)).isZero();
                assertThat(Files.readString(log)).contains("stopped");
            } finally {
                p.destroyForcibly();
            }
        }
    }

    /** A backend that answers every request with its name. */
    private static com.sun.net.httpserver.HttpServer named(String name) throws java.io.IOException {
        com.sun.net.httpserver.HttpServer s = com.sun.net.httpserver.HttpServer.create(
                new java.net.InetSocketAddress("127.0.0.1", 0), 0);
        s.createContext("/", ex -> {
            byte[] body = name.getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(200, body.length);
            ex.getResponseBody().write(body);
            ex.close();
        });
        s.start();
        return s;
    }

    @Test
    void signalReloadAppliesAGoodConfigurationAndRefusesABadOne(@TempDir Path dir) throws Exception {
        com.sun.net.httpserver.HttpServer a = named("A");
        com.sun.net.httpserver.HttpServer b = named("B");
        try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            Path cfg = dir.resolve("p.yaml");
            Path pid = dir.resolve("proxy.pid");
            String head = "listen: 127.0.0.1:0\npid: " + pid + "\n";
            Files.writeString(cfg, head + "locations:\n  /:\n    proxy_pass: http://127.0.0.1:" + a.getAddress().getPort() + "\n");
            Path log = dir.resolve("proxy.log");
            Process p = startProxy(cfg, log);
            try {
                int port = listeningPort(log);
                assertThat(Files.readString(pid).trim()).isEqualTo(String.valueOf(p.pid()));
                HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
                java.util.concurrent.Callable<String> get = () -> client.send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + port + "/")).timeout(Duration.ofSeconds(10)).build(),
                        HttpResponse.BodyHandlers.ofString()).body();
                assertThat(get.call()).isEqualTo("A");

                // A mistake -s reload sees itself: nothing is sent.
                Files.writeString(cfg, head + "locations:\n  /:\n    proxy_pass: http://127.0.0.1:" + b.getAddress().getPort()
                        + "\n    proxy_read_timeout: soon\n");
                String[] refused = run("-s", "reload", "-c", cfg.toString());
                assertThat(refused[0]).isEqualTo("1");
                assertThat(refused[2]).contains("proxy_read_timeout");
                // One only the running proxy finds (a port in use): it keeps the old configuration.
                Files.writeString(cfg, "listen: [127.0.0.1:0, 127.0.0.1:" + taken.getLocalPort() + "]\npid: " + pid
                        + "\nlocations:\n  /:\n    proxy_pass: http://127.0.0.1:" + b.getAddress().getPort() + "\n");
                assertThat(run("-s", "reload", "-c", cfg.toString())[0]).isEqualTo("0");
                Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> Files.readString(log).contains("reload failed"));
                assertThat(get.call()).isEqualTo("A");

                // A broken file behind a plain SIGHUP (no -s to check it first): logged, nothing changes.
                Files.writeString(cfg, head + "locations: [\n");
                new ProcessBuilder("kill", "-HUP", String.valueOf(p.pid())).start().waitFor();
                Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> Files.readString(log).lines()
                        .filter(l -> l.contains("reload failed")).count() == 2);
                assertThat(get.call()).isEqualTo("A");

                Files.writeString(cfg, head + "locations:\n  /:\n    proxy_pass: http://127.0.0.1:" + b.getAddress().getPort() + "\n");
                assertThat(run("-s", "reload", "-c", cfg.toString())[0]).isEqualTo("0");
                Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> get.call().equals("B"));

                assertThat(run("-s", "quit", "-c", cfg.toString())[0]).isEqualTo("0");
                assertThat(p.waitFor(20, TimeUnit.SECONDS)).isTrue();
                assertThat(p.exitValue()).as("log:%n%s", Files.readString(log)).isZero();
                assertThat(pid).as("the pid file is removed at exit").doesNotExist();
                assertThat(run("-s", "reload", "-c", cfg.toString())[2]).contains("cannot read the pid file");
            } finally {
                p.destroyForcibly();
                a.stop(0);
                b.stop(0);
            }
        }
    }
}
