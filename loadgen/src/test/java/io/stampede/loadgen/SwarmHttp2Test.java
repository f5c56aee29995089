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
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The swarm speaking HTTP/2 to a real nginx (h2 by ALPN and h2c): users share the connections
 * asked for, every request is a stream nginx logs as HTTP/2.0, a GOAWAY loses no request, a
 * stream given up is reset (nginx logs 499) while its connection goes on, and a scenario with
 * log-ins and captures runs unchanged over HTTP/2.
 */
class SwarmHttp2Test {
    /** Each line: protocol, connection serial number, requests on it so far, status, method, URI and seconds taken. */
    private static final String LOG_FORMAT = "  log_format h2 '$server_protocol $connection $connection_requests $status $request_method $uri $request_time';\n";

    @TempDir
    static Path dir;
    static MarketApi api;
    static MarketApi.Instance plain;
    static MarketApi.Instance http1OverTls;

    @BeforeAll
    static void start() throws Exception {
        Certificates.Issued cert = Certificates.selfSigned(List.of("localhost", "127.0.0.1"));
        cert.write(dir.resolve("server.crt"), dir.resolve("server.key"));
        MarketData.Options o = new MarketData.Options(20, 1, 10, 1000, Duration.ofMinutes(5), Duration.ofDays(1));
        api = new MarketApi(MarketData.create(o, "h2-secret-0123456789abcd".getBytes(StandardCharsets.UTF_8), Clock.systemUTC(),
                new Random(5)), 1);
        plain = api.start(new ApiSettings("127.0.0.1", 0, null, 64, Duration.ZERO, 256, false));
        http1OverTls = api.start(new ApiSettings("127.0.0.1", 0, null, 64, Duration.ZERO, 256, false),
                SslContextBuilder.forServer(cert.key(), cert.certificate()).build());
    }

    @AfterAll
    static void stop() {
        api.close();
    }

    private static String tlsListen() {
        return "    listen 127.0.0.1:PORT ssl http2;\n    ssl_certificate " + dir.resolve("server.crt") + ";\n"
                + "    ssl_certificate_key " + dir.resolve("server.key") + ";\n";
    }

    private static SwarmEndToEndTest.Run run(int expectedCode, String... args) {
        SwarmEndToEndTest.Run r = swarm(args);
        assertThat(r.code()).as("exit code; out:%n%s%nerr:%n%s", r.out(), r.err()).isEqualTo(expectedCode);
        return r;
    }

    private static List<String[]> log(TestNginx nginx) throws Exception {
        List<String[]> lines = new ArrayList<>();
        for (String l : Files.readAllLines(nginx.file("access.log"))) {
            lines.add(l.split(" "));
        }
        return lines;
    }

    private static Map<String, Long> perConnection(List<String[]> log) {
        return log.stream().collect(Collectors.groupingBy(l -> l[1], Collectors.counting()));
    }

    @Test
    void h2ByAlpnUsersShareTheConnectionsAskedFor() throws Exception {
        TestNginx.require("the swarm's HTTP/2 over TLS");
        try (TestNginx nginx = new TestNginx(dir, LOG_FORMAT + "  server {\n" + tlsListen()
                + "    keepalive_requests 1000000;\n    access_log DIR/access.log h2;\n"
                + "    location / { return 200 \"ok\\n\"; }\n  }")) {
            Path json = dir.resolve("h2.json");
            SwarmEndToEndTest.Run r = run(0, "https://localhost:" + nginx.port + "/", "--http2", "-c", "2", "-m", "8",
                    "-d", "1s", "--insecure", "--json", json.toString());
            assertThat(r.out()).contains("HTTP/2 (h2 by ALPN): 16 users share 2 connections");
            JsonNode s = JSON.readTree(json.toFile());
            List<String[]> log = log(nginx);
            assertThat(s.get("failures").asLong()).isZero();
            assertThat(s.get("requests").asLong()).isEqualTo(log.size()).isGreaterThan(100);
            assertThat(log).allSatisfy(l -> assertThat(l[0]).isEqualTo("HTTP/2.0"));
            assertThat(perConnection(log)).as("16 users on 2 connections").hasSize(2);
            assertThat(s.get("tls_handshakes").get("count").asLong()).as("a handshake per connection").isEqualTo(2);
        }
    }

    /**
     * nginx ends a connection with GOAWAY after keepalive_requests streams; the streams it did
     * not take are sent again on a new connection, so no request fails and none is lost.
     */
    @Test
    void h2cGoawayAfterKeepaliveRequestsLosesNoRequest() throws Exception {
        TestNginx.require("the swarm's HTTP/2 GOAWAY handling");
        try (TestNginx nginx = new TestNginx(dir, LOG_FORMAT + "  server {\n    listen 127.0.0.1:PORT http2;\n"
                // Fewer streams at a time than users: some wait in the client when each GOAWAY comes.
                + "    keepalive_requests 20;\n    http2_max_concurrent_streams 4;\n    access_log DIR/access.log h2;\n"
                + "    location / { return 200 \"ok\\n\"; }\n  }")) {
            Path json = dir.resolve("goaway.json");
            SwarmEndToEndTest.Run r = run(0, "http://127.0.0.1:" + nginx.port + "/", "--http2", "-c", "2", "-m", "8",
                    "-d", "1s", "--json", json.toString());
            assertThat(r.out()).contains("HTTP/2 (h2c, prior knowledge): 16 users share 2 connections");
            JsonNode s = JSON.readTree(json.toFile());
            List<String[]> log = log(nginx);
            assertThat(s.get("failures").asLong()).isZero();
            assertThat(s.get("requests").asLong()).isEqualTo(log.size()).isGreaterThan(100);
            Map<String, Long> per = perConnection(log);
            assertThat(per.values()).allSatisfy(n -> assertThat(n).isLessThanOrEqualTo(20));
            assertThat(per).hasSizeGreaterThanOrEqualTo(log.size() / 20);
        }
    }

