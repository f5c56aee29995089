package io.stampede.api;

import io.stampede.common.testing.RawHttp;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class ConnectionHandlingTest {
    static TestApi api;
    static String access;

    @BeforeAll
    static void start() throws InterruptedException {
        api = TestApi.start(4, Duration.ofMillis(2), 16);
        access = api.access();
    }

    @AfterAll
    static void stop() {
        api.close();
    }

    @Test
    void pipelinedRequestsAreAnsweredInOrder() throws Exception {
        try (RawHttp http = new RawHttp(api.instance.address())) {
            StringBuilder all = new StringBuilder();
            for (int id = 5; id >= 1; id--) {
                all.append("GET /api/v1/products/").append(id).append("/ HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer ")
                        .append(access).append("\r\n\r\n");
            }
            http.send(all.toString());
            for (int id = 5; id >= 1; id--) {
                RawHttp.Response r = http.read();
                assertThat(r.status()).isEqualTo(200);
                assertThat(r.body()).startsWith("{\"id\":" + id + ",");
            }
        }
    }

    @Test
    void http10ClientsGetOneResponseAndAClose() throws Exception {
        try (RawHttp http = new RawHttp(api.instance.address())) {
            http.send("GET /healthz HTTP/1.0\r\n\r\n");
            RawHttp.Response r = http.read();
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.head()).startsWith("HTTP/1.0 200");
            assertThat(http.closedByPeer()).isTrue();
        }
    }

    @Test
    void http10KeepAliveIsHonoured() throws Exception {
        try (RawHttp http = new RawHttp(api.instance.address())) {
            http.send("GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
            assertThat(http.read().header("Connection")).isEqualToIgnoringCase("keep-alive");
            http.send("GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
            assertThat(http.read().status()).isEqualTo(200);
        }
    }

    @Test
    void connectionCloseIsHonoured() throws Exception {
        try (RawHttp http = new RawHttp(api.instance.address())) {
            http.send("GET /healthz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
            assertThat(http.read().header("Connection")).isEqualToIgnoringCase("close");
            assertThat(http.closedByPeer()).isTrue();
        }
    }

    @Test
    void malformedRequestIs400AndClosed() throws Exception {
        try (RawHttp http = new RawHttp(api.instance.address())) {
            http.send("GET /healthz HTTP/1.1\r\nHost: t\r\nContent-Length: nope\r\n\r\n");
            RawHttp.Response r = http.read();
            assertThat(r.status()).isEqualTo(400);
            assertThat(r.body()).contains("\"errors\"");
            assertThat(http.closedByPeer()).isTrue();
        }
    }

    @Test
    void clientThatLeavesWhileQueuedDoesNotLeakAWorker() throws Exception {
        try (TestApi slow = TestApi.start(1, Duration.ofMillis(300), 8)) {
            String token = slow.access();
            for (int i = 0; i < 3; i++) {
                RawHttp gone = new RawHttp(slow.instance.address());
                gone.send("GET /api/v1/products/1/ HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer " + token + "\r\n\r\n");
                gone.close();
            }
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> {
                var stats = slow.get("/_admin/stats", null).json();
                return stats.get("in_flight").asInt() == 0 && stats.get("busy_workers").asInt() == 0;
            });
            assertThat(slow.get("/api/v1/products/2/", token).status()).isEqualTo(200);
        }
    }
}
