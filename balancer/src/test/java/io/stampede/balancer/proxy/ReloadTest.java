package io.stampede.balancer.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.stampede.balancer.config.ConfigLoader;
import io.stampede.balancer.config.ProxyConfig;
import io.stampede.balancer.upstream.PeerGroup;
import io.stampede.common.wire.PeerState;
import java.io.StringReader;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Live reconfiguration in one process: {@link ProxyServer#reload} under load loses no request,
 * keeps each server's state, applies a new configuration whole or not at all.
 */
class ReloadTest {
    /** One thread per simulated client: they must run at once (the common pool has a single thread on two cores). */
    private final java.util.concurrent.ExecutorService clients = java.util.concurrent.Executors.newCachedThreadPool();

    @org.junit.jupiter.api.AfterEach
    void stopClients() {
        clients.shutdownNow();
    }

    @TempDir
    Path dir;

    private static ProxyConfig config(String yaml) {
        return ConfigLoader.parse("reload.yaml", new StringReader("listen: 127.0.0.1:0\n" + yaml));
    }

    private static String pool(String servers, String extra) {
        return "locations:\n  /:\n    proxy_pass: http://pool\n" + extra + "upstreams:\n  pool:\n    servers: [" + servers + "]\n";
    }

    private static PeerGroup.PeerSnapshot peer(TestProxy proxy, String address) {
        return proxy.server.groups().get("pool").snapshot().stream().filter(p -> p.server().equals(address)).findFirst().orElseThrow();
    }

    @Test
    void reloadsUnderLoadLoseNothingAndApplyTheNewWeights() throws Exception {
        try (TestBackends b = new TestBackends("a", "b", "c")) {
            String first = pool("\"" + b.address("a") + " weight=3\", " + b.address("b"), "");
            String second = pool(b.address("a") + ", \"" + b.address("c") + " weight=2\"",
                    "  /extra/:\n    proxy_pass: http://" + b.address("c") + "\n");
            try (TestProxy proxy = new TestProxy(first)) {
                AtomicBoolean running = new AtomicBoolean(true);
                AtomicLong ok = new AtomicLong();
                Map<String, AtomicInteger> failures = new ConcurrentHashMap<>();
                List<CompletableFuture<Void>> users = new ArrayList<>();
                for (int u = 0; u < 16; u++) {
                    users.add(CompletableFuture.runAsync(() -> {
                        while (running.get()) {
                            try {
                                HttpResponse<String> r = proxy.client.send(HttpRequest.newBuilder(URI.create(proxy.url("/x")))
                                        .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
                                if (r.statusCode() == 200) {
                                    ok.incrementAndGet();
                                } else {
                                    failures.computeIfAbsent("status " + r.statusCode(), k -> new AtomicInteger()).incrementAndGet();
                                }
                            } catch (Exception e) {
                                failures.computeIfAbsent(e.toString(), k -> new AtomicInteger()).incrementAndGet();
                            }
                        }
                    }, clients));
                }
                for (int i = 0; i < 40; i++) {
                    long before = ok.get();
                    // Some requests between two reloads, so every reload lands on traffic.
                    Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> ok.get() >= before + 20);
                    assertThat(proxy.server.reload(config(i % 2 == 0 ? second : first))).isNull();
                }
                running.set(false);
                CompletableFuture.allOf(users.toArray(CompletableFuture[]::new)).get();
                assertThat(failures).as("requests that failed across 40 reloads").isEmpty();
                assertThat(ok.get()).isGreaterThan(800);
                // The last reload applied the first configuration: a and b, 3 to 1.
                b.drain();
                for (int i = 0; i < 40; i++) {
                    assertThat(proxy.get("/y").statusCode()).isEqualTo(200);
                }
                String seen = b.drain();
                assertThat(seen).doesNotContain("c");
                long toA = seen.chars().filter(ch -> ch == 'a').count();
                assertThat(toA).isBetween(29L, 31L);
                assertThat(proxy.get("/extra/z").statusCode()).as("the second configuration's location is gone").isEqualTo(200);
                assertThat(b.drain()).isNotEqualTo("c");
            }
        }
    }

    @Test
    void aLocationAndAServerAddedByAReloadServeAtOnce() throws Exception {
        try (TestBackends b = new TestBackends("a", "c");
             TestProxy proxy = new TestProxy(pool(b.address("a"), ""))) {
            assertThat(proxy.server.reload(config(pool(b.address("a"),
                    "  /extra/:\n    proxy_pass: http://" + b.address("c") + "\n")))).isNull();
            b.drain();
            assertThat(proxy.get("/extra/1").statusCode()).isEqualTo(200);
            assertThat(b.drain()).isEqualTo("c");
        }
    }

    @Test
    void aServerFailedBeforeAReloadIsStillOutAfterIt() throws Exception {
        try (TestBackends b = new TestBackends("a", "b")) {
            b.on("b", s -> TestBackends.Action.closeConnection());
            String servers = b.address("a") + ", \"" + b.address("b") + " max_fails=1 fail_timeout=30\"";
            try (TestProxy proxy = new TestProxy(pool(servers, ""))) {
                for (int i = 0; i < 4; i++) {
                    assertThat(proxy.get("/").statusCode()).isEqualTo(200);
                }
                assertThat(peer(proxy, b.address("b")).state()).isEqualTo(PeerState.UNAVAIL);
                // Same servers, a new weight for a: b keeps its failure.
                assertThat(proxy.server.reload(config(pool("\"" + b.address("a") + " weight=2\", \"" + b.address("b")
                        + " max_fails=1 fail_timeout=30\"", "")))).isNull();
                assertThat(peer(proxy, b.address("b")).state()).isEqualTo(PeerState.UNAVAIL);
                b.drain();
                for (int i = 0; i < 6; i++) {
                    assertThat(proxy.get("/").statusCode()).isEqualTo(200);
                }
                assertThat(b.drain()).isEqualTo("a a a a a a");
            }
        }
    }

    @Test
    void anUnhealthyServerStaysOutAndCheckingGoesOn() throws Exception {
        try (TestBackends b = new TestBackends("a", "b")) {
            b.on("b", s -> s.uri().equals("/health") ? TestBackends.Action.status(503) : TestBackends.Action.ok());
            String yaml = pool(b.address("a") + ", " + b.address("b"), "    health_check: interval=1s uri=/health\n");
            try (TestProxy proxy = new TestProxy(yaml)) {
                Awaitility.await().atMost(Duration.ofSeconds(10))
                        .until(() -> peer(proxy, b.address("b")).state() == PeerState.UNHEALTHY);
                assertThat(proxy.server.reload(config(yaml.replace("interval=1s", "interval=2s")))).isNull();
                assertThat(peer(proxy, b.address("b")).state()).isEqualTo(PeerState.UNHEALTHY);
                b.drain();
                for (int i = 0; i < 4; i++) {
                    assertThat(proxy.get("/").statusCode()).isEqualTo(200);
                }
                assertThat(b.drain()).doesNotContain("b");
                // The continued check still decides: b recovers when its check passes.
                b.on("b", s -> TestBackends.Action.ok());
                Awaitility.await().atMost(Duration.ofSeconds(10))
                        .until(() -> peer(proxy, b.address("b")).state() == PeerState.UP);
            }
        }
    }

    @Test
    void leastConnCountsRequestsInFlightAcrossAReload() throws Exception {
        try (TestBackends b = new TestBackends("a", "b")) {
            b.on("a", s -> s.uri().equals("/slow") ? TestBackends.Action.delay(1_500) : TestBackends.Action.ok());
            String yaml = "locations:\n  /:\n    proxy_pass: http://pool\nupstreams:\n  pool:\n    balance: least_conn\n"
                    + "    servers: [" + b.address("a") + ", " + b.address("b") + "]\n";
            try (TestProxy proxy = new TestProxy(yaml)) {
                CompletableFuture<HttpResponse<String>> slow = proxy.client.sendAsync(HttpRequest.newBuilder(
                        URI.create(proxy.url("/slow"))).timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
                Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> peer(proxy, b.address("a")).conns() == 1);
                assertThat(proxy.server.reload(config(yaml.replace("least_conn", "least_conn\n    keepalive: 8")))).isNull();
                assertThat(peer(proxy, b.address("a")).conns()).as("a's request in flight, seen by the new group").isEqualTo(1);
                b.drain();
                // a is busy: least_conn sends the next requests to b.
                assertThat(proxy.get("/fast").statusCode()).isEqualTo(200);
                assertThat(b.drain()).isEqualTo("b");
                assertThat(slow.get().statusCode()).isEqualTo(200);
                Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> peer(proxy, b.address("a")).conns() == 0);
            }
        }
    }

    @Test
    void stickyClientsStayOnTheirServerAcrossAReload() throws Exception {
        try (TestBackends b = new TestBackends("a", "b")) {
            b.on("a", s -> TestBackends.Action.setCookie("sid=session-a; Path=/"));
            b.on("b", s -> TestBackends.Action.setCookie("sid=session-b; Path=/"));
            String learn = "    sticky: learn create=$upstream_cookie_sid lookup=$cookie_sid zone=s:1m timeout=1h\n";
            String cookie = "    sticky: cookie srv\n";
            for (String sticky : List.of(learn, cookie)) {
                String yaml = "locations:\n  /:\n    proxy_pass: http://api\nupstreams:\n  api:\n" + sticky
                        + "    servers: [" + b.address("a") + ", " + b.address("b") + "]\n";
                try (TestProxy proxy = new TestProxy(yaml)) {
                    b.drain();
                    HttpResponse<String> first = proxy.get("/login");
                    String server = b.drain();
                    String session = sticky == learn ? "sid=session-" + server
                            : first.headers().allValues("set-cookie").stream().filter(c -> c.startsWith("srv="))
                                    .findFirst().orElseThrow().split(";")[0];
                    // New weights that would send every unbound request to the other server.
                    String other = server.equals("a") ? "b" : "a";
                    assertThat(proxy.server.reload(config(yaml.replace(b.address(other), "\"" + b.address(other) + " weight=50\"")))).isNull();
                    for (int i = 0; i < 5; i++) {
                        proxy.send(HttpRequest.newBuilder(URI.create(proxy.url("/" + i))).header("Cookie", session)
                                .timeout(Duration.ofSeconds(10)).build());
                    }
                    assertThat(b.drain()).as(sticky).isEqualTo(String.join(" ", java.util.Collections.nCopies(5, server)));
                }
            }
        }
    }

    @Test
    void aServerAddedWithAMandatoryCheckGetsNothingUntilItPasses() throws Exception {
        try (TestBackends b = new TestBackends("a", "b")) {
            b.on("b", s -> s.uri().equals("/health") ? TestBackends.Action.status(503) : TestBackends.Action.ok());
            // persistent: a, healthy before the reload, stays up (without it, nginx Plus checks it afresh too).
            String check = "    health_check: interval=1s uri=/health mandatory persistent\n";
            try (TestProxy proxy = new TestProxy(pool(b.address("a"), check))) {
                Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> peer(proxy, b.address("a")).state() == PeerState.UP);
                assertThat(proxy.server.reload(config(pool(b.address("a") + ", " + b.address("b"), check)))).isNull();
                b.drain();
                for (int i = 0; i < 6; i++) {
                    assertThat(proxy.get("/").statusCode()).isEqualTo(200);
                }
                assertThat(b.drainSeen()).filteredOn(x -> !x.uri().equals("/health")).extracting(x -> x.backend())
                        .containsExactly("a", "a", "a", "a", "a", "a");
                assertThat(peer(proxy, b.address("b")).state()).isIn(PeerState.CHECKING, PeerState.UNHEALTHY);
                b.on("b", s -> TestBackends.Action.ok());
                Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> peer(proxy, b.address("b")).state() == PeerState.UP);
            }
        }
    }

    @Test
    void aRequestWaitingInTheQueueIsServedAfterAReload() throws Exception {
        try (TestBackends b = new TestBackends("a")) {
            b.on("a", s -> s.uri().equals("/slow") ? TestBackends.Action.delay(1_500) : TestBackends.Action.ok());
            String yaml = "locations:\n  /:\n    proxy_pass: http://pool\nupstreams:\n  pool:\n    queue: 10 timeout=20s\n"
                    + "    servers: [\"" + b.address("a") + " max_conns=1\"]\n";
            try (TestProxy proxy = new TestProxy(yaml)) {
                CompletableFuture<HttpResponse<String>> slow = proxy.client.sendAsync(HttpRequest.newBuilder(
                        URI.create(proxy.url("/slow"))).timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString());
                Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> peer(proxy, b.address("a")).conns() == 1);
                CompletableFuture<HttpResponse<String>> queued = proxy.client.sendAsync(HttpRequest.newBuilder(
                        URI.create(proxy.url("/queued"))).timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString());
                Awaitility.await().atMost(Duration.ofSeconds(5))
                        .until(() -> proxy.server.groups().get("pool").queueCounters().size() == 1);
                // The reload's group has a queue of its own: one request waits in the old queue, one
                // (sent after the reload) in the new; the slot the old request frees serves both in turn.
                assertThat(proxy.server.reload(config(yaml.replace("queue: 10", "queue: 20")))).isNull();
                CompletableFuture<HttpResponse<String>> after = proxy.client.sendAsync(HttpRequest.newBuilder(
                        URI.create(proxy.url("/after"))).timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString());
                Awaitility.await().atMost(Duration.ofSeconds(5))
                        .until(() -> proxy.server.groups().get("pool").queueCounters().size() == 1);
                assertThat(slow.get().statusCode()).isEqualTo(200);
                assertThat(queued.get().statusCode()).isEqualTo(200);
                assertThat(after.get().statusCode()).isEqualTo(200);
                assertThat(b.drainSeen()).extracting(x -> x.uri()).containsExactly("/slow", "/queued", "/after");
            }
        }
    }

    @Test
    void aReloadThatCannotBeAppliedChangesNothing() throws Exception {
        try (TestBackends b = new TestBackends("a", "b");
             TestProxy proxy = new TestProxy(pool(b.address("a"), ""));
             ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            PeerGroup before = proxy.server.groups().get("pool");
            List<String> changed = List.of(
                    // A port another process holds.
                    "listen: [127.0.0.1:0, 127.0.0.1:" + taken.getLocalPort() + "]\n" + pool(b.address("b"), ""),
                    // An access log that cannot be opened.
                    "listen: 127.0.0.1:0\naccess_log: /proc/no/such/dir/access.log\n" + pool(b.address("b"), ""),
                    // An admin listener on a port another process holds.
                    "listen: 127.0.0.1:0\nadmin:\n  listen: 127.0.0.1:" + taken.getLocalPort() + "\n" + pool(b.address("b"), ""),
                    // A new listener beside one that cannot be applied: the first is closed again.
                    "listen: [127.0.0.1:0, 127.0.0.1:0, 127.0.0.1:" + taken.getLocalPort() + "]\n" + pool(b.address("b"), ""));
            // Backups only, as the API or the resolver could ask for: refused before anything opens.
            String backupsOnly = proxy.server.reload(config(pool(b.address("a"), "")).withUpstream(
                    proxy.server.runtime().config().upstreams().get("pool").withServers(List.of(
                            new io.stampede.balancer.config.ServerConfig(b.address("b"), new java.net.InetSocketAddress("127.0.0.1",
                                    b.ports.get("b")), 1, 1, 10, 0, true, false)))));
            assertThat(backupsOnly).contains("every server is a backup");
            assertThat(proxy.server.groups().get("pool")).isSameAs(before);
            for (String yaml : changed) {
                String why = proxy.server.reload(ConfigLoader.parse("bad.yaml", new StringReader(yaml)));
                assertThat(why).as(yaml).isNotNull();
                assertThat(proxy.server.groups().get("pool")).as("the upstreams are the old ones").isSameAs(before);
                assertThat(proxy.server.addresses()).hasSize(1);
                b.drain();
                assertThat(proxy.get("/").statusCode()).isEqualTo(200);
                assertThat(b.drain()).as("still the old configuration's server").isEqualTo("a");
            }
        }
    }

    @Test
    void reopenStartsANewFileAfterRotation() throws Exception {
        Path log = dir.resolve("access.log");
        try (TestBackends b = new TestBackends("a");
             TestProxy proxy = new TestProxy("access_log: " + log + "\n" + pool(b.address("a"), ""))) {
            assertThat(proxy.get("/before").statusCode()).isEqualTo(200);
            Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> Files.exists(log) && Files.readString(log).contains("/before"));
            Path rotated = dir.resolve("access.log.1");
            Files.move(log, rotated);
            proxy.server.reopenLogs();
            assertThat(proxy.get("/after").statusCode()).isEqualTo(200);
            Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> Files.exists(log) && Files.readString(log).contains("/after"));
            assertThat(Files.readString(rotated)).contains("/before").doesNotContain("/after");
        }
    }
}
