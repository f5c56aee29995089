package io.stampede.balancer.proxy;

import static io.stampede.balancer.proxy.ScriptedH2Upstream.GOAWAY;
import static org.assertj.core.api.Assertions.assertThat;

import io.stampede.balancer.proxy.ScriptedH2Upstream.Script;
import java.net.InetSocketAddress;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * HTTP/2 servers that break the protocol, written as raw frames, behind {@code grpc_pass} and
 * {@code proxy_http_version 2}. Whatever a server sends, the client gets either a whole response
 * that server really framed, a 502, or a response cut short with its connection closed; never the
 * bytes a broken frame carried, and never another stream's answer. Where nginx can stand in the
 * same place (its grpc_pass speaks HTTP/2 to upstreams for any request), it is run beside ours
 * and they must agree.
 */
class Http2UpstreamHostileTest {
    /** One thread per simulated client: they must run at once (the common pool has a single thread on two cores). */
    private final java.util.concurrent.ExecutorService clients = java.util.concurrent.Executors.newCachedThreadPool();

    @org.junit.jupiter.api.AfterEach
    void stopClients() {
        clients.shutdownNow();
    }

    private static final int REFUSED_STREAM = 7;
    private static final String EVIL = "EVIL";
    private final Map<String, Script> scripts = new LinkedHashMap<>();
    private ScriptedH2Upstream broken;
    private ScriptedH2Upstream good;

    @BeforeEach
    void servers() throws Exception {
        scripts.put("/uppercase-name", (s, out) -> {
            out.headers(s, false, ":status", "200", "X-Evil", EVIL);
            out.data(s, true, EVIL);
        });
        scripts.put("/connection-header", (s, out) -> {
            out.headers(s, false, ":status", "200", "connection", "close");
            out.data(s, true, EVIL);
        });
        scripts.put("/bad-status", (s, out) -> {
            out.headers(s, false, ":status", "2x0");
            out.data(s, true, EVIL);
        });
        scripts.put("/no-status", (s, out) -> {
            out.headers(s, false, "content-type", "text/plain");
            out.data(s, true, EVIL);
        });
        scripts.put("/request-pseudo-header", (s, out) -> {
            out.headers(s, false, ":status", "200", ":path", "/other");
            out.data(s, true, EVIL);
        });
        scripts.put("/header-injection", (s, out) -> {
            out.headers(s, false, ":status", "200", "x-a", "a\r\nX-Injected: " + EVIL);
            out.data(s, true, EVIL);
        });
        scripts.put("/longer-than-content-length", (s, out) -> {
            out.headers(s, false, ":status", "200", "content-length", "2");
            out.data(s, true, "ok" + EVIL);
        });
        scripts.put("/data-before-headers", (s, out) -> {
            out.data(s, false, EVIL);
            out.headers(s, true, ":status", "200");
        });
        scripts.put("/push-promise", (s, out) -> {
            byte[] block = ScriptedH2Upstream.Frames.block(":method", "GET", ":path", "/pushed", ":scheme", "http",
                    ":authority", "x");
            byte[] payload = new byte[4 + block.length];
            payload[3] = 2; // promised stream 2
            System.arraycopy(block, 0, payload, 4, block.length);
            out.frame(ScriptedH2Upstream.PUSH_PROMISE, ScriptedH2Upstream.END_HEADERS, s, payload);
            out.headers(s, false, ":status", "200");
            out.data(s, true, EVIL);
        });
        scripts.put("/stream-never-opened", (s, out) -> {
            out.headers(s + 100, false, ":status", "200");
            out.data(s + 100, true, EVIL);
        });
        scripts.put("/interim-flood", (s, out) -> {
            for (int i = 0; i < 20; i++) {
                out.headers(s, false, ":status", "103", "link", "</x.css>");
            }
            out.headers(s, false, ":status", "200");
            out.data(s, true, EVIL);
        });
        scripts.put("/huge-head", (s, out) -> {
            out.headers(s, false, ":status", "200", "x-big", "b".repeat(20_000));
            out.data(s, true, EVIL);
        });
        scripts.put("/trailer-with-status", (s, out) -> {
            out.headers(s, false, ":status", "200");
            out.data(s, false, "part");
            out.headers(s, true, ":status", "500", "x-t", EVIL);
        });
        scripts.put("/refused", (s, out) -> out.rst(s, REFUSED_STREAM));
        // GOAWAY naming no stream: the request was not processed (the client closes the connection).
        scripts.put("/goaway-before", (s, out) -> out.goaway(0, 0));
        scripts.put("/reset-mid-body", (s, out) -> {
            out.headers(s, false, ":status", "200", "content-length", "100");
            out.data(s, false, "half");
            out.rst(s, 2);
        });
        broken = new ScriptedH2Upstream("broken", scripts);
        good = new ScriptedH2Upstream("good", Map.of());
    }