    /**
     * A stream with no answer within --timeout is reset (nginx logs 499, client closed request)
     * and fails as a ReadTimeout; the other users' streams on the same connection go on.
     */
    @Test
    void aStreamGivenUpIsResetAndItsConnectionGoesOn() throws Exception {
        TestNginx.require("the swarm's HTTP/2 stream reset");
        try (ServerSocket silent = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress());
             TestNginx nginx = new TestNginx(dir, LOG_FORMAT + "  server {\n    listen 127.0.0.1:PORT http2;\n"
                     + "    access_log DIR/access.log h2;\n"
                     + "    location /hang { proxy_pass http://127.0.0.1:" + silent.getLocalPort() + "; }\n"
                     + "    location / { return 200 \"ok\\n\"; }\n  }")) {
            Path scenario = dir.resolve("hang.yaml");
            Files.writeString(scenario, "host: http://127.0.0.1:" + nginx.port + "\nhttp2: true\nusers:\n  U:\n"
                    + "    wait_time: constant(0)\n    tasks:\n      hang: {weight: 1, steps: [{get: /hang}]}\n"
                    + "      ok: {weight: 4, steps: [{get: /ok}]}\n");
            Path json = dir.resolve("hang.json");
            run(1, "-f", scenario.toString(), "-c", "1", "-u", "4", "-r", "100", "-t", "2s", "--headless", "--timeout", "300ms",
                    "--only-summary", "--json", json.toString());
            JsonNode s = JSON.readTree(json.toFile());
            Map<String, JsonNode> byName = new java.util.HashMap<>();
            s.get("endpoints").forEach(e -> byName.put(e.get("name").asText(), e));
            assertThat(byName.get("/hang").get("failures").asLong()).isEqualTo(byName.get("/hang").get("requests").asLong()).isPositive();
            assertThat(byName.get("/ok").get("failures").asLong()).isZero();
            assertThat(byName.get("/ok").get("requests").asLong()).isGreaterThan(10);
            assertThat(s.get("errors")).hasSize(1);
            assertThat(s.get("errors").get(0).get("error").asText()).isEqualTo("ReadTimeout: no response within 0.3s");
            List<String[]> log = log(nginx);
            assertThat(perConnection(log)).as("one connection throughout").hasSize(1);
            assertThat(log.stream().filter(l -> l[5].equals("/hang")))
                    .as("each stream is reset when given up: a 499 in nginx's log, ended well before the run")
                    .isNotEmpty().allSatisfy(l -> {
                        assertThat(l[3]).isEqualTo("499");
                        assertThat(Double.parseDouble(l[6])).isLessThan(1.0);
                    });
        }
    }

    /**
     * The seed scenario, unchanged but for --http2, through nginx terminating h2 in front of the
     * Market API: log-ins, captured tokens, JSON bodies and repeats all run as streams.
     */
    @Test
    void theSeedScenarioRunsOverHttp2() throws Exception {
        TestNginx.require("the seed scenario over HTTP/2");
        try (TestNginx nginx = new TestNginx(dir, LOG_FORMAT + "  server {\n" + tlsListen()
                + "    access_log DIR/access.log h2;\n"
                + "    location / { proxy_pass http://127.0.0.1:" + plain.port() + "; }\n  }")) {
            Path json = dir.resolve("seed.json");
            run(0, "-f", "../config/market-api.swarm.yaml", "-H", "https://localhost:" + nginx.port, "--http2", "--insecure",
                    "-u", "6", "-r", "100", "-t", "3s", "--headless", "--only-summary", "--json", json.toString());
            JsonNode s = JSON.readTree(json.toFile());
            assertThat(s.get("failures").asLong()).isZero();
            List<String[]> log = log(nginx);
            assertThat(s.get("requests").asLong()).isEqualTo(log.size());
            Function<String, Long> count = m -> log.stream().filter(l -> l[4].equals(m)).count();
            assertThat(count.apply("POST")).as("log-ins and refreshes").isGreaterThanOrEqualTo(6);
            assertThat(count.apply("GET")).as("authorised reads").isPositive();
            assertThat(log).allSatisfy(l -> {
                assertThat(l[0]).isEqualTo("HTTP/2.0");
                assertThat(l[3]).isEqualTo("200");
            });
            assertThat(perConnection(log)).as("users share one connection per event loop")
                    .hasSizeLessThanOrEqualTo(Runtime.getRuntime().availableProcessors());
        }
    }

    @Test
    void aServerWithoutHttp2SaysSoInTheFailures() throws Exception {
        Path json = dir.resolve("alpn.json");
        run(1, "https://127.0.0.1:" + http1OverTls.port() + "/healthz", "--http2", "-c", "1", "-m", "2", "-d", "1s",
                "--insecure", "--json", json.toString());
        JsonNode s = JSON.readTree(json.toFile());
        assertThat(s.get("errors")).hasSize(1);
        assertThat(s.get("errors").get(0).get("error").asText()).isEqualTo("HTTP2Error: the server does not speak HTTP/2 (ALPN chose nothing)");
    }

    @Test
    void http2FlagsOutOfPlaceAreUsageErrors() {
        SwarmEndToEndTest.Run r = swarm("http://127.0.0.1:1/", "-m", "4", "-d", "1s");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("-m/--max-concurrent-streams is for quick mode with --http2");
        r = swarm("-f", "../config/market-api.swarm.yaml", "-c", "4", "-t", "1s", "--headless");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("-c/--connections with -f is for --http2");
    }
}
