package io.stampede.balancer.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * WebSocket (and any Upgrade) through the proxy, with the JDK's WebSocket client and Netty's
 * WebSocket server: the switch, the relay both ways, closes, idle timeouts, and the open tunnel
 * holding its server for max_conns and least_conn; beside a real nginx for nginx's usual
 * configuration (the {@code map} of {@code $connection_upgrade}).
 */
class WebSocketTest {
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private WebSocketBackends backends;

    @AfterEach
    void stop() {
        if (backends != null) {
            backends.close();
        }
    }

    /** A connected client and what it received: text messages, then "closed" or "error". */
    private record Client(WebSocket socket, BlockingQueue<String> received) {
        String next() throws InterruptedException {
            String m = received.poll(10, TimeUnit.SECONDS);
            assertThat(m).as("a message within 10 s").isNotNull();
            return m;
        }
    }

    private Client connect(InetSocketAddress at) throws Exception {
        BlockingQueue<String> received = new LinkedBlockingQueue<>();
        WebSocket.Listener listener = new WebSocket.Listener() {
            private final StringBuilder text = new StringBuilder();

            @Override
            public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
                text.append(data);
                if (last) {
                    received.add(text.toString());
                    text.setLength(0);
                }
                ws.request(1);
                return null;
            }

            @Override
            public CompletionStage<?> onClose(WebSocket ws, int status, String reason) {
                received.add("closed");
                return null;
            }

            @Override
            public void onError(WebSocket ws, Throwable error) {
                received.add("error");
            }
        };
        WebSocket ws = http.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(5))
                .buildAsync(URI.create("ws://127.0.0.1:" + at.getPort() + "/ws"), listener).get(15, TimeUnit.SECONDS);
        return new Client(ws, received);
    }

    private static String upstream(String servers, String extra) {
        return "upstreams:\n  ws:\n" + extra + "    servers:\n" + servers;
    }

    @Test
    void aWebSocketNeedsNoConfigurationAndClosesBothSidesTogether() throws Exception {
        backends = new WebSocketBackends("a");
        try (TestProxy proxy = new TestProxy(upstream("      - " + backends.address("a") + "\n", "")
                + "locations:\n  /:\n    proxy_pass: http://ws\n")) {
            Client c = connect(proxy.address);
            assertThat(backends.handshakes).containsExactly("a upgrade=websocket connection=upgrade");
            for (int i = 0; i < 50; i++) {
                c.socket().sendText("m" + i, true).get(5, TimeUnit.SECONDS);
                assertThat(c.next()).isEqualTo("a:m" + i);
            }
            // The server ends it: the client's side closes too.
            c.socket().sendText("close", true).get(5, TimeUnit.SECONDS);
            assertThat(c.next()).isIn("closed", "error");
            await().atMost(Duration.ofSeconds(10)).until(() -> backends.open.get("a").get() == 0);
            // And the client ending it closes the server's side.
            Client d = connect(proxy.address);
            await().atMost(Duration.ofSeconds(10)).until(() -> backends.open.get("a").get() == 1);
            d.socket().abort();
            await().atMost(Duration.ofSeconds(10)).until(() -> backends.open.get("a").get() == 0);
        }
    }

    @Test
    void nginxsUsualMapConfigurationWorksHereAsInNginx() throws Exception {
        backends = new WebSocketBackends("a");
        String yaml = "map:\n  \"$http_upgrade $connection_upgrade\":\n    default: upgrade\n    \"''\": close\n"
                + upstream("      - " + backends.address("a") + "\n", "")
                + "locations:\n  /:\n    proxy_pass: http://ws\n    proxy_http_version: \"1.1\"\n"
                + "    proxy_set_header: {Upgrade: $http_upgrade, Connection: $connection_upgrade}\n";
        try (TestProxy proxy = new TestProxy(yaml)) {
            Client c = connect(proxy.address);
            c.socket().sendText("hi", true).get(5, TimeUnit.SECONDS);
            assertThat(c.next()).isEqualTo("a:hi");
            // A plain request through the same location: the map gives "close".
            assertThat(proxy.get("/ws").statusCode()).isEqualTo(400);
        }
        if (NginxRunner.binary() == null) {
            System.err.println("SKIPPED LOUDLY: nginx is not installed (apt-get install nginx); the nginx half of "
                    + "WebSocketTest.nginxsUsualMapConfigurationWorksHereAsInNginx did not run");
            Assumptions.abort("nginx is not installed");
        }
        try (NginxRunner nginx = NginxRunner.withServer("  map $http_upgrade $connection_upgrade { default upgrade; '' close; }\n"
                + "  upstream ws { server " + backends.address("a") + "; }",
                "    location / { proxy_pass http://ws; proxy_http_version 1.1;\n"
                + "      proxy_set_header Upgrade $http_upgrade; proxy_set_header Connection $connection_upgrade; }")) {
            Client c = connect(nginx.address());
            c.socket().sendText("hi", true).get(5, TimeUnit.SECONDS);
            assertThat(c.next()).isEqualTo("a:hi");
        }
        // Both handshakes reached the server the same way.
        assertThat(backends.handshakes).containsExactly("a upgrade=websocket connection=upgrade",
                "a upgrade=null connection=close", "a upgrade=websocket connection=upgrade");
    }

    @Test
    void proxySetHeaderCanTurnTheSwitchOff() throws Exception {
        backends = new WebSocketBackends("a");
        try (TestProxy proxy = new TestProxy(upstream("      - " + backends.address("a") + "\n", "")
                + "locations:\n  /:\n    proxy_pass: http://ws\n    proxy_set_header: {Upgrade: \"\"}\n")) {
            assertThatThrownBy(() -> connect(proxy.address)).isInstanceOf(ExecutionException.class);
            assertThat(backends.handshakes).singleElement().asString().startsWith("a upgrade=null");
        }
    }

    @Test
    void anOpenTunnelHoldsItsServerForMaxConnsAndLeastConn() throws Exception {
        backends = new WebSocketBackends("a", "b");
        String servers = "      - " + backends.address("a") + " max_conns=1\n      - " + backends.address("b") + " max_conns=1\n";
        try (TestProxy proxy = new TestProxy(upstream(servers, "    balance: least_conn\n")
                + "locations:\n  /:\n    proxy_pass: http://ws\n")) {
            Client one = connect(proxy.address);
            Client two = connect(proxy.address);
            assertThat(backends.open.get("a").get()).isEqualTo(1);
            assertThat(backends.open.get("b").get()).isEqualTo(1);
            // Both servers are at max_conns while their tunnels are open: a third has nowhere to go.
            assertThatThrownBy(() -> connect(proxy.address)).isInstanceOf(ExecutionException.class);
            one.socket().sendText("who", true).get(5, TimeUnit.SECONDS);
            String firstOn = one.next().substring(0, 1);
            one.socket().abort();
            await().atMost(Duration.ofSeconds(10)).until(() -> backends.open.get(firstOn).get() == 0);
            // Its server is free again (least_conn sees 0 against 1): the next tunnel goes there.
            Client three = connect(proxy.address);
            three.socket().sendText("who", true).get(5, TimeUnit.SECONDS);
            assertThat(three.next()).startsWith(firstOn + ":");
            two.socket().abort();
            three.socket().abort();
        }
    }

    @Test
    void leastConnSendsNewTunnelsToTheServerWithFewestOpen() throws Exception {
        backends = new WebSocketBackends("a", "b");
        String servers = "      - " + backends.address("a") + "\n      - " + backends.address("b") + "\n";
        try (TestProxy proxy = new TestProxy("admin: {listen: 127.0.0.1:0}\n" + upstream(servers, "    balance: least_conn\n")
                + "locations:\n  /:\n    proxy_pass: http://ws\n")) {
            java.util.List<Client> onA = new java.util.ArrayList<>();
            for (int i = 0; i < 4; i++) {
                Client c = connect(proxy.address);
                c.socket().sendText("who", true).get(5, TimeUnit.SECONDS);
                if (c.next().startsWith("a:")) {
                    onA.add(c);
                }
            }
            assertThat(onA).hasSize(2);
            // /status counts the open tunnels as each server's active connections.
            String status = proxy.client.send(java.net.http.HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                    + proxy.server.adminAddress().orElseThrow().getPort() + "/status")).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString()).body();
            assertThat(status.replaceAll("\\s", "")).contains("\"active\":2").doesNotContain("\"active\":0");
            onA.forEach(c -> c.socket().abort());
            await().atMost(Duration.ofSeconds(10)).until(() -> backends.open.get("a").get() == 0);
            // a has none open, b two: both new tunnels go to a (round robin would send one to b).
            for (int i = 0; i < 2; i++) {
                Client c = connect(proxy.address);
                c.socket().sendText("who", true).get(5, TimeUnit.SECONDS);
                assertThat(c.next()).startsWith("a:");
            }
        }
    }

    @Test
    void aSilentTunnelClosesAfterProxyReadTimeout() throws Exception {
        backends = new WebSocketBackends("a");
        try (TestProxy proxy = new TestProxy(upstream("      - " + backends.address("a") + "\n", "")
                + "locations:\n  /:\n    proxy_pass: http://ws\n    proxy_read_timeout: 1s\n")) {
            Client c = connect(proxy.address);
            // Traffic keeps it open past the timeout (messages back to back for longer than it)...
            long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(1600);
            for (int i = 0; System.nanoTime() < until; i++) {
                c.socket().sendText("k" + i, true).get(5, TimeUnit.SECONDS);
                assertThat(c.next()).isEqualTo("a:k" + i);
            }
            // ...and silence closes both sides.
            assertThat(c.received().poll(15, TimeUnit.SECONDS)).isIn("closed", "error");
            await().atMost(Duration.ofSeconds(10)).until(() -> backends.open.get("a").get() == 0);
        }
    }

    /**
     * A server of raw sockets: a request with Upgrade gets a 101 naming the same protocol, with
     * HELLO in the same write, then its bytes echoed; any other gets "200 ok" on a kept connection.
     * The heads it read are kept.
     */
    private static final class RawUpgradeServer implements AutoCloseable {
        final ServerSocket server = new ServerSocket(0, 5, InetAddress.getLoopbackAddress());
        final BlockingQueue<String> heads = new LinkedBlockingQueue<>();
        /** Counted down when a connection the server served has ended. */
        final java.util.concurrent.CountDownLatch ended = new java.util.concurrent.CountDownLatch(1);

        RawUpgradeServer() throws java.io.IOException {
            Thread t = new Thread(() -> {
                while (!server.isClosed()) {
                    try {
                        Socket s = server.accept();
                        Thread c = new Thread(() -> serve(s));
                        c.setDaemon(true);
                        c.start();
                    } catch (Exception e) {
                        return;
                    }
                }
            });
            t.setDaemon(true);
            t.start();
        }

        private void serve(Socket s) {
            try (s) {
                InputStream in = s.getInputStream();
                OutputStream out = s.getOutputStream();
                while (true) {
                    String head = readHead(in);
                    if (head.isEmpty()) {
                        return;
                    }
                    heads.add(head);
                    String upgrade = null;
                    for (String line : head.split("\r\n")) {
                        if (line.toLowerCase(java.util.Locale.ROOT).startsWith("upgrade:")) {
                            upgrade = line.substring(8).trim();
                        }
                    }
                    if (upgrade == null) {
                        out.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok".getBytes(StandardCharsets.ISO_8859_1));
                        out.flush();
                        continue;
                    }
                    // The 101 and the new protocol's first bytes in one write.
                    out.write(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: " + upgrade + "\r\nConnection: Upgrade\r\n"
                            + "X-Up: yes\r\n\r\nHELLO").getBytes(StandardCharsets.ISO_8859_1));
                    out.flush();
                    byte[] buf = new byte[8192];
                    int n;
                    while ((n = in.read(buf)) > 0) {
                        out.write(buf, 0, n);
                        out.flush();
                    }
                    return;
                }
            } catch (Exception e) {
                // the client's side tells
            } finally {
                ended.countDown();
            }
        }

        int port() {
            return server.getLocalPort();
        }

        @Override
        public void close() throws java.io.IOException {
            server.close();
        }
    }

    private static final String PASS_UPGRADE = "    proxy_set_header: {Upgrade: $http_upgrade, Connection: upgrade}\n";

    @Test
    void anyUpgradeIsRelayedWithTheBytesThatCameWithThe101() throws Exception {
        try (RawUpgradeServer server = new RawUpgradeServer();
             TestProxy proxy = new TestProxy("locations:\n  /:\n    proxy_pass: http://127.0.0.1:" + server.port() + "\n" + PASS_UPGRADE);
             Socket client = new Socket()) {
            client.connect(proxy.address, 5000);
            client.setSoTimeout(10_000);
            OutputStream out = client.getOutputStream();
            // An RFC 2817-style upgrade whose Upgrade names HTTP/1.1 too: still a switch, bytes after it are not HTTP.
            out.write("GET /chat HTTP/1.1\r\nHost: x\r\nUpgrade: TLS/1.2, HTTP/1.1\r\nConnection: keep-alive, Upgrade\r\n\r\n"
                    .getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            InputStream in = client.getInputStream();
            String response = readHead(in);
            assertThat(response).startsWith("HTTP/1.1 101 ").containsIgnoringCase("upgrade: TLS/1.2, HTTP/1.1")
                    .containsIgnoringCase("connection: upgrade").contains("X-Up: yes")
                    .doesNotContainIgnoringCase("content-length").doesNotContainIgnoringCase("transfer-encoding");
            assertThat(new String(in.readNBytes(5), StandardCharsets.ISO_8859_1)).isEqualTo("HELLO");
            assertThat(server.heads.poll(5, TimeUnit.SECONDS)).containsIgnoringCase("upgrade: TLS/1.2, HTTP/1.1")
                    .containsIgnoringCase("connection: upgrade");
            byte[] big = new byte[1 << 20];
            for (int i = 0; i < big.length; i++) {
                big[i] = (byte) i;
            }
            // A megabyte each way, with backpressure, in order; HTTP-looking bytes are just bytes now.
            byte[] http = "GET / HTTP/1.1\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1);
            System.arraycopy(http, 0, big, 0, http.length);
            Thread writer = new Thread(() -> {
                try {
                    out.write(big);
                    out.flush();
                } catch (Exception e) {
                    // the read below fails then
                }
            });
            writer.start();
            assertThat(in.readNBytes(big.length)).isEqualTo(big);
            writer.join(10_000);
        }
    }

    @Test
    void aClientThatSendsAndNeverReadsIsCutAfterSendTimeout() throws Exception {
        try (RawUpgradeServer server = new RawUpgradeServer();
             TestProxy proxy = new TestProxy("send_timeout: 1s\nlocations:\n  /:\n    proxy_pass: http://127.0.0.1:" + server.port()
                     + "\n" + PASS_UPGRADE);
             Socket client = new Socket()) {
            client.setReceiveBufferSize(4096);
            client.connect(proxy.address, 5000);
            OutputStream out = client.getOutputStream();
            out.write("GET / HTTP/1.1\r\nHost: x\r\nUpgrade: echo/1\r\nConnection: Upgrade\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
            // Bytes go up and are echoed back, but the client never reads: the echo fills the client's
            // window, the proxy stops reading the server, the server stops reading the proxy, and the
            // proxy stops reading the client. Nothing piles up in between; send_timeout ends it.
            Thread writer = new Thread(() -> {
                byte[] chunk = new byte[64 * 1024];
                try {
                    for (int i = 0; i < 1024; i++) {
                        out.write(chunk);
                    }
                } catch (Exception e) {
                    // the proxy cut it, as it should
                }
            });
            writer.setDaemon(true);
            writer.start();
            assertThat(server.ended.await(20, TimeUnit.SECONDS)).as("the server's side closed after send_timeout").isTrue();
            writer.join(20_000);
            assertThat(writer.isAlive()).as("the client's writes end: the proxy closed it").isFalse();
        }
    }

    @Test
    void onlyWebSocketIsPassedByDefaultAndAPipelinedUpgradeStillSwitches() throws Exception {
        try (RawUpgradeServer server = new RawUpgradeServer();
             TestProxy proxy = new TestProxy("locations:\n  /:\n    proxy_pass: http://127.0.0.1:" + server.port() + "\n")) {
            // h2c (or any protocol but WebSocket) needs proxy_set_header: by default the server never hears of it.
            List<String> plain = ResponseReader.exchange(proxy.address,
                    "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: h2c\r\nConnection: Upgrade, HTTP2-Settings\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\n"
                    + "Connection: close\r\n\r\n", List.of(false));
            assertThat(plain).containsExactly("200 ok");
            assertThat(server.heads.poll(5, TimeUnit.SECONDS)).doesNotContainIgnoringCase("upgrade").doesNotContainIgnoringCase("http2-settings");
            // A plain request and a WebSocket upgrade pipelined in one write: the first is answered, the second switches.
            try (Socket client = new Socket()) {
                client.connect(proxy.address, 5000);
                client.setSoTimeout(10_000);
                client.getOutputStream().write(("GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /ws HTTP/1.1\r\nHost: x\r\n"
                        + "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                        + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
                InputStream in = client.getInputStream();
                assertThat(readHead(in)).startsWith("HTTP/1.1 200 ");
                assertThat(new String(in.readNBytes(2), StandardCharsets.ISO_8859_1)).isEqualTo("ok");
                assertThat(readHead(in)).startsWith("HTTP/1.1 101 ").containsIgnoringCase("upgrade: websocket");
                assertThat(new String(in.readNBytes(5), StandardCharsets.ISO_8859_1)).isEqualTo("HELLO");
                client.getOutputStream().write("ping".getBytes(StandardCharsets.ISO_8859_1));
                assertThat(new String(in.readNBytes(4), StandardCharsets.ISO_8859_1)).isEqualTo("ping");
            }
        }
    }

    private static String readHead(InputStream in) throws java.io.IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        while (true) {
            int b = in.read();
            if (b < 0) {
                break;
            }
            head.write(b);
            byte[] h = head.toByteArray();
            int n = h.length;
            if (n >= 4 && h[n - 4] == '\r' && h[n - 3] == '\n' && h[n - 2] == '\r' && h[n - 1] == '\n') {
                break;
            }
        }
        return head.toString(StandardCharsets.ISO_8859_1);
    }
}