    @AfterEach
    void stop() throws Exception {
        broken.close();
        good.close();
    }

    private static String ours(String pass, String version) {
        return "locations:\n  /:\n    " + pass + "\n" + version + "upstreams:\n  h2:\n    servers: [%s]\n";
    }

    private static List<String> get(InetSocketAddress proxy, String method, String path) throws Exception {
        String body = method.equals("POST") ? "Content-Length: 5\r\n\r\nhello" : "\r\n";
        return ResponseReader.exchange(proxy, method + " " + path + " HTTP/1.1\r\nHost: t\r\nConnection: close\r\n" + body,
                List.of(false));
    }

    /** What our proxy's client sees for {@code path} with only the broken server behind it. */
    private List<String> throughOurs(String config, String method, String path) throws Exception {
        try (TestProxy proxy = new TestProxy(String.format(config, "127.0.0.1:" + broken.port() + " max_fails=0"))) {
            List<String> r = get(proxy.address, method, path);
            // The connection to the broken server may be gone; the next request must still be answered whole.
            assertThat(get(proxy.address, "GET", "/fine")).containsExactly("200 ok from broken");
            return r;
        }
    }

    @Test
    void brokenResponsesNeverReachTheClient() throws Exception {
        for (String config : List.of(ours("grpc_pass: grpc://h2", ""), ours("proxy_pass: http://h2", "    proxy_http_version: 2\n"))) {
            for (String path : scripts.keySet()) {
                if (path.equals("/refused") || path.equals("/goaway-before")) {
                    continue;
                }
                List<String> seen = throughOurs(config, "GET", path);
                assertThat(String.join(" ", seen)).as(path + " with " + config).doesNotContain(EVIL);
                assertThat(seen).as(path).hasSize(1);
                assertThat(seen.get(0)).as(path).matches("502( .*)?|200 truncated|closed");
            }
        }
    }

    @Test
    void theSameAsNginxsGrpcPass() throws Exception {
        if (NginxRunner.binary() == null) {
            System.err.println("SKIPPED LOUDLY: nginx is not installed (apt-get install nginx); the nginx half of "
                    + "Http2UpstreamHostileTest did not run");
            org.junit.jupiter.api.Assumptions.abort("nginx is not installed");
        }
        String config = ours("grpc_pass: grpc://h2", "");
        try (NginxRunner nginx = NginxRunner.withServer("  upstream h2 { server 127.0.0.1:" + broken.port() + " max_fails=0; }",
                "    location / { grpc_pass grpc://h2; }")) {
            StringBuilder differences = new StringBuilder();
            for (String path : scripts.keySet()) {
                if (path.equals("/refused") || path.equals("/goaway-before")) {
                    continue;
                }
                String theirs = outcome(get(nginx.address(), "GET", path));
                String mine = outcome(throughOurs(config, "GET", path));
                System.out.printf("hostile h2 upstream %-28s ours=%-10s nginx=%s%n", path, mine, theirs);
                if (!mine.equals(theirs)) {
                    differences.append(path).append(": ours ").append(mine).append(", nginx ").append(theirs).append('\n');
                }
            }
            assertThat(differences.toString()).as("where our answer differs from nginx's grpc_pass").isEqualTo(KNOWN_DIFFERENCES);
        }
    }

