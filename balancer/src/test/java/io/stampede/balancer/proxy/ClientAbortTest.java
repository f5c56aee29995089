package io.stampede.balancer.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * A client that goes away while its response is still being prepared upstream, in raw bytes,
 * against a real nginx in the same test: a close (or a half-close, which nginx treats the same)
 * ends the upstream request too, as nginx's broken-connection check does, and no response goes to
 * a client that left. (The transport reports the client's hang-up even while the proxy is not
 * reading; since the proxy now also reads ahead while a whole request waits, this pins both.)
 */
class ClientAbortTest {
    /** How the request ended, seen from both sides: did the upstream connection close, did the client get bytes. */
    private static String abort(InetSocketAddress proxy, CountingBackend backend, boolean halfClose) throws Exception {
        backend.release = new CountDownLatch(1);
        int closedBefore = backend.closed.size();
        int requestsBefore = backend.requests.size();
        try (Socket client = new Socket()) {
            client.connect(proxy, 5_000);
            client.setSoTimeout(5_000);
            client.getOutputStream().write("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
            client.getOutputStream().flush();
            Awaitility.await("the request reached the upstream").atMost(Duration.ofSeconds(5))
                    .until(() -> backend.requests.size() > requestsBefore);
            if (halfClose) {
                client.shutdownOutput();
            } else {
                client.close();
            }
            boolean upstreamClosed;
            try {
                // The observation window: nginx and we both notice within milliseconds.
                Awaitility.await().atMost(Duration.ofSeconds(2)).until(() -> backend.closed.size() > closedBefore);
                upstreamClosed = true;
            } catch (ConditionTimeoutException e) {
                upstreamClosed = false;
            }
            backend.release.countDown();
            String got = "-";
            if (halfClose) {
                InputStream in = client.getInputStream();
                byte[] buf = new byte[256];
                int n;
                try {
                    n = in.read(buf);
                } catch (IOException e) {
                    n = -1;
                }
                got = n < 0 ? "nothing" : new String(buf, 0, n, StandardCharsets.ISO_8859_1).split("\r\n")[0];
            }
            return (upstreamClosed ? "upstream closed" : "upstream kept") + ", client got " + got;
        }
    }

    @Test
    void aClientThatLeavesWhileWaitingEndsTheUpstreamRequestAsWithNginx() throws Exception {
        try (CountingBackend backend = new CountingBackend();
             TestProxy proxy = new TestProxy("locations:\n  /:\n    proxy_pass: http://b\nupstreams:\n  b:\n    servers: [\""
                     + backend.address() + "\"]\n")) {
            String closeOurs = abort(proxy.address, backend, false);
            String halfOurs = abort(proxy.address, backend, true);
            assertThat(closeOurs).isEqualTo("upstream closed, client got -");
            assertThat(halfOurs).isEqualTo("upstream closed, client got nothing");

            Assumptions.assumeTrue(NginxRunner.binary() != null,
                    "SKIPPED the nginx half of ClientAbortTest: nginx is not installed (apt-get install nginx)");
            try (CountingBackend forNginx = new CountingBackend();
                 NginxRunner nginx = new NginxRunner("    server " + forNginx.address() + ";\n    keepalive 8;", "")) {
                assertThat(abort(nginx.address(), forNginx, false)).as("nginx, client closed").isEqualTo(closeOurs);
                assertThat(abort(nginx.address(), forNginx, true)).as("nginx, client half-closed").isEqualTo(halfOurs);
            }
        }
    }
}
