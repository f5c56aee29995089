package io.stampede.balancer.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.handler.codec.http2.Http2Headers;
import io.stampede.balancer.config.ConfigLoader;
import io.stampede.balancer.config.ProxyConfig;
import io.stampede.common.testing.RawHttp;
import java.io.IOException;
import java.io.StringReader;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * HTTP/2 from clients on a cleartext listener (prior knowledge), frame by frame over real sockets:
 * streams balanced one by one, bodies both ways under flow control, cancellation, the stream
 * limit, GOAWAY at shutdown and after keepalive_requests, and the floods a server must survive
 * (rapid reset, CONTINUATION, HPACK bomb, PING without reading).
 */
class Http2ToClientsTest {
    private TestBackends backends;
    private CountingBackend counting;
    private ProxyServer server;

    @AfterEach
    void stop() throws Exception {
        if (server != null) {
            server.close();
        }
        if (backends != null) {
            backends.close();
        }
        if (counting != null) {
            counting.close();
        }
    }

    /** A proxy on an h2c listener in front of {@code servers}, with {@code extra} top-level YAML. */
    private int start(String extra, String... servers) throws Exception {
        return startYaml("listen: 127.0.0.1:0 http2\n" + extra
                + "locations:\n  /:\n    proxy_pass: http://pool\n"
                + "    proxy_set_header: {X-Proto: \"$http2 $server_protocol $scheme\"}\n"
                + "upstreams:\n  pool:\n    servers: [" + String.join(", ", servers) + "]\n");
    }

    private int startYaml(String yaml) throws Exception {
        ProxyConfig config = ConfigLoader.parse("h2.yaml", new StringReader(yaml));
        AtomicLong seconds = new AtomicLong(1_000);
        SplittableRandom random = new SplittableRandom(1);
        server = new ProxyServer(config, seconds::get, random::nextLong);
        server.start();
        return server.addresses().get(0).getPort();
    }

    private int startOnBackends(String extra) throws Exception {
        backends = new TestBackends("a", "b");
        backends.on("a", s -> new TestBackends.Action(200, 0, false, "a " + s.method() + " " + s.uri() + " " + s.body().length()));
        backends.on("b", s -> new TestBackends.Action(200, 0, false, "b " + s.method() + " " + s.uri() + " " + s.body().length()));
        return start(extra, backends.address("a"), backends.address("b"));
    }

    private int startOnCounting(String extra) throws Exception {
        counting = new CountingBackend();
        counting.release = new CountDownLatch(1);
        return start(extra, "127.0.0.1:" + counting.server.getLocalPort());
    }

    @Test
    void manyStreamsOnOneConnectionAreEachBalancedAndAnsweredWithTheirOwnResponse() throws Exception {
        int port = startOnBackends("");
        try (RawH2 c = new RawH2(port)) {
            for (int i = 0; i < 40; i++) {
                c.headers(1 + 2 * i, RawH2.get("/item/" + i), true);
            }
            Set<String> servedBy = new HashSet<>();
            for (int i = 0; i < 40; i++) {
                RawH2.Response r = c.await(1 + 2 * i);
                assertThat(r.status()).isEqualTo("200");
                assertThat(r.text()).matches("[ab] GET /item/" + i + " 0");
                servedBy.add(r.text().substring(0, 1));
                // HTTP/1.1's connection headers never go out on HTTP/2.
                assertThat(r.headers.contains("connection")).isFalse();
                assertThat(r.headers.contains("keep-alive")).isFalse();
            }
            assertThat(servedBy).containsExactlyInAnyOrder("a", "b");
        }
        List<TestBackends.Seen> seen = backends.drainSeen();
        assertThat(seen).hasSize(40);
        assertThat(seen).allSatisfy(s -> {
            assertThat(s.header("X-Proto")).isEqualTo("h2c HTTP/2.0 http");
            assertThat(s.header("Host")).isEqualTo("pool"); // proxy_set_header Host $proxy_host, as nginx
            assertThat(s.headers().keySet()).noneMatch(h -> h.startsWith("x-http2-"));
        });
    }

