package io.stampede.balancer.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.stampede.common.testing.RawHttp;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

/**
 * Bad input a proxy must refuse (../shared/docs/hardening.md), as raw bytes: each case checks the
 * status, that the connection is closed where it must be, and what the backend received.
 */
class HardeningTest {
    static TestBackends backends;
    static TestProxy proxy;

    @BeforeAll
    static void start() throws Exception {
        backends = new TestBackends("a");
        proxy = new TestProxy("client_max_body_size: 64k\nclient_header_timeout: 700ms\nclient_body_timeout: 700ms\n"
                + "client_body_min_rate: 100 1s\n"
                + "locations:\n  /:\n    proxy_pass: http://backend\nupstreams:\n  backend:\n    servers: [\""
                + backends.address("a") + "\"]\n");
    }

    @AfterAll
    static void stop() {
        proxy.close();
        backends.close();
    }

    @BeforeEach
    void clear() {
        backends.drainSeen();
    }

    private RawHttp connect() throws Exception {
        return new RawHttp(proxy.address).timeout(10_000);
    }

    /** Sends raw bytes on a fresh connection; returns the first response. */
    private RawHttp.Response send(String raw) throws Exception {
        try (RawHttp c = connect()) {
            c.sendBytes(raw.getBytes(StandardCharsets.ISO_8859_1));
            return c.read();
        }
    }

    /** Refused, the connection closed, and nothing reached the backend. */
    private void refused(String raw, int status) throws Exception {
        try (RawHttp c = connect()) {
            c.sendBytes(raw.getBytes(StandardCharsets.ISO_8859_1));
            RawHttp.Response r = c.read();
            assertThat(r.status()).as(raw).isEqualTo(status);
            assertThat(c.closedByPeer()).as("closed after %d", status).isTrue();
        }
        assertThat(backends.drainSeen()).as("the backend received nothing for %s", raw).isEmpty();
    }

