package io.stampede.balancer.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.stampede.common.testing.RawHttp;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The upstream keep-alive pool seen from the server's side of the socket: an idle connection is
 * reused, closed after {@code keepalive_timeout}, and the least recently used one is closed at
 * once when more than {@code keepalive} go idle together (the pool's one timer per list), each with
 * a reset rather than a FIN.
 */
class UpstreamKeepaliveTest {
    private CountingBackend backend;
    private TestProxy proxy;

    @AfterEach
    void stop() throws Exception {
        if (proxy != null) {
            proxy.close();
        }
        if (backend != null) {
            backend.close();
        }
    }

    private void start(int keepalive, String timeout) throws Exception {
        backend = new CountingBackend();
        proxy = new TestProxy("worker_processes: 1\nlocations:\n  /:\n    proxy_pass: http://b\nupstreams:\n  b:\n    keepalive: " + keepalive
                + "\n    keepalive_timeout: " + timeout + "\n    servers: [\"" + backend.address() + "\"]\n");
    }

    private int get(RawHttp c) throws IOException {
        c.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
        return c.read().status();
    }

    @Test
    void anIdleConnectionIsReusedThenClosedAfterKeepaliveTimeout() throws Exception {
        start(4, "400ms");
        try (RawHttp c = new RawHttp(proxy.address)) {
            assertThat(get(c)).isEqualTo(200);
            assertThat(get(c)).isEqualTo(200);
            assertThat(backend.accepted).as("the second request reused the pooled connection").hasSize(1);
            long idleFrom = System.nanoTime();
            Awaitility.await("closed by the proxy").atMost(Duration.ofSeconds(5)).until(() -> backend.closed.size() == 1);
            assertThat(Duration.ofNanos(backend.closed.get(0) - idleFrom)).isGreaterThanOrEqualTo(Duration.ofMillis(300));
            // The pool lets idle connections go with a reset, so no TIME_WAIT piles up on the proxy's ports.
            assertThat(backend.how).containsExactly("reset");
            assertThat(get(c)).as("a fresh connection after the timeout").isEqualTo(200);
            assertThat(backend.accepted).hasSize(2);
        }
    }

    @Test
    void theLeastRecentlyUsedIsClosedAtOnceWhenThePoolIsFull() throws Exception {
        start(1, "60s");
        backend.release = new CountDownLatch(1);
        try (RawHttp a = new RawHttp(proxy.address); RawHttp b = new RawHttp(proxy.address);
             RawHttp third = new RawHttp(proxy.address)) {
            a.send("GET /a HTTP/1.1\r\nHost: x\r\n\r\n");
            b.send("GET /b HTTP/1.1\r\nHost: x\r\n\r\n");
            third.send("GET /c HTTP/1.1\r\nHost: x\r\n\r\n");
            Awaitility.await("three connections in use").atMost(Duration.ofSeconds(5)).until(() -> backend.accepted.size() == 3);
            backend.release.countDown();
            assertThat(a.read().status()).isEqualTo(200);
            assertThat(b.read().status()).isEqualTo(200);
            assertThat(third.read().status()).isEqualTo(200);
            // keepalive 1: two of the three go at once, long before the 60 s timeout; one stays.
            Awaitility.await("two closed").atMost(Duration.ofSeconds(5)).until(() -> backend.closed.size() == 2);
            assertThat(get(a)).isEqualTo(200);
            assertThat(backend.accepted).as("the one kept idle is reused").hasSize(3);
            assertThat(backend.closed).hasSize(2);
            assertThat(backend.how).containsExactly("reset", "reset");
        }
    }
}
