package io.stampede.balancer.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.stampede.balancer.config.ConfigLoader;
import io.stampede.balancer.config.ProxyConfig;
import io.stampede.balancer.config.nginx.NginxConfigs;
import io.stampede.common.yaml.ConfigException;
import java.io.IOException;
import java.io.InputStream;
import java.io.StringReader;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real-world nginx.conf files (src/test/resources/nginx-corpus), each run unchanged by a real nginx
 * and by Stampede (read as nginx.conf, and again from the YAML {@code stampede config convert}
 * prints), with the same requests sent to all three: every answer must be the same.
 */
class NginxConfCorpusTest {
    @TempDir
    Path dir;
    private TestBackends backends;
    private WebSocketBackends ws;

    @BeforeEach
    void start() throws Exception {
        backends = new TestBackends("a", "b", "c");
        for (String name : List.of("a", "b", "c")) {
            backends.on(name, seen -> new TestBackends.Action(200, 0, false,
                    name + " " + seen.uri() + " site=" + seen.header("x-site") + " tier=" + seen.header("x-tier")
                            + " host=" + seen.header("host")));
        }
        ws = new WebSocketBackends("w");
    }

    @AfterEach
    void stop() {
        backends.close();
        ws.close();
    }

    /** Copies the corpus with its placeholders filled in for a run on {@code port}; returns the main file. */
    private Path render(String name, Path into, int port) throws IOException {
        Path source = Path.of("src/test/resources/nginx-corpus");
        Files.createDirectories(into.resolve("conf.d"));
        Function<String, String> fill = t -> t.replace("@DIR@", into.toString()).replace("@PORT@", String.valueOf(port))
                .replace("@A@", backends.address("a")).replace("@B@", backends.address("b"))
                .replace("@C@", backends.address("c")).replace("@WS@", ws.address("w"));
        try (var files = Files.walk(source)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                Path to = into.resolve(source.relativize(f).toString());
                Files.createDirectories(to.getParent());
                Files.writeString(to, fill.apply(Files.readString(f)));
            }
        }
        return into.resolve(name);
    }

    /**
     * Sends {@code requests} to nginx, to Stampede on the nginx.conf and to Stampede on the converted
     * YAML, checks that all three answer the same, and returns nginx's answers.
     */
    private List<String> threeWays(String name, Function<InetSocketAddress, List<String>> requests) throws Exception {
        Assumptions.assumeTrue(NginxRunner.binary() != null, "nginx is not installed");
        List<List<String>> out = new ArrayList<>();
        int port = PeerProcess.freePort();
        Path nginxDir = dir.resolve("nginx");
        try (NginxRunner nginx = NginxRunner.fromFile(nginxDir, render(name, nginxDir, port), port)) {
            out.add(requests.apply(nginx.address()));
        }
        for (boolean viaYaml : List.of(false, true)) {
            Path ours = dir.resolve(viaYaml ? "yaml" : "ours");
            int p = PeerProcess.freePort();
            Path conf = render(name, ours, p);
            List<String> notes = new ArrayList<>();
            ProxyConfig config = viaYaml
                    ? ConfigLoader.parse("converted.yaml", new StringReader(NginxConfigs.yaml(conf, false, notes::add)))
                    : ConfigLoader.load(conf, false, notes::add);
            assertThat(notes).as("notes name the file and line").allMatch(n -> n.matches("(?s).*\\.conf:\\d+: .*"));
            SplittableRandom random = new SplittableRandom(1);
            ProxyServer server = new ProxyServer(config, () -> 1000, random::nextLong);
            server.start();
            try {
                backends.drain();
                out.add(requests.apply(server.addresses().get(0)));
            } finally {
                server.close();
            }
        }
        assertThat(out.get(1)).as("Stampede on the nginx.conf").isEqualTo(out.get(0));
        assertThat(out.get(2)).as("Stampede on the converted YAML").isEqualTo(out.get(0));
        return out.get(0);
    }

    /** {@link ResponseReader#summary}, with an I/O failure as an answer of its own. */
    static String ask(InetSocketAddress at, String raw) {
        try {
            return ResponseReader.summary(at, raw).replace(":" + at.getPort() + "/", ":PORT/");
        } catch (IOException e) {
            return "error " + e.getMessage();
        }
    }

    private static String get(String path, String host, String... headers) {
        StringBuilder b = new StringBuilder("GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\n");
        for (String h : headers) {
            b.append(h).append("\r\n");
        }
        return b.append("Connection: close\r\n\r\n").toString();
    }

    @Test
    void aLoadBalancerWithAnInclude() throws Exception {
        List<String> nginxs = threeWays("load-balancer.conf", at -> {
            List<String> answers = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                answers.add(ask(at, get("/x" + i, "app.example.com")));
            }
            answers.add(ask(at, get("/v2/orders?id=1", "app.example.com")));
            answers.add(ask(at, get("/health", "app.example.com")));
            return answers;
        });
        assertThat(nginxs).contains("200 a /x0 site=app tier=null host=app.example.com", "200 b /x2 site=app tier=null host=app.example.com",
                "200 a /api/orders?id=1 site=app tier=null host=app.example.com", "200 up");
    }

    @Test
    void anApiGatewayWithLimitsAMapAndRegexLocations() throws Exception {
        List<String> nginxs = threeWays("api-gateway.conf", at -> {
            List<String> answers = new ArrayList<>();
            answers.add(ask(at, get("/api/users/7", "gw")));
            answers.add(ask(at, get("/api/users/7", "gw", "X-Tier: gold")));
            answers.add(ask(at, get("/api/users/7", "gw", "X-Tier: platinum")));
            answers.add(ask(at, get("/api/orders/12", "gw")));
            answers.add(ask(at, get("/api/orders/12", "gw")));
            answers.add(ask(at, get("/api/orders/x", "gw")));
            answers.add(ask(at, get("/api/version", "gw")));
            answers.add(ask(at, get("/elsewhere?q=1", "Gw.Example")));
            for (int i = 0; i < 4; i++) {
                answers.add(ask(at, get("/api/login", "gw")));
            }
            return answers;
        });
        assertThat(nginxs).contains("200 a /api/users/7 site=null tier=paid host=users", "404", "200 v3",
                "301 -> https://gw.example/elsewhere?q=1", "429");
    }

    @Test
    void aSiteOfRewritesInternalLocationsAndErrorPages() throws Exception {
        List<String> nginxs = threeWays("rewrites.conf", at -> List.of(
                ask(at, get("/legacy/a?k=1", "shop.example")),
                ask(at, get("/esc/a%20b", "shop.example")),
                ask(at, get("/crlf/%0d%0aX:y", "shop.example")),
                ask(at, get("/q/a%3Fb", "shop.example")),
                ask(at, get("/private/x", "shop.example")),
                ask(at, get("/dl/x", "shop.example")),
                ask(at, get("/forbidden/", "shop.example")),
                ask(at, get("/sorry", "shop.example")),
                ask(at, get("/api?x=1", "shop.example")),
                ask(at, get("/brk/", "shop.example")),
                ask(at, get("/noflag/", "shop.example")),
                ask(at, get("/retfirst/", "shop.example")),
                ask(at, get("/other", "shop.example"))));
        assertThat(nginxs).contains("200 new /new/a k=1 /legacy/a?k=1", "404", "200 private /private/x",
                "403 sorry from shop.example");
    }

    /** A WebSocket handshake with a given Host, one text message, and its echo, over a raw socket. */
    static String webSocket(InetSocketAddress at, String host) {
        try (Socket s = new Socket()) {
            s.connect(at, 5000);
            s.setSoTimeout(10_000);
            s.getOutputStream().write(("GET /ws HTTP/1.1\r\nHost: " + host + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
                    .getBytes(StandardCharsets.ISO_8859_1));
            InputStream in = s.getInputStream();
            StringBuilder head = new StringBuilder();
            while (!head.toString().endsWith("\r\n\r\n")) {
                int c = in.read();
                if (c < 0) {
                    return "closed";
                }
                head.append((char) c);
            }
            if (!head.toString().startsWith("HTTP/1.1 101")) {
                return head.substring(9, 12);
            }
            byte[] payload = "hi".getBytes(StandardCharsets.ISO_8859_1);
            byte[] mask = {1, 2, 3, 4};
            byte[] frame = new byte[6 + payload.length];
            frame[0] = (byte) 0x81;
            frame[1] = (byte) (0x80 | payload.length);
            System.arraycopy(mask, 0, frame, 2, 4);
            for (int i = 0; i < payload.length; i++) {
                frame[6 + i] = (byte) (payload[i] ^ mask[i % 4]);
            }
            s.getOutputStream().write(frame);
            int b0 = in.read();
            int len = in.read() & 0x7f;
            return "101 " + (b0 == 0x81 ? "text " : "frame " + b0 + " ") + new String(in.readNBytes(len), StandardCharsets.ISO_8859_1);
        } catch (IOException e) {
            return "error " + e.getMessage();
        }
    }

    @Test
    void aWebSocketRouteAndVirtualHosts() throws Exception {
        List<String> nginxs = threeWays("websocket-vhosts.conf", at -> List.of(
                webSocket(at, "live.example.com"),
                ask(at, get("/", "live.example.com")),
                ask(at, get("/ws", "www.example.com")),
                ask(at, get("/", "shop.example.org")),
                ask(at, get("/a?b=1", "example.com")),
                ask(at, get("/", "unknown.test"))));
        assertThat(nginxs).contains("101 text w:hi", "301 -> http://www.example.com/a?b=1",
                "200 a / site=www tier=null host=site");
    }

    @Test
    void unsupportedDirectivesAreErrorsNamingFileAndLineUnlessLenient() throws Exception {
        Path conf = dir.resolve("bad.conf");
        Files.writeString(conf, "events {}\nhttp {\n  server {\n    listen 127.0.0.1:8080;\n    location / {\n"
                + "      add_header X-A b;\n      proxy_pass http://127.0.0.1:9;\n    }\n  }\n}\n");
        assertThatThrownBy(() -> ConfigLoader.load(conf, false, n -> { })).isInstanceOf(ConfigException.class)
                .hasMessageContaining(conf + ":6: unsupported directive \"add_header\"").hasMessageContaining("--lenient");
        List<String> notes = new ArrayList<>();
        ProxyConfig c = ConfigLoader.load(conf, true, notes::add);
        assertThat(c.locate("/").orElseThrow().upstream()).isEqualTo("127.0.0.1:9");
        assertThat(notes).anyMatch(n -> n.startsWith("warning: " + conf + ":6: unsupported directive \"add_header\""));
        // A value the loader refuses names the nginx.conf line too.
        Files.writeString(conf, "http {\n  server {\n    listen 127.0.0.1:8080;\n    location / {\n      proxy_pass http://127.0.0.1:9;\n"
                + "      proxy_read_timeout soon;\n    }\n  }\n}\n");
        assertThatThrownBy(() -> ConfigLoader.load(conf, false, n -> { })).hasMessageContaining(conf + ":6:")
                .hasMessageContaining("proxy_read_timeout");
        // And a syntax error.
        Files.writeString(conf, "http {\n  server {\n    listen 127.0.0.1:8080\n  }\n");
        assertThatThrownBy(() -> ConfigLoader.load(conf, false, n -> { })).hasMessageContaining(conf + ":4: unexpected \"}\"");
        // Lines a backslash continues, in a quoted string and in a bare word, still count.
        Files.writeString(conf, "http {\n  server {\n    listen 127.0.0.1:8080;\n    return 200 \"a\\\nb\";\n"
                + "    set $x y\\\nz;\n  }\n}\n}\n");
        assertThatThrownBy(() -> ConfigLoader.load(conf, false, n -> { })).hasMessageContaining(conf + ":10: unexpected \"}\"");
        // An escaped $ starts no ${variable}: the brace opens a block, and nginx -t refuses the
        // line too ("directive "return" is not terminated by ";"").
        Files.writeString(conf, "http {\n  server {\n    listen 127.0.0.1:8080;\n    location / { return 200 a\\${b}; }\n  }\n}\n");
        assertThatThrownBy(() -> ConfigLoader.load(conf, false, n -> { })).hasMessageContaining(conf + ":4: unexpected \"}\"");
        Files.writeString(conf, "http {\n  server {\n    listen 127.0.0.1:8080;\n    location / { return 200 a${uri}c; }\n  }\n}\n");
        assertThat(ConfigLoader.load(conf, false, n -> { }).locate("/").orElseThrow().ret().text()
                .render(name -> name.equals("uri") ? "/x" : null)).isEqualTo("a/xc");
    }

    @Test
    void theConvertedYamlReadsBackAsItWasWritten() throws Exception {
        Path conf = render("api-gateway.conf", dir.resolve("c"), 8080);
        String yaml = NginxConfigs.yaml(conf, false, n -> { });
        assertThat(yaml).contains("servers:", "limit_req_zone:", "map:", "\"~ ^/api/orders/\\\\d+$\":", "return: 301 https://$host$request_uri");
        ProxyConfig fromYaml = ConfigLoader.parse("converted.yaml", new StringReader(yaml));
        ProxyConfig fromConf = ConfigLoader.load(conf, false, n -> { });
        assertThat(fromYaml.upstreams()).isEqualTo(fromConf.upstreams());
        assertThat(fromYaml.listen()).isEqualTo(fromConf.listen());
        assertThat(fromYaml.limitReqZones()).isEqualTo(fromConf.limitReqZones());
        assertThat(Map.copyOf(fromYaml.maps()).keySet()).isEqualTo(fromConf.maps().keySet());
    }

    @Test
    void theCommandsCheckAndConvertAnNginxConf() throws Exception {
        Path conf = render("load-balancer.conf", dir.resolve("cli"), 8080);
        java.io.StringWriter out = new java.io.StringWriter();
        java.io.StringWriter err = new java.io.StringWriter();
        picocli.CommandLine check = new picocli.CommandLine(new io.stampede.balancer.ProxyCommand());
        check.setOut(new java.io.PrintWriter(out)).setErr(new java.io.PrintWriter(err));
        assertThat(check.execute("-t", "-c", conf.toString())).as(err.toString()).isZero();
        assertThat(out.toString()).contains("test is successful");
        assertThat(err.toString()).contains("load-balancer.conf:15: \"sendfile\" skipped", "upstreams-app.conf:2: \"zone\" skipped");
        java.io.StringWriter yaml = new java.io.StringWriter();
        picocli.CommandLine convert = new picocli.CommandLine(new io.stampede.balancer.ConfigCommand());
        convert.setOut(new java.io.PrintWriter(yaml)).setErr(new java.io.PrintWriter(new java.io.StringWriter()));
        assertThat(convert.execute("convert", conf.toString())).isZero();
        assertThat(yaml.toString()).startsWith("# converted from ").contains("upstreams:\n  app:\n", "servers:\n",
                "  - listen:\n      - 127.0.0.1:8080", "proxy_pass: http://app/api/");
        // A broken file: the check fails as nginx -t does, naming the line.
        Files.writeString(conf, Files.readString(conf).replace("proxy_pass http://app;", "proxy_pass http://app"));
        err.getBuffer().setLength(0);
        assertThat(check.execute("-t", "-c", conf.toString())).isEqualTo(1);
        assertThat(err.toString()).contains("load-balancer.conf:").contains("test failed");
    }

    @Test
    void includeGlobsWalkDirectoriesSortedAndSkipHiddenFiles() throws Exception {
        Path root = dir.resolve("g");
        for (String[] f : new String[][] {{"sites/b/up.conf", "upstream b { server 127.0.0.1:2; }"},
                {"sites/a/up.conf", "upstream a { server 127.0.0.1:1; }"}, {"sites/.old/up.conf", "upstream old { server 127.0.0.1:3; }"},
                {"sites/a/.swp.conf", "this is not nginx"}}) {
            Files.createDirectories(root.resolve(f[0]).getParent());
            Files.writeString(root.resolve(f[0]), f[1]);
        }
        Path conf = root.resolve("nginx.conf");
        Files.writeString(conf, "http {\n  include sites/*/*.conf;\n  server {\n    listen 127.0.0.1:8080;\n"
                + "    location /a/ { proxy_pass http://a; }\n    location / { proxy_pass http://b; }\n  }\n}\n");
        ProxyConfig c = ConfigLoader.load(conf, false, n -> { });
        assertThat(c.upstreams().keySet()).containsExactlyInAnyOrder("a", "b");
    }

    @Test
    void pipelinedReturnsAreAnsweredInOrder() throws Exception {
        try (TestProxy proxy = new TestProxy("locations:\n  = /health:\n    return: 200 ok\n")) {
            String one = "GET /health HTTP/1.1\r\nHost: h\r\n\r\n";
            assertThat(ResponseReader.exchange(proxy.address, one + one + one.replace("\r\n\r\n", "\r\nConnection: close\r\n\r\n"),
                    List.of(false, false, false))).containsExactly("200 ok", "200 ok", "200 ok");
        }
    }

    @Test
    void logFormatStringsAreJoinedAsNginxJoinsThem() throws Exception {
        Path conf = dir.resolve("log.conf");
        Files.writeString(conf, "http {\n  log_format main escape=json '{\"s\":'\n      '$status,\"m\":\"$request_method\"}';\n"
                + "  access_log " + dir.resolve("a.log") + " main;\n  server {\n    listen 127.0.0.1:8080;\n"
                + "    location / { return 204; }\n  }\n}\n");
        ProxyConfig c = ConfigLoader.load(conf, false, n -> { });
        assertThat(c.accessFormat().name()).isEqualTo("main");
        io.stampede.balancer.log.AccessRecord r = new io.stampede.balancer.log.AccessRecord();
        r.status = 204;
        r.vars = name -> name.equals("request_method") ? "GET" : null;
        assertThat(c.accessFormat().line(r)).isEqualTo("{\"s\":204,\"m\":\"GET\"}");
    }
}