    @Test
    void http1ClientsAreStillServedOnAnHttp2CleartextPort() throws Exception {
        int port = startOnBackends("");
        try (RawHttp c = new RawHttp(new java.net.InetSocketAddress("127.0.0.1", port))) {
            // "P" as in the preface's "PRI": the sniffer must look past the first byte.
            c.send("POST /form HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc");
            RawHttp.Response r = c.read();
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.body()).endsWith("POST /form 3");
            c.send("GET /again HTTP/1.1\r\nHost: x\r\n\r\n");
            assertThat(c.read().body()).endsWith("GET /again 0");
        }
        assertThat(backends.drainSeen().get(0).header("X-Proto")).isEqualTo("HTTP/1.1 http"); // an empty $http2
    }

    @Test
    void bodiesTravelBothWaysUnderFlowControl() throws Exception {
        int port = startOnBackends("client_max_body_size: 2m\n");
        byte[] body = new byte[300_000]; // several windows' worth: the proxy must reopen them as it forwards
        new SplittableRandom(7).nextBytes(body);
        for (int i = 0; i < body.length; i++) {
            body[i] = (byte) ('a' + (body[i] & 15));
        }
        try (RawH2 c = new RawH2(port)) {
            c.headers(1, RawH2.request("POST", "/upload"), false);
            c.body(1, body);
            RawH2.Response r = c.await(1);
            assertThat(r.status()).isEqualTo("200");
            assertThat(r.text()).endsWith("POST /upload 300000");
        }
        assertThat(backends.drainSeen().get(0).body()).isEqualTo(new String(body, StandardCharsets.US_ASCII));
    }

    @Test
    void aResponseGoesNoFasterThanTheClientsWindowAllows() throws Exception {
        backends = new TestBackends("a");
        String big = "0123456789abcdef".repeat(64 * 1024); // 1 MiB
        backends.on("a", s -> new TestBackends.Action(200, 0, false, big));
        int port = start("", backends.address("a"));
        // A window of 16 KiB per stream, and no WINDOW_UPDATE until the test sends one.
        try (RawH2 c = new RawH2(port, 4, 16_384)) {
            c.autoWindow = false;
            c.headers(1, RawH2.get("/big"), true);
            while (c.responses.get(1) == null || c.responses.get(1).body.size() < 16_384) {
                assertThat(c.read()).isNotNull();
            }
            c.socket.setSoTimeout(300);
            try {
                RawH2.Frame more = c.read();
                assertThat(more == null || more.type() != RawH2.DATA).as("DATA beyond the window").isTrue();
            } catch (SocketTimeoutException expected) {
                // nothing more came: the window is respected
            }
            c.socket.setSoTimeout(10_000);
            assertThat(c.responses.get(1).body.size()).isEqualTo(16_384);
            c.autoWindow = true;
            c.windowUpdate(0, 16_384);
            c.windowUpdate(1, 16_384);
            RawH2.Response r = c.await(1);
            assertThat(r.text()).isEqualTo(big);
        }
    }

    @Test
    void aStreamResetByTheClientCancelsItsUpstreamRequest() throws Exception {
        int port = startOnCounting("");
        try (RawH2 c = new RawH2(port)) {
            c.headers(1, RawH2.get("/slow"), true);
            Awaitility.await("the request reached the upstream").atMost(Duration.ofSeconds(5))
                    .until(() -> counting.requests.size() == 1);
            c.reset(1, 0x8); // CANCEL
            Awaitility.await("the upstream request was cancelled too").atMost(Duration.ofSeconds(5))
                    .until(() -> counting.closed.size() == 1);
            // The connection itself lives on.
            counting.release.countDown();
            c.headers(3, RawH2.get("/after"), true);
            assertThat(c.await(3).status()).isEqualTo("200");
        }
    }

    @Test
    void streamsBeyondHttp2MaxConcurrentStreamsAreRefused() throws Exception {
        int port = startOnCounting("http2_max_concurrent_streams: 2\n");
        try (RawH2 c = new RawH2(port)) {
            c.headers(1, RawH2.get("/1"), true);
            c.headers(3, RawH2.get("/2"), true);
            c.headers(5, RawH2.get("/3"), true);
            RawH2.Response third = c.await(5);
            assertThat(third.reset).as("RST_STREAM REFUSED_STREAM").isEqualTo(0x7L);
            assertThat(c.serverSettings).containsEntry(3, 2L); // SETTINGS_MAX_CONCURRENT_STREAMS
            counting.release.countDown();
            assertThat(c.await(1).status()).isEqualTo("200");
            assertThat(c.await(3).status()).isEqualTo("200");
        }
        assertThat(counting.requests).hasSize(2);
    }

    @Test
    void rapidResetClosesTheConnectionBeforeTheUpstreamsAreFlooded() throws Exception {
        int port = startOnCounting("http2_max_resets: 50 30s\n");
        try (RawH2 c = new RawH2(port)) {
            try {
                for (int i = 0; i < 1_000; i++) {
                    c.headers(1 + 2 * i, RawH2.get("/r" + i), true);
                    c.reset(1 + 2 * i, 0x8);
                }
            } catch (IOException closedWhileWriting) {
                // the proxy hung up mid-flood: what it said before is read below
            }
            c.untilClosed();
            assertThat(c.goaway).as("GOAWAY").isNotNull();
            assertThat(c.goaway.errorCode()).as("ENHANCE_YOUR_CALM").isEqualTo(0xbL);
        }
        assertThat(counting.accepted.size()).isLessThan(200);
    }

    @Test
    void aContinuationFloodClosesTheConnection() throws Exception {
        int port = startOnBackends("");
        try (RawH2 c = new RawH2(port)) {
            byte[] block = c.hpack(RawH2.get("/c"));
            c.frame(RawH2.HEADERS, 0, 1, block); // no END_HEADERS: CONTINUATION frames must follow
            // 10,000 empty ones in one write, so the proxy is still reading them when it gives up
            // (with io_uring its socket once stayed open then, until the client went away).
            byte[] flood = new byte[9 * 10_000];
            for (int i = 0; i < 10_000; i++) {
                flood[9 * i + 3] = RawH2.CONTINUATION;
                flood[9 * i + 8] = 1;
            }
            try {
                c.socket.getOutputStream().write(flood);
            } catch (IOException closedWhileWriting) {
                // expected: the proxy gave up on this connection
            }
            c.untilClosed();
            assertThat(c.goaway).as("GOAWAY").isNotNull();
            assertThat(c.goaway.errorCode()).isNotZero();
        }
        assertThat(backends.drainSeen()).isEmpty();
    }

    @Test
    void anHpackBombIsRefusedWithoutReachingTheUpstream() throws Exception {
        int port = startOnBackends("large_client_header_buffers: 4 8k\n");
        try (RawH2 c = new RawH2(port)) {
            java.io.ByteArrayOutputStream block = new java.io.ByteArrayOutputStream();
            block.write(c.hpack(RawH2.get("/bomb")));
            // One 4000-byte header entered in the dynamic table, then referred to 500 times by its
            // one-byte index: 2 MB of headers from 5 KB of frame.
            block.write(0x40);
            block.write(6);
            block.write("x-bomb".getBytes(StandardCharsets.US_ASCII));
            block.write(0x7f);
            block.write(new byte[] {(byte) 0xa1, 0x1e}); // 127 + 3873 = 4000, as an HPACK integer
            block.write("x".repeat(4000).getBytes(StandardCharsets.US_ASCII));
            for (int i = 0; i < 500; i++) {
                block.write(0x80 | 62);
            }
            c.frame(RawH2.HEADERS, RawH2.END_HEADERS | RawH2.END_STREAM, 1, block.toByteArray());
            RawH2.Response r = c.await(1);
            assertThat(r.status()).as("431 Request Header Fields Too Large").isEqualTo("431");
            // Decoding went on to the block's end, so the compression state is whole and the connection usable.
            // (By hand, static table and literals only: the test's encoder never learned of x-bomb.)
            java.io.ByteArrayOutputStream next = new java.io.ByteArrayOutputStream();
            next.write(new byte[] {(byte) 0x82, (byte) 0x86, 0x04, 11}); // GET, http, :path of 11 bytes
            next.write("/after-bomb".getBytes(StandardCharsets.US_ASCII));
            next.write(new byte[] {0x01, 1, 'x'}); // :authority x
            c.frame(RawH2.HEADERS, RawH2.END_HEADERS | RawH2.END_STREAM, 3, next.toByteArray());
            assertThat(c.await(3).status()).isEqualTo("200");
        }
        assertThat(backends.drainSeen()).extracting(TestBackends.Seen::uri).containsExactly("/after-bomb");
    }

    @Test
    void aPingFloodFromAClientThatNeverReadsClosesTheConnection() throws Exception {
        int port = startOnBackends("http2_max_control_frames: 100\n");
        java.net.Socket small = new java.net.Socket();
        small.setReceiveBufferSize(4096); // before connecting, so the window offered stays small
        try (RawH2 c = new RawH2(small, port)) {
            byte[] pings = new byte[17 * 1000];
            for (int i = 0; i < 1000; i++) {
                pings[17 * i + 2] = 8;
                pings[17 * i + 3] = RawH2.PING;
            }
            boolean refused = false;
            try {
                for (int i = 0; i < 2_000; i++) { // at most 2 million PINGs, whose answers are never read
                    c.socket.getOutputStream().write(pings);
                }
            } catch (IOException e) {
                refused = true;
            }
            assertThat(refused).as("the proxy closed the connection before 2 million unread PINGs").isTrue();
        }
    }

    @Test
    void shutdownSendsGoawayAndLetsTheStreamsInFlightFinish() throws Exception {
        int port = startOnCounting("");
        try (RawH2 c = new RawH2(port)) {
            c.headers(1, RawH2.get("/in-flight"), true);
            Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> counting.requests.size() == 1);
            CompletableFuture<Boolean> stopped = CompletableFuture.supplyAsync(() -> server.stop(Duration.ofSeconds(20)));
            while (c.goaway == null) {
                assertThat(c.read()).as("GOAWAY before the close").isNotNull();
            }
            assertThat(c.goaway.errorCode()).isZero();
            assertThat(c.goaway.lastStream()).isGreaterThanOrEqualTo(1);
            counting.release.countDown();
            RawH2.Response r = c.await(1);
            assertThat(r.status()).isEqualTo("200");
            assertThat(r.text()).isEqualTo("ok");
            c.untilClosed();
            assertThat(stopped.get()).as("every connection finished within the grace period").isTrue();
        }
        server = null;
    }

    @Test
    void keepaliveRequestsEndsAConnectionWithGoawayAfterItsLastStream() throws Exception {
        int port = startOnBackends("keepalive_requests: 3\n");
        try (RawH2 c = new RawH2(port)) {
            List<String> bodies = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                c.headers(1 + 2 * i, RawH2.get("/k" + i), true);
                bodies.add(c.await(1 + 2 * i).text());
            }
            assertThat(bodies).allMatch(b -> b.matches("[ab] GET /k\\d 0"));
            c.untilClosed();
            assertThat(c.goaway).isNotNull();
            assertThat(c.goaway.errorCode()).isZero();
            assertThat(c.goaway.lastStream()).isEqualTo(5);
        }
    }

    /**
     * RFC 9113 6.8: a stream the client opened after our GOAWAY (above its last stream id) is
     * ignored, and so is its RST_STREAM when the client gives it up; the streams in flight
     * below the GOAWAY still get their responses. (Netty alone answers that RST_STREAM with a
     * connection error, which cut the stream in flight: the swarm's users met it under load.)
     */
    @Test
    void aResetCrossingOurGoawayIsIgnoredAndTheStreamInFlightFinishes() throws Exception {
        int port = startOnCounting("keepalive_requests: 1\n");
        try (RawH2 c = new RawH2(port)) {
            c.headers(1, RawH2.get("/in-flight"), true);
            Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> counting.requests.size() == 1);
            while (c.goaway == null) {
                assertThat(c.read()).as("GOAWAY after the last stream keepalive_requests allows").isNotNull();
            }
            assertThat(c.goaway.lastStream()).isEqualTo(1);
            c.headers(3, RawH2.get("/after-goaway"), true);
            c.reset(3, 8); // CANCEL
            c.windowUpdate(3, 1000);
            counting.release.countDown();
            RawH2.Response r = c.await(1);
            assertThat(r.status()).isEqualTo("200");
            assertThat(c.goaway.errorCode()).as("no connection error").isZero();
            assertThat(counting.requests).as("stream 3 never reached an upstream").hasSize(1);
        }
    }

    @Test
    void anIdleConnectionIsClosedAfterKeepaliveTimeout() throws Exception {
        int port = startOnBackends("keepalive_timeout: 1s\n");
        try (RawH2 c = new RawH2(port)) {
            c.headers(1, RawH2.get("/once"), true);
            assertThat(c.await(1).status()).isEqualTo("200");
            long t0 = System.nanoTime();
            c.untilClosed();
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(8));
            assertThat(c.goaway).isNotNull();
        }
    }

    @Test
    void requestHeadersHttp2ForbidsAreRefusedPerStream() throws Exception {
        int port = startOnBackends("");
        try (RawH2 c = new RawH2(port)) {
            Http2Headers bad = RawH2.get("/bad").add("connection", "keep-alive");
            c.headers(1, bad, true);
            RawH2.Response r = c.await(1);
            assertThat(r.reset).as("RST_STREAM for a connection-specific header").isNotNull();
            c.headers(3, RawH2.get("/good"), true);
            assertThat(c.await(3).status()).isEqualTo("200");
        }
        assertThat(backends.drainSeen()).extracting(TestBackends.Seen::uri).containsExactly("/good");
    }

    @Test
    void anUploadThatWaitsDoesNotHoldBackTheOtherStreamsUploads() throws Exception {
        counting = new CountingBackend();
        counting.release = new CountDownLatch(1);
        backends = new TestBackends("a");
        backends.on("a", s -> new TestBackends.Action(200, 0, false, "a " + s.method() + " " + s.uri() + " " + s.body().length()));
        int port = startYaml("listen: 127.0.0.1:0 http2\nclient_max_body_size: 1m\n"
                + "locations:\n  /held/:\n    proxy_pass: http://held\n  /free/:\n    proxy_pass: http://free\n"
                + "upstreams:\n  held:\n    queue: 10 timeout=60s\n    servers: [\"127.0.0.1:" + counting.server.getLocalPort()
                + " max_conns=1\"]\n  free:\n    servers: [" + backends.address("a") + "]\n");
        try (RawH2 c = new RawH2(port)) {
            c.headers(1, RawH2.get("/held/first"), true); // takes the held upstream's one connection
            Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> counting.requests.size() == 1);
            // A second upload waits in the queue with its whole stream window (64 KB) unread...
            c.headers(3, RawH2.request("POST", "/held/second"), false);
            c.data(3, new byte[16_384], false);
            c.data(3, new byte[16_384], false);
            c.data(3, new byte[16_384], false);
            c.data(3, new byte[16_383], false);
            // ...and a third, elsewhere, still gets through whole.
            c.headers(5, RawH2.request("POST", "/free/third"), false);
            c.body(5, new byte[200_000]);
            RawH2.Response third = c.await(5);
            assertThat(third.status()).isEqualTo("200");
            assertThat(third.text()).isEqualTo("a POST /free/third 200000");
            counting.release.countDown();
        }
    }

    @Test
    void anEarlyAnswerEndsTheStreamWithNoErrorAndTheConnectionGoesOn() throws Exception {
        int port = startOnBackends("client_max_body_size: 1k\n");
        try (RawH2 c = new RawH2(port)) {
            c.headers(1, RawH2.request("POST", "/too-big").add("content-length", "5000"), false);
            RawH2.Response r = c.await(1);
            assertThat(r.status()).isEqualTo("413");
            while (r.reset == null) {
                assertThat(c.read()).as("RST_STREAM after the early answer").isNotNull();
            }
            assertThat(r.reset).as("NO_ERROR, not CANCEL").isZero();
            c.headers(3, RawH2.get("/next"), true);
            assertThat(c.await(3).status()).isEqualTo("200");
        }
    }

    @Test
    void aFrameOfUnknownTypeInTheMiddleOfABodyIsIgnored() throws Exception {
        int port = startOnBackends("");
        try (RawH2 c = new RawH2(port)) {
            c.headers(1, RawH2.request("POST", "/with-extension"), false);
            c.data(1, "0123456789".getBytes(StandardCharsets.US_ASCII), false);
            c.frame(0xfa, 0, 1, new byte[] {1, 2, 3}); // RFC 9113, 5.5: to be ignored
            c.data(1, "abcdefghij".getBytes(StandardCharsets.US_ASCII), true);
            RawH2.Response r = c.await(1);
            assertThat(r.status()).isEqualTo("200");
            assertThat(r.text()).endsWith("POST /with-extension 20");
        }
        assertThat(backends.drainSeen().get(0).body()).isEqualTo("0123456789abcdefghij");
    }

    @Test
    void keepaliveTimeoutZeroServesOneStreamThenSaysGoaway() throws Exception {
        int port = startOnBackends("keepalive_timeout: 0\n");
        try (RawH2 c = new RawH2(port)) {
            c.headers(1, RawH2.get("/only"), true);
            assertThat(c.await(1).status()).isEqualTo("200");
            c.untilClosed();
            assertThat(c.goaway).isNotNull();
            assertThat(c.goaway.lastStream()).isEqualTo(1);
        }
    }
}
