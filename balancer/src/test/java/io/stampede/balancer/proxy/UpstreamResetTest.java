package io.stampede.balancer.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * An upstream that sends part of a response head and resets the connection, over and over on
 * pooled connections: each such request must end in 502 at once, never wait out the read timeout
 * (a 504). With io_uring's multishot POLLIN (Netty's default) about one in six did; see
 * {@code Transport}.
 */
class UpstreamResetTest {
    @Test
    void everyResetInsideTheHeadIsSeenAtOnce() throws Exception {
        try (ScriptedUpstream upstream = new ScriptedUpstream(line -> line.contains("/reset/")
                ? ScriptedUpstream.Reply.of("HTTP/1.1 200 OK\r\nContent-Le", ScriptedUpstream.After.RESET) : null);
             TestProxy proxy = new TestProxy("worker_processes: 1\nproxy_read_timeout: 2s\nproxy_next_upstream: off\n"
                     + "locations:\n  /:\n    proxy_pass: http://backend\n"
                     + "upstreams:\n  backend:\n    keepalive: 8\n    servers: [\"" + upstream.address() + "\"]\n")) {
            Map<Integer, Integer> statuses = new TreeMap<>();
            for (int i = 0; i < 100; i++) {
                assertThat(proxy.get("/fine/" + i).statusCode()).isEqualTo(200); // leaves a pooled connection
                statuses.merge(proxy.get("/reset/" + i).statusCode(), 1, Integer::sum);
            }
            assertThat(statuses).isEqualTo(Map.of(502, 100));
        }
    }
}
