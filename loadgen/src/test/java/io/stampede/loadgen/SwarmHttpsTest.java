package io.stampede.loadgen;

import static io.stampede.loadgen.SwarmEndToEndTest.JSON;
import static io.stampede.loadgen.SwarmEndToEndTest.swarm;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.netty.handler.ssl.SslContextBuilder;
import io.stampede.api.ApiSettings;
import io.stampede.api.MarketApi;
import io.stampede.api.MarketData;
import io.stampede.common.tls.Certificates;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The swarm against https:// targets: trust, the failure causes, handshakes and resumption. */
class SwarmHttpsTest {
    @TempDir
    static Path dir;
    static MarketApi api;
    static MarketApi.Instance trusted;
    static MarketApi.Instance misnamed;
    static Certificates.Issued ca;
    static String lastOut;

    @BeforeAll
    static void start() throws Exception {
        ca = Certificates.authority("Swarm Test CA");
        Files.writeString(dir.resolve("ca.crt"), Certificates.pem(ca.certificate()));
        Certificates.signed(ca, "alice", List.of(), "EC", Duration.ofDays(1)).write(dir.resolve("alice.crt"), dir.resolve("alice.key"));
        Certificates.Issued good = Certificates.signed(ca, "localhost", List.of("localhost", "127.0.0.1"), "EC", Duration.ofDays(1));
        good.write(dir.resolve("server.crt"), dir.resolve("server.key"));
        Certificates.Issued other = Certificates.signed(ca, "other.example", List.of("other.example"), "EC", Duration.ofDays(1));
        MarketData.Options o = new MarketData.Options(20, 1, 10, 1000, Duration.ofMinutes(5), Duration.ofDays(1));
        api = new MarketApi(MarketData.create(o, "https-secret-0123456789".getBytes(StandardCharsets.UTF_8), Clock.systemUTC(),
                new Random(3)), 1);
        trusted = api.start(new ApiSettings("127.0.0.1", 0, null, 64, Duration.ZERO, 256, false),
                SslContextBuilder.forServer(good.key(), good.certificate()).build());
        misnamed = api.start(new ApiSettings("127.0.0.1", 0, null, 64, Duration.ZERO, 256, false),
                SslContextBuilder.forServer(other.key(), other.certificate()).build());
    }

    @AfterAll
    static void stop() {
        api.close();
    }

    private static JsonNode quick(String url, int expectedCode, String... flags) throws IOException {
        Path json = dir.resolve("q" + System.nanoTime() + ".json");
        String[] args = new String[flags.length + 7];
        args[0] = url;
        args[1] = "-c";
        args[2] = "3";
        args[3] = "-d";
        args[4] = "1s";
        args[5] = "--json";
        args[6] = json.toString();
        System.arraycopy(flags, 0, args, 7, flags.length);
        SwarmEndToEndTest.Run r = swarm(args);
        lastOut = r.out();
        assertThat(r.code()).as("exit code; out:%n%s%nerr:%n%s", r.out(), r.err()).isEqualTo(expectedCode);
        return JSON.readTree(json.toFile());
    }

    private static String onlyError(JsonNode summary) {
        assertThat(summary.get("errors")).hasSize(1);
        return summary.get("errors").get(0).get("error").asText();
    }

    @Test
    void loadsAnHttpsApiWhoseCaItTrustsWithOneHandshakePerUser() throws Exception {
        JsonNode s = quick("https://127.0.0.1:" + trusted.port() + "/healthz", 0, "--ca-cert", dir.resolve("ca.crt").toString());
        assertThat(s.get("requests").asLong()).isGreaterThan(10);
        assertThat(s.get("failures").asLong()).isZero();
        JsonNode tls = s.get("tls_handshakes");
        assertThat(tls.get("count").asLong()).as("keep-alive: one handshake per user").isEqualTo(3);
        assertThat(tls.get("resumed").asLong()).isZero();
        assertThat(tls.get("time_ms").get("max").asDouble()).isPositive();
        assertThat(lastOut).contains("TLS handshakes: 3 (0 resumed), time p50 ");
    }

