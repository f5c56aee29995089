package io.stampede.balancer.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.stampede.balancer.config.ConfigLoader;
import io.stampede.common.tls.Certificates;
import java.io.IOException;
import java.io.InputStream;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * HTTP/2 at the proxy as clients nobody here wrote see it: curl over h2c and over TLS with ALPN,
 * h2load's load, and python3-h2 at the frame level (many streams, rapid reset, a SETTINGS flood
 * whose answers are never read). Each test skips loudly when its tool is missing; .ci/run
 * installs them.
 */
class Http2OutsideToolsTest {
    @TempDir
    Path dir;
    private TestBackends backends;
    private ProxyServer server;
    private Path caFile;

    @BeforeEach
    void start() throws Exception {
        Certificates.Issued ca = Certificates.authority("Stampede Test CA");
        caFile = dir.resolve("ca.crt");
        Files.writeString(caFile, Certificates.pem(ca.certificate()));
        Certificates.signed(ca, "localhost", List.of("localhost", "127.0.0.1"), "EC", Duration.ofDays(2))
                .write(dir.resolve("proxy.crt"), dir.resolve("proxy.key"));
        backends = new TestBackends("a", "b");
        backends.on("a", s -> new TestBackends.Action(200, 0, false, "a " + s.method() + " " + s.uri()));
        backends.on("b", s -> new TestBackends.Action(200, 0, false, "b " + s.method() + " " + s.uri()));
        String yaml = "listen: [127.0.0.1:0 http2, 127.0.0.1:0 ssl http2]\n"
                + "ssl_certificate: " + dir.resolve("proxy.crt") + "\nssl_certificate_key: " + dir.resolve("proxy.key") + "\n"
                + "http2_max_resets: 100 30s\nhttp2_max_control_frames: 1000\nkeepalive_requests: 100000\n"
                + "locations:\n  /:\n    proxy_pass: http://pool\n"
                + "upstreams:\n  pool:\n    servers: [" + backends.address("a") + ", " + backends.address("b") + "]\n";
        AtomicLong seconds = new AtomicLong(1_000);
        SplittableRandom random = new SplittableRandom(3);
        server = new ProxyServer(ConfigLoader.parse(dir.resolve("proxy.yaml").toString(), new StringReader(yaml)),
                seconds::get, random::nextLong);
        server.start();
    }

    @AfterEach
    void stop() {
        server.close();
        backends.close();
    }

    private String h2c(String path) {
        return "http://127.0.0.1:" + server.addresses().get(0).getPort() + path;
    }

    private String h2(String path) {
        return "https://127.0.0.1:" + server.addresses().get(1).getPort() + path;
    }

    private static String tool(String name, String... candidates) {
        for (String c : candidates) {
            if (Files.isExecutable(Path.of(c))) {
                return c;
            }
        }
        System.err.println("SKIPPED Http2OutsideToolsTest: " + name + " is not installed (.ci/run installs it)");
        Assumptions.abort(name + " is not installed");
        return null;
    }

    /** Runs a command to its end (at most a minute) and returns its standard output; stderr goes to the test log. */
    private static String run(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        try (InputStream out = p.getInputStream()) {
            byte[] bytes = out.readAllBytes();
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).as(String.join(" ", command) + " ended").isTrue();
            return new String(bytes, StandardCharsets.UTF_8);
        } finally {
            p.destroyForcibly();
        }
    }

    @Test
    void curlGetsHttp2OverCleartextAndTlsAndHttp11WhenItAsks() throws Exception {
        String curl = tool("curl", "/usr/bin/curl", "/usr/local/bin/curl");
        assertThat(run(curl, "-sS", "--http2-prior-knowledge", "-w", "|%{http_version}", h2c("/c1")))
                .matches("[ab] GET /c1\\|2");
        assertThat(run(curl, "-sS", "--cacert", caFile.toString(), "--http2", "-w", "|%{http_version}", h2("/c2")))
                .matches("[ab] GET /c2\\|2");
        assertThat(run(curl, "-sS", "--cacert", caFile.toString(), "--http1.1", "-w", "|%{http_version}", h2("/c3")))
                .matches("[ab] GET /c3\\|1\\.1");
        assertThat(run(curl, "-sS", "--http1.1", "-d", "x=1", "-w", "|%{http_version}", h2c("/c4")))
                .matches("[ab] POST /c4\\|1\\.1");
    }

    @Test
    void h2loadRunsCleanOverCleartextAndTls() throws Exception {
        String h2load = tool("h2load (nghttp2-client)", "/usr/bin/h2load");
        for (String url : new String[] {h2c("/load"), h2(("/load"))}) {
            String out = run(h2load, "-n", "2000", "-c", "4", "-m", "10", url);
            Matcher m = Pattern.compile("requests: (\\d+) total, (\\d+) started, (\\d+) done, (\\d+) succeeded, (\\d+) failed")
                    .matcher(out);
            assertThat(m.find()).as(out).isTrue();
            assertThat(m.group(4)).as(url + "\n" + out).isEqualTo("2000");
            assertThat(m.group(5)).isEqualTo("0");
            assertThat(out).contains("status codes: 2000 2xx");
            if (url.startsWith("https")) {
                assertThat(out).contains("Application protocol: h2");
            }
        }
    }

    private static String python3WithH2() throws IOException, InterruptedException {
        String python = tool("python3", "/usr/bin/python3");
        Process p = new ProcessBuilder(python, "-c", "import h2").redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
            System.err.println("SKIPPED Http2OutsideToolsTest: python3-h2 is not installed (.ci/run installs it)");
            Assumptions.abort("python3-h2 is not installed");
        }
        return python;
    }

    private String probe(String python, String what) throws Exception {
        Path script = dir.resolve("h2_probe.py");
        try (InputStream in = getClass().getResourceAsStream("/h2/h2_probe.py")) {
            Files.write(script, in.readAllBytes());
        }
        return run(python, script.toString(), String.valueOf(server.addresses().get(0).getPort()), what).trim();
    }

    @Test
    void python3H2SeesEachStreamAnsweredAndTheFloodsRefused() throws Exception {
        String python = python3WithH2();
        com.fasterxml.jackson.databind.JsonNode streams = new com.fasterxml.jackson.databind.ObjectMapper()
                .readTree(probe(python, "streams"));
        List<String> bodies = new ArrayList<>();
        streams.get("bodies").forEach(b -> bodies.add(b.asText()));
        assertThat(streams.get("statuses").toString()).isEqualTo("[" + "\"200\",".repeat(9) + "\"200\"]");
        for (int i = 0; i < 10; i++) {
            assertThat(bodies.get(i)).matches("[ab] GET /probe/" + i);
        }

        com.fasterxml.jackson.databind.JsonNode reset = new com.fasterxml.jackson.databind.ObjectMapper()
                .readTree(probe(python, "rapid-reset"));
        assertThat(reset.get("goaway").asInt()).as("GOAWAY ENHANCE_YOUR_CALM after rapid resets: " + reset).isEqualTo(11);

        com.fasterxml.jackson.databind.JsonNode flood = new com.fasterxml.jackson.databind.ObjectMapper()
                .readTree(probe(python, "settings-flood"));
        assertThat(flood.get("sent").asLong()).as("closed before the flood ended").isLessThan(20_000_000L);
    }
}
