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
            Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-cp", System.getProperty("java.class.path"), ProxyMain.class.getName(), "-c", cfg.toString())
                    .redirectErrorStream(true).redirectOutput(log.toFile()).start();
            try {
                Pattern listening = Pattern.compile("listening on http://127.0.0.1:(\\d+)");
                int port = Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> {
                    Matcher m = listening.matcher(Files.readString(log));
                    return m.find() ? Integer.parseInt(m.group(1)) : 0;
                }, v -> v > 0);
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
}
