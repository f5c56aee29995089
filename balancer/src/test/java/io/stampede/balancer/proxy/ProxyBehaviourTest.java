package io.stampede.balancer.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The proxy end to end on loopback: real sockets to scripted backends. */
class ProxyBehaviourTest {
    TestBackends backends;
    TestProxy proxy;

    @AfterEach
    void stop() {
        if (proxy != null) {
            proxy.close();
        }
        if (backends != null) {
            backends.close();
        }
    }

    private void start(String upstreamExtra, String locationExtra, String... servers) throws Exception {
        StringBuilder yaml = new StringBuilder("locations:\n  /:\n    proxy_pass: http://backend\n");
        for (String line : locationExtra.split("\n")) {
            if (!line.isBlank()) {
                yaml.append("    ").append(line).append('\n');
            }
        }
        yaml.append("upstreams:\n  backend:\n");
        for (String line : upstreamExtra.split("\n")) {
            if (!line.isBlank()) {
                yaml.append("    ").append(line).append('\n');
            }
        }
        yaml.append("    servers:\n");
        for (String s : servers) {
            String name = s.split(" ")[0];
            yaml.append("      - \"").append(backends.address(name)).append(s.substring(name.length())).append("\"\n");
        }
        proxy = new TestProxy(yaml.toString());
    }