    @Test
    void anUntrustedCertificateFailsEveryRequestWithItsCause() throws Exception {
        JsonNode s = quick("https://127.0.0.1:" + trusted.port() + "/healthz", 1);
        assertThat(s.get("requests").asLong()).isEqualTo(s.get("failures").asLong()).isPositive();
        assertThat(onlyError(s)).isEqualTo("SSLError: certificate verify failed: unable to get local issuer certificate");
        assertThat(s.has("tls_handshakes")).as("no handshake succeeded").isFalse();
    }

    @Test
    void aCertificateForAnotherNameFailsWithHostnameMismatch() throws Exception {
        JsonNode s = quick("https://localhost:" + misnamed.port() + "/healthz", 1, "--ca-cert", dir.resolve("ca.crt").toString());
        assertThat(onlyError(s)).isEqualTo("SSLError: certificate verify failed: Hostname mismatch, certificate is not valid for 'localhost'");
    }

    @Test
    void insecureTakesAnyCertificate() throws Exception {
        JsonNode s = quick("https://localhost:" + misnamed.port() + "/healthz", 0, "--insecure");
        assertThat(s.get("failures").asLong()).isZero();
    }

    @Test
    void httpsToAPlainHttpServerSaysSo() throws Exception {
        try (MarketApi plain = new MarketApi(MarketData.create(new MarketData.Options(1, 1, 1, 1, Duration.ofMinutes(5),
                Duration.ofDays(1)), "plain-secret-0123456789".getBytes(StandardCharsets.UTF_8), Clock.systemUTC(), new Random(1)), 1)) {
            MarketApi.Instance i = plain.start(new ApiSettings("127.0.0.1", 0, null, 8, Duration.ZERO, 16, false));
            JsonNode s = quick("https://127.0.0.1:" + i.port() + "/healthz", 1, "--insecure");
            assertThat(onlyError(s)).isEqualTo("SSLError: wrong version number (the server does not speak TLS)");
        }
    }

    @Test
    void badTlsFlagsAreOneClearLine() {
        SwarmEndToEndTest.Run r = swarm("https://127.0.0.1:1/", "-d", "1s", "--client-cert", dir.resolve("alice.crt").toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err().strip()).contains("--client-cert needs --client-key").doesNotContain("\n");
        r = swarm("https://127.0.0.1:1/", "-d", "1s", "--ca-cert", "/nonexistent/ca.pem");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err().strip()).contains("--ca-cert: ").contains("/nonexistent/ca.pem");
    }

    /**
     * Against nginx, which closes after every response (keepalive_requests 1) so every request
     * is a new handshake, and logs whether each resumed a session and whose certificate came:
     * its count of resumed handshakes must be ours, and every user after its first resumes.
     */
    @Test
    void resumptionCountsAgreeWithNginxsAndTheClientCertificateIsPresented() throws Exception {
        TestNginx.require("the swarm's TLS resumption");
        try (TestNginx nginx = new TestNginx(dir, "  log_format tls '$ssl_session_reused $ssl_client_s_dn';\n"
                + "  server {\n    listen 127.0.0.1:PORT ssl;\n"
                + "    ssl_certificate " + dir.resolve("server.crt") + ";\n    ssl_certificate_key " + dir.resolve("server.key") + ";\n"
                + "    ssl_protocols TLSv1.2 TLSv1.3;\n    ssl_session_cache shared:S:1m;\n"
                + "    ssl_client_certificate " + dir.resolve("ca.crt") + ";\n    ssl_verify_client on;\n"
                + "    keepalive_requests 1;\n    access_log DIR/access.log tls;\n"
                + "    location / { return 200 \"ok\\n\"; }\n  }")) {
            int port = nginx.port;
            Path run = nginx.dir;
            JsonNode s = quick("https://localhost:" + port + "/", 0, "--ca-cert", dir.resolve("ca.crt").toString(),
                    "--client-cert", dir.resolve("alice.crt").toString(), "--client-key", dir.resolve("alice.key").toString());
            List<String> log = Files.readAllLines(run.resolve("access.log"));
            long requests = s.get("requests").asLong();
            JsonNode tls = s.get("tls_handshakes");
            assertThat(log).hasSize((int) requests).allMatch(l -> l.endsWith(" CN=alice"));
            assertThat(tls.get("count").asLong()).as("a handshake per request").isEqualTo(requests);
            long resumedByNginx = log.stream().filter(l -> l.startsWith("r ")).count();
            assertThat(tls.get("resumed").asLong()).isEqualTo(resumedByNginx).isEqualTo(requests - 3);
        }
    }
}