    /**
     * Where we part from nginx 1.22, and why ours is the right answer: nginx passes on a response
     * with a connection-specific header, which RFC 9113 (8.2.2) makes malformed in HTTP/2; we
     * refuse it with 502, as any malformed head is refused.
     */
    private static final String KNOWN_DIFFERENCES = "/connection-header: ours 502, nginx passed-on:200 EVIL\n";

    /** 502, or a response that broke off (cut short, or closed before it began): the kinds of refusal. */
    private static String outcome(List<String> seen) {
        String r = seen.get(0);
        if (r.startsWith("502")) {
            return "502";
        }
        if (r.endsWith("truncated") || r.equals("closed")) {
            return "broken-off";
        }
        return "passed-on:" + r;
    }

    @Test
    void aRefusedStreamDoesNotCountAgainstItsServer() throws Exception {
        // max_fails=1: one failure would take the broken server out for fail_timeout.
        String servers = "127.0.0.1:" + broken.port() + ", 127.0.0.1:" + good.port();
        try (TestProxy proxy = new TestProxy(String.format(ours("proxy_pass: http://h2", "    proxy_http_version: 2\n"), servers))) {
            assertThat(get(proxy.address, "GET", "/refused")).containsExactly("200 ok from good");
            // Round robin comes back to the server that refused within the next two: it is still in.
            List<String> next = new java.util.ArrayList<>(get(proxy.address, "GET", "/next"));
            next.addAll(get(proxy.address, "GET", "/next"));
            assertThat(next).contains("200 ok from broken");
        }
    }

    @Test
    void aServersStreamLimitIsKept() throws Exception {
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.atomic.AtomicInteger refused = new java.util.concurrent.atomic.AtomicInteger();
        try (ScriptedH2Upstream limited = new ScriptedH2Upstream("limited", Map.of("/slow", (s, out) -> {
                try {
                    release.await(20, java.util.concurrent.TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                out.headers(s, false, ":status", "200", "content-length", "4");
                out.data(s, true, "slow");
            }), 2);
             TestProxy proxy = new TestProxy("worker_processes: 1\n" + String.format(ours("proxy_pass: http://h2", "    proxy_http_version: 2\n"),
                     "127.0.0.1:" + limited.port()))) {
            List<java.util.concurrent.CompletableFuture<List<String>>> calls = new java.util.ArrayList<>();
            for (int i = 0; i < 5; i++) {
                calls.add(java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                    try {
                        return get(proxy.address, "GET", "/slow");
                    } catch (Exception e) {
                        refused.incrementAndGet();
                        return List.of(e.toString());
                    }
                }, clients));
            }
            // Two streams a connection, as the server said: the first two go at once, the others
            // wait for a slot (or a connection of their own), and none is refused.
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10))
                    .until(() -> limited.seen.getOrDefault("/slow", new java.util.concurrent.atomic.AtomicInteger()).get() >= 2);
            release.countDown();
            for (var c : calls) {
                assertThat(c.get()).containsExactly("200 slow");
            }
            assertThat(refused.get()).isZero();
            assertThat(limited.refusedStreams.get()).as("streams over the server's limit").isZero();
        }
    }

    @Test
    void aRefusedOrUnprocessedStreamGoesToTheNextServerEvenForPost() throws Exception {
        String config = ours("proxy_pass: http://h2", "    proxy_http_version: 2\n");
        String servers = "127.0.0.1:" + broken.port() + " max_fails=0, 127.0.0.1:" + good.port() + " max_fails=0";
        for (String path : List.of("/refused", "/goaway-before")) {
            try (TestProxy proxy = new TestProxy(String.format(config, servers))) {
                // Round robin: the first request goes to the broken server, which never processes it.
                assertThat(get(proxy.address, "POST", path)).as(path).containsExactly("200 ok from good");
                assertThat(broken.seen.get(path).get()).isEqualTo(1);
            }
        }
    }
}