    private String requests(int n) {
        List<String> statuses = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            statuses.add(String.valueOf(proxy.get("/x").statusCode()));
        }
        return String.join(",", statuses);
    }

    @Test
    void smoothWeightedRoundRobinOverRealBackends() throws Exception {
        backends = new TestBackends("a", "b", "c");
        start("", "", "a weight=5", "b", "c");
        requests(14);
        assertThat(backends.drain()).isEqualTo("a a b a c a a a a b a c a a");
    }

    @Test
    void aFailingServerIsRetriedOnTheNextAndCountedAsNginxDoes() throws Exception {
        backends = new TestBackends("a", "X");
        backends.on("X", s -> TestBackends.Action.closeConnection());
        start("", "", "a", "X max_fails=3 fail_timeout=30s");
        assertThat(requests(8)).isEqualTo("200,200,200,200,200,200,200,200");
        assertThat(backends.drain()).isEqualTo("a X a a X a a X a a a");
        proxy.seconds.addAndGet(31);
        backends.on("X", s -> TestBackends.Action.ok());
        requests(4);
        assertThat(backends.drain()).contains("X");
    }

    @Test
    void refusedConnectionsAreRetriedEvenForPost() throws Exception {
        backends = new TestBackends("a", "b");
        start("", "", "a", "b");
        backends.stop("a");
        HttpResponse<String> r = proxy.post("/p", "{\"k\":1}");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("b\n");
        assertThat(backends.drainSeen()).extracting(TestBackends.Seen::body).containsExactly("{\"k\":1}");
    }

    @Test
    void postIsNotRetriedOnceSentButGetIs() throws Exception {
        backends = new TestBackends("X", "b");
        backends.on("X", s -> TestBackends.Action.closeConnection());
        start("", "", "X max_fails=0", "b");
        HttpResponse<String> post = proxy.post("/p", "x");
        assertThat(post.statusCode()).isEqualTo(502);
        assertThat(backends.drain()).isEqualTo("X");
        proxy.get("/g");
        assertThat(backends.drain()).isEqualTo("b");
        HttpResponse<String> get = proxy.get("/g");
        assertThat(get.statusCode()).isEqualTo(200);
        assertThat(backends.drain()).isEqualTo("X b");
    }

    @Test
    void nonIdempotentListedAllowsRetryingPost() throws Exception {
        backends = new TestBackends("X", "b");
        backends.on("X", s -> TestBackends.Action.closeConnection());
        start("", "proxy_next_upstream: error timeout non_idempotent", "X", "b");
        HttpResponse<String> post = proxy.post("/p", "x");
        assertThat(post.statusCode()).isEqualTo(200);
        assertThat(backends.drain()).isEqualTo("X b");
    }

    @Test
    void listedStatusIsRetriedAndTheLastOneIsPassedThrough() throws Exception {
        backends = new TestBackends("a", "b", "c");
        for (String n : List.of("a", "b", "c")) {
            backends.on(n, s -> TestBackends.Action.status(502));
        }
        start("", "proxy_next_upstream: error timeout http_502", "a", "b", "c");
        HttpResponse<String> r = proxy.get("/x");
        assertThat(r.statusCode()).isEqualTo(502);
        assertThat(r.body()).isEqualTo("c\n");
        assertThat(backends.drain()).isEqualTo("a b c");
        HttpResponse<String> noLive = proxy.get("/x");
        assertThat(noLive.statusCode()).isEqualTo(502);
        assertThat(noLive.body()).contains("502 Bad Gateway");
        assertThat(backends.drain()).isEqualTo("c");
    }

    @Test
    void unlistedErrorStatusIsPassedAndNotCountedAsAFailure() throws Exception {
        backends = new TestBackends("a", "b");
        backends.on("a", s -> TestBackends.Action.status(503));
        // Were the 503 counted as a failure, a (max_fails=1) would be skipped for the backup b.
        start("", "", "a", "b backup");
        assertThat(requests(3)).isEqualTo("503,503,503");
        assertThat(backends.drain()).isEqualTo("a a a");
    }

    @Test
    void proxyReadTimeoutIs504AfterTrying() throws Exception {
        backends = new TestBackends("slow", "also");
        backends.on("slow", s -> TestBackends.Action.delay(3_000));
        backends.on("also", s -> TestBackends.Action.delay(3_000));
        start("", "proxy_read_timeout: 300ms", "slow", "also");
        long t0 = System.nanoTime();
        HttpResponse<String> r = proxy.get("/x");
        assertThat(r.statusCode()).isEqualTo(504);
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(3));
        assertThat(backends.drain()).isEqualTo("slow also");
    }

    @Test
    void allServersDownIs502NoLiveUpstreams() throws Exception {
        backends = new TestBackends("a", "b");
        start("", "", "a down", "b down");
        assertThat(proxy.get("/x").statusCode()).isEqualTo(502);
        assertThat(backends.drain()).isEmpty();
    }

    @Test
    void backupServesOnlyWhenPrimariesAreUnavailable() throws Exception {
        backends = new TestBackends("X", "b", "c");
        backends.on("X", s -> TestBackends.Action.closeConnection());
        start("", "", "X", "b backup", "c backup");
        assertThat(requests(6)).isEqualTo("200,200,200,200,200,200");
        assertThat(backends.drain()).isEqualTo("X b c b c b c");
    }

    @Test
    void headersFollowNginxConventions() throws Exception {
        backends = new TestBackends("a");
        start("", "proxy_set_header: {X-Client: \"$remote_addr:$arg_q\", X-Remove-Me: \"\"}", "a");
        HttpRequest req = HttpRequest.newBuilder(URI.create(proxy.url("/h?q=7")))
                .header("X-Forwarded-For", "1.2.3.4")
                .header("X-Remove-Me", "secret")
                .header("Keep-Alive", "timeout=5")
                .header("X-Custom", "kept")
                .build();
        assertThat(proxy.send(req).statusCode()).isEqualTo(200);
        TestBackends.Seen seen = backends.drainSeen().get(0);
        assertThat(seen.header("host")).isEqualTo("backend");
        assertThat(seen.header("x-forwarded-for")).isEqualTo("1.2.3.4, 127.0.0.1");
        assertThat(seen.header("x-real-ip")).isEqualTo("127.0.0.1");
        assertThat(seen.header("x-forwarded-proto")).isEqualTo("http");
        assertThat(seen.header("x-client")).isEqualTo("127.0.0.1:7");
        assertThat(seen.header("x-custom")).isEqualTo("kept");
        assertThat(seen.headers()).doesNotContainKeys("x-remove-me", "keep-alive", "connection", "via");
    }

    @Test
    void forwardedHeadersCanBeTurnedOff() throws Exception {
        backends = new TestBackends("a");
        start("", "proxy_forwarded_headers: off", "a");
        proxy.get("/h");
        assertThat(backends.drainSeen().get(0).headers()).doesNotContainKeys("x-forwarded-for", "x-real-ip");
    }

    @Test
    void upstreamConnectionsAreKeptAliveAndReused() throws Exception {
        backends = new TestBackends("a");
        start("", "", "a");
        requests(20);
        Set<Integer> ports = backends.drainSeen().stream().map(TestBackends.Seen::remotePort).collect(Collectors.toSet());
        // One connection per event loop at most, since requests are sequential.
        assertThat(ports.size()).isLessThanOrEqualTo(2);
    }

    @Test
    void keepaliveZeroOpensAConnectionPerRequest() throws Exception {
        backends = new TestBackends("a");
        start("keepalive: 0", "", "a");
        requests(5);
        assertThat(backends.drainSeen().stream().map(TestBackends.Seen::remotePort).distinct().count()).isEqualTo(5);
    }

    @Test
    void bodiesCrossBothWays() throws Exception {
        backends = new TestBackends("a");
        String big = "z".repeat(300_000);
        backends.on("a", s -> new TestBackends.Action(200, 0, false, s.body().toUpperCase()));
        start("", "", "a");
        HttpResponse<String> small = proxy.post("/b", "hello");
        assertThat(small.body()).isEqualTo("HELLO");
        HttpResponse<String> large = proxy.post("/b", big);
        assertThat(large.statusCode()).isEqualTo(200);
        assertThat(large.body()).isEqualTo(big.toUpperCase());
    }

    @Test
    void proxyPassUriReplacesTheLocationPrefix() throws Exception {
        backends = new TestBackends("a");
        proxy = new TestProxy("locations:\n  /api/:\n    proxy_pass: http://" + backends.address("a") + "/v2/\n"
                + "  = /exact:\n    proxy_pass: http://" + backends.address("a") + "/other\n"
                + "  /plain/:\n    proxy_pass: http://" + backends.address("a") + "\n");
        proxy.get("/api/items?x=1");
        proxy.get("/exact?y=2");
        proxy.get("/plain/keep");
        assertThat(backends.drainSeen()).extracting(TestBackends.Seen::uri)
                .containsExactly("/v2/items?x=1", "/other?y=2", "/plain/keep");
        assertThat(proxy.get("/nowhere").statusCode()).isEqualTo(404);
    }

    @Test
    void tooLargeBodyIs413BeforeAnyServerIsChosen() throws Exception {
        backends = new TestBackends("a");
        proxy = new TestProxy("client_max_body_size: 1k\nlocations:\n  /:\n    proxy_pass: http://" + backends.address("a") + "\n");
        HttpResponse<String> r = proxy.post("/b", "x".repeat(1025));
        assertThat(r.statusCode()).isEqualTo(413);
        HttpResponse<String> ok = proxy.post("/b", "x".repeat(1024));
        assertThat(ok.statusCode()).isEqualTo(200);
        assertThat(backends.drainSeen()).hasSize(1);
    }

    @Test
    void aStalePooledConnectionIsRetriedWithoutUsingUpATry() throws Exception {
        backends = new TestBackends("a");
        java.util.Set<Integer> seenPorts = java.util.concurrent.ConcurrentHashMap.newKeySet();
        // The second request on a connection finds it closed, as when the server's keepalive
        // timeout races with the proxy's reuse.
        backends.on("a", s -> seenPorts.add(s.remotePort()) ? TestBackends.Action.ok() : TestBackends.Action.closeConnection());
        start("", "", "a");
        assertThat(requests(3)).isEqualTo("200,200,200");
    }

    @Test
    void headRequestsGetHeadersOnly() throws Exception {
        backends = new TestBackends("a");
        start("", "", "a");
        try (io.stampede.common.testing.RawHttp c = new io.stampede.common.testing.RawHttp(proxy.address)) {
            c.send("HEAD /h HTTP/1.1\r\nHost: x\r\n\r\n");
            io.stampede.common.testing.RawHttp.Response r = c.expectHead().read();
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.header("Content-Length")).isEqualTo("2");
            c.send("GET /g HTTP/1.1\r\nHost: x\r\n\r\n");
            assertThat(c.read().body()).isEqualTo("a\n");
        }
    }

    @Test
    void chunkedRequestBodiesStreamWhenLargerThanTheBuffer() throws Exception {
        backends = new TestBackends("a");
        backends.on("a", s -> new TestBackends.Action(200, 0, false, String.valueOf(s.body().length())));
        start("", "", "a");
        StringBuilder raw = new StringBuilder("POST /up HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n");
        for (int i = 0; i < 40; i++) {
            raw.append("1000\r\n").append("q".repeat(4096)).append("\r\n");
        }
        raw.append("0\r\n\r\n");
        try (io.stampede.common.testing.RawHttp c = new io.stampede.common.testing.RawHttp(proxy.address)) {
            c.send(raw.toString());
            io.stampede.common.testing.RawHttp.Response r = c.read();
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.body()).isEqualTo(String.valueOf(40 * 4096));
        }
    }

    @Test
    void connectTimeoutIs504AfterTryingTheNext() throws Exception {
        // A listener whose accept queue is full drops new SYNs, so connecting to it times out.
        try (java.net.ServerSocket blackHole = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            List<java.net.Socket> fillers = new ArrayList<>();
            try {
                for (int i = 0; i < 4; i++) {
                    java.net.Socket f = new java.net.Socket();
                    try {
                        f.connect(blackHole.getLocalSocketAddress(), 200);
                        fillers.add(f);
                    } catch (java.io.IOException full) {
                        f.close();
                        break;
                    }
                }
                backends = new TestBackends("b");
                proxy = new TestProxy("locations:\n  /:\n    proxy_pass: http://backend\n    proxy_connect_timeout: 300ms\n"
                        + "upstreams:\n  backend:\n    servers:\n      - 127.0.0.1:" + blackHole.getLocalPort() + "\n      - "
                        + backends.address("b") + "\n");
                long t0 = System.nanoTime();
                HttpResponse<String> r = proxy.get("/x");
                assertThat(r.statusCode()).isEqualTo(200);
                assertThat(r.body()).isEqualTo("b\n");
                assertThat(Duration.ofNanos(System.nanoTime() - t0)).isGreaterThanOrEqualTo(Duration.ofMillis(250));
            } finally {
                for (java.net.Socket f : fillers) {
                    f.close();
                }
            }
        }
    }

    @Test
    void idleClientConnectionsCloseAfterKeepaliveTimeout() throws Exception {
        backends = new TestBackends("a");
        proxy = new TestProxy("keepalive_timeout: 300ms\nlocations:\n  /:\n    proxy_pass: http://" + backends.address("a") + "\n");
        try (io.stampede.common.testing.RawHttp c = new io.stampede.common.testing.RawHttp(proxy.address)) {
            c.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
            assertThat(c.read().status()).isEqualTo(200);
            long t0 = System.nanoTime();
            assertThat(c.closedByPeer()).isTrue();
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isBetween(Duration.ofMillis(200), Duration.ofSeconds(5));
        }
    }

    @Test
    void keepaliveTimeoutZeroTurnsClientKeepAliveOff() throws Exception {
        backends = new TestBackends("a");
        proxy = new TestProxy("keepalive_timeout: 0\nlocations:\n  /:\n    proxy_pass: http://" + backends.address("a") + "\n");
        try (io.stampede.common.testing.RawHttp c = new io.stampede.common.testing.RawHttp(proxy.address)) {
            c.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
            assertThat(c.read().header("Connection")).isEqualToIgnoringCase("close");
            assertThat(c.closedByPeer()).isTrue();
        }
    }
}