    static Stream<Arguments> malformed() {
        return Stream.of(
            Arguments.of("control byte in target", "GET /a\u0001b HTTP/1.1\r\nHost: x\r\n\r\n", 400),
            Arguments.of("hash in target", "GET /a#b HTTP/1.1\r\nHost: x\r\n\r\n", 400),
            Arguments.of("raw non-ASCII in target", "GET /caf\u00e9 HTTP/1.1\r\nHost: x\r\n\r\n", 400),
            Arguments.of("climbs above root", "GET /../etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n", 400),
            Arguments.of("climbs above root later", "GET /a/../../b HTTP/1.1\r\nHost: x\r\n\r\n", 400),
            Arguments.of("encoded dots climb", "GET /%2e%2e/x HTTP/1.1\r\nHost: x\r\n\r\n", 400),
            Arguments.of("no Host on 1.1", "GET / HTTP/1.1\r\n\r\n", 400),
            Arguments.of("two Hosts", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400),
            Arguments.of("invalid Host", "GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", 400),
            Arguments.of("HTTP/2.0", "GET / HTTP/2.0\r\nHost: x\r\n\r\n", 505),
            Arguments.of("HTTP/9.9", "GET / HTTP/9.9\r\nHost: x\r\n\r\n", 505),
            Arguments.of("lowercase version", "GET / http/1.1\r\nHost: x\r\n\r\n", 400),
            Arguments.of("HTTP/0.9", "GET /\r\n\r\n", 400),
            Arguments.of("HTTP/2 preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 400),
            Arguments.of("gzip, chunked", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", 501),
            Arguments.of("comma chunked", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: ,chunked\r\n\r\n0\r\n\r\n", 501),
            Arguments.of("identity", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: identity\r\n\r\n", 501),
            Arguments.of("CL with TE", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
            Arguments.of("TE on 1.0", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
            Arguments.of("two Content-Lengths", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab", 400),
            Arguments.of("non-numeric Content-Length", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1x\r\n\r\na", 400),
            Arguments.of("space in header name", "GET / HTTP/1.1\r\nHost: x\r\nBad Name: v\r\n\r\n", 400),
            Arguments.of("obsolete folding", "GET / HTTP/1.1\r\nHost: x\r\nX-A: a\r\n b\r\n\r\n", 400),
            Arguments.of("bare LF", "GET / HTTP/1.1\nHost: x\n\n", 400),
            Arguments.of("TRACE", "TRACE / HTTP/1.1\r\nHost: x\r\n\r\n", 405),
            Arguments.of("CONNECT", "CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\n\r\n", 405),
            Arguments.of("long method", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA / HTTP/1.1\r\nHost: x\r\n\r\n", 400),
            Arguments.of("bad chunk size", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("malformed")
    void refusesMalformedRequestsAndClosesWithoutForwarding(String name, String raw, int status) throws Exception {
        refused(raw, status);
    }

    @Test
    void requestLineLimitIsNginxs8kIncludingCrlf() throws Exception {
        String prefix = "GET /";
        String suffix = " HTTP/1.1\r\n";
        String fits = prefix + "a".repeat(8192 - prefix.length() - suffix.length()) + suffix;
        assertThat(fits.length()).isEqualTo(8192);
        assertThat(send(fits + "Host: x\r\n\r\n").status()).isEqualTo(200);
        backends.drainSeen();
        String tooLong = prefix + "a".repeat(8193 - prefix.length() - suffix.length()) + suffix;
        refused(tooLong + "Host: x\r\n\r\n", 414);
    }

    @Test
    void headerLineLimitAndHeaderCount() throws Exception {
        refused("GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + "b".repeat(8200) + "\r\n\r\n", 400);
        StringBuilder many = new StringBuilder("GET / HTTP/1.1\r\nHost: x\r\n");
        for (int i = 0; i < 120; i++) {
            many.append("X-H").append(i).append(": v\r\n");
        }
        refused(many + "\r\n", 400);
    }

    @Test
    void bodyOverClientMaxBodySizeIs413() throws Exception {
        refused("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 70000\r\n\r\n", 413);
        StringBuilder chunked = new StringBuilder("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n");
        for (int i = 0; i < 20; i++) {
            chunked.append("1000\r\n").append("c".repeat(4096)).append("\r\n");
        }
        try (RawHttp c = connect()) {
            c.sendBytes(chunked.toString().getBytes(StandardCharsets.ISO_8859_1));
            assertThat(c.read().status()).isEqualTo(413);
        }
    }

    @Test
    void absoluteFormTargetIsForwardedInOriginForm() throws Exception {
        RawHttp.Response r = send("GET http://elsewhere.example/path?q=1 HTTP/1.1\r\nHost: other\r\n\r\n");
        assertThat(r.status()).isEqualTo(200);
        TestBackends.Seen seen = backends.drainSeen().get(0);
        assertThat(seen.uri()).isEqualTo("/path?q=1");
        assertThat(seen.header("host")).isEqualTo("backend");
    }

    @Test
    void dotSegmentsThatStayBelowRootAreFine() throws Exception {
        assertThat(send("GET /a/../b HTTP/1.1\r\nHost: x\r\n\r\n").status()).isEqualTo(200);
    }

    @Test
    void http11MinorVersionsAboveOneAreTreatedAs11() throws Exception {
        RawHttp.Response r = send("GET / HTTP/1.2\r\nHost: x\r\n\r\n");
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.head()).startsWith("HTTP/1.1 200");
    }

    @Test
    void chunkedWithCaseAndSpacesIsAccepted() throws Exception {
        RawHttp.Response r = send("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding:  Chunked \r\n\r\n3\r\nabc\r\n0\r\n\r\n");
        assertThat(r.status()).isEqualTo(200);
        TestBackends.Seen seen = backends.drainSeen().get(0);
        assertThat(seen.body()).isEqualTo("abc");
        assertThat(seen.header("content-length")).isEqualTo("3");
    }

    @Test
    void hopByHopHeadersNeverReachTheBackend() throws Exception {
        RawHttp.Response r = send("GET / HTTP/1.1\r\nHost: x\r\nConnection: keep-alive, X-Secret, Host, Content-Length\r\n"
                + "X-Secret: s\r\nKeep-Alive: timeout=5\r\nProxy-Connection: keep-alive\r\nTE: trailers\r\n"
                + "Upgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\nX-Kept: yes\r\n\r\n");
        assertThat(r.status()).isEqualTo(200);
        TestBackends.Seen seen = backends.drainSeen().get(0);
        assertThat(seen.headers()).doesNotContainKeys("x-secret", "keep-alive", "proxy-connection", "te", "upgrade",
                "http2-settings", "connection");
        assertThat(seen.header("host")).isEqualTo("backend");
        assertThat(seen.header("x-kept")).isEqualTo("yes");
    }

    @Test
    void expect100ContinueIsAnsweredBeforeTheBodyIsRead() throws Exception {
        try (RawHttp c = connect()) {
            c.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n");
            RawHttp.Response interim = c.read();
            assertThat(interim.status()).isEqualTo(100);
            c.send("hello");
            assertThat(c.read().status()).isEqualTo(200);
        }
        TestBackends.Seen seen = backends.drainSeen().get(0);
        assertThat(seen.body()).isEqualTo("hello");
        assertThat(seen.headers()).doesNotContainKey("expect");
    }

    @Test
    void otherExpectationsGetNo100() throws Exception {
        try (RawHttp c = connect()) {
            c.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: y 100-continue\r\n\r\nhello");
            assertThat(c.read().status()).isEqualTo(200);
        }
    }

    @Test
    void nothingAfterConnectionCloseIsForwarded() throws Exception {
        try (RawHttp c = connect()) {
            c.send("GET /one HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\nGET /two HTTP/1.1\r\nHost: x\r\n\r\n");
            assertThat(c.read().status()).isEqualTo(200);
            assertThat(c.closedByPeer()).isTrue();
        }
        assertThat(backends.drainSeen()).extracting(TestBackends.Seen::uri).containsExactly("/one");
    }

    @Test
    void pipelinedRequestsAreAnsweredInOrder() throws Exception {
        backends.on("a", s -> new TestBackends.Action(200, s.uri().equals("/1") ? 150 : 0, false, s.uri()));
        try (RawHttp c = connect()) {
            c.send("GET /1 HTTP/1.1\r\nHost: x\r\n\r\nGET /2 HTTP/1.1\r\nHost: x\r\n\r\nGET /3 HTTP/1.1\r\nHost: x\r\n\r\n");
            assertThat(List.of(c.read().body(), c.read().body(), c.read().body())).containsExactly("/1", "/2", "/3");
        } finally {
            backends.on("a", s -> TestBackends.Action.ok());
        }
    }

    @Test
    void http10ClientsWork() throws Exception {
        try (RawHttp c = connect()) {
            c.send("GET / HTTP/1.0\r\n\r\n");
            RawHttp.Response r = c.read();
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.head()).startsWith("HTTP/1.0 200");
            assertThat(r.body()).isEqualTo("a\n");
            assertThat(c.closedByPeer()).isTrue();
        }
    }

    @Test
    void slowRequestHeadIs408AfterClientHeaderTimeout() throws Exception {
        try (RawHttp c = connect()) {
            c.send("GET / HTTP/1.1\r\nHost: x\r\n");
            long t0 = System.nanoTime();
            RawHttp.Response r = c.read();
            assertThat(r.status()).isEqualTo(408);
            assertThat((System.nanoTime() - t0) / 1_000_000).isBetween(400L, 5_000L);
            assertThat(c.closedByPeer()).isTrue();
        }
        assertThat(backends.drainSeen()).isEmpty();
    }

    @Test
    void stalledBodyIs408AfterClientBodyTimeout() throws Exception {
        try (RawHttp c = connect()) {
            c.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nab");
            RawHttp.Response r = c.read();
            assertThat(r.status()).isEqualTo(408);
            assertThat(c.closedByPeer()).isTrue();
        }
        assertThat(backends.drainSeen()).isEmpty();
    }

    @Test
    void aTricklingBodyIsCutOffByTheMinimumRate() throws Exception {
        try (RawHttp c = connect()) {
            c.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n");
            long t0 = System.nanoTime();
            RawHttp.Response r = null;
            // One byte every 300ms: within client_body_timeout (700ms) each time, far below 100 bytes/s.
            for (int i = 0; i < 40 && r == null; i++) {
                try {
                    c.send("x");
                } catch (java.io.IOException closed) {
                    break;
                }
                java.util.concurrent.locks.LockSupport.parkNanos(300_000_000L);
                if (System.nanoTime() - t0 > 1_200_000_000L) {
                    r = c.read();
                }
            }
            assertThat(r).isNotNull();
            assertThat(r.status()).isEqualTo(408);
            assertThat((System.nanoTime() - t0) / 1_000_000).isLessThan(5_000L);
        }
        assertThat(backends.drainSeen()).isEmpty();
    }

    @Test
    void aBadChunkInAPipelinedRequestIsRefusedNotForwarded() throws Exception {
        try (RawHttp c = connect()) {
            c.send("GET /first HTTP/1.1\r\nHost: x\r\n\r\n"
                    + "POST /second HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\nZZ\r\n");
            assertThat(c.read().status()).isEqualTo(200);
            assertThat(c.read().status()).isEqualTo(400);
            assertThat(c.closedByPeer()).isTrue();
        }
        assertThat(backends.drainSeen()).extracting(TestBackends.Seen::uri).containsExactly("/first");
    }

    @Test
    void aStreamedBodyThatStallsIs408() throws Exception {
        // More than client_body_buffer_size (16k) switches to streaming; then the client stops.
        try (RawHttp c = connect()) {
            c.send("POST /big HTTP/1.1\r\nHost: x\r\nContent-Length: 40000\r\n\r\n" + "s".repeat(20_000));
            RawHttp.Response r = c.read();
            assertThat(r.status()).isEqualTo(408);
            assertThat(c.closedByPeer()).isTrue();
        }
    }
}
