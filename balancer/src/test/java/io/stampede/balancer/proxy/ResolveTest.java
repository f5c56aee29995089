package io.stampede.balancer.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import io.stampede.balancer.config.ConfigLoader;
import java.io.StringReader;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code resolve} with a {@code resolver}: servers appear and go as a DNS server on loopback (the
 * test's own) changes its answer, under load, with no request lost and no reload.
 */
class ResolveTest {
    /** One thread per simulated client: they must run at once (the common pool has a single thread on two cores). */
    private final java.util.concurrent.ExecutorService clients = java.util.concurrent.Executors.newCachedThreadPool();

    @org.junit.jupiter.api.AfterEach
    void stopClients() {
        clients.shutdownNow();
    }

    private final List<HttpServer> backends = new ArrayList<>();
    private int port;

    /** One backend per loopback address, all on the same port (a DNS answer gives addresses, not ports). */
    @BeforeEach
    void backends() throws Exception {
        for (int attempt = 0; attempt < 20 && backends.size() < 3; attempt++) {
            backends.forEach(b -> b.stop(0));
            backends.clear();
            try (ServerSocket probe = new ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.2"))) {
                port = probe.getLocalPort();
            }
            try {
                for (String ip : List.of("127.0.0.2", "127.0.0.3", "127.0.0.4")) {
                    HttpServer s = HttpServer.create(new InetSocketAddress(ip, port), 0);
                    s.createContext("/", ex -> {
                        byte[] body = ip.getBytes(StandardCharsets.UTF_8);
                        ex.sendResponseHeaders(200, body.length);
                        ex.getResponseBody().write(body);
                        ex.close();
                    });
                    s.start();
                    backends.add(s);
                }
            } catch (java.net.BindException e) {
                // the port was taken on another address meanwhile: try another
            }
        }
        assertThat(backends).hasSize(3);
    }

    @AfterEach
    void stop() {
        backends.forEach(b -> b.stop(0));
    }

    private static String yaml(int dnsPort, int port) {
        return "resolver: 127.0.0.1:" + dnsPort + " valid=1s ipv6=off\nadmin:\n  listen: 127.0.0.1:0\n"
                + "locations:\n  /:\n    proxy_pass: http://api\nupstreams:\n  api:\n    servers: [\"backend.test:" + port + " resolve\"]\n";
    }

    @Test
    void serversFollowTheDnsAnswerUnderLoad() throws Exception {
        try (TestDns dns = new TestDns()) {
            dns.answer("backend.test", "127.0.0.2");
            try (TestProxy proxy = new TestProxy(yaml(dns.port(), port))) {
                Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> proxy.get("/").body().equals("127.0.0.2"));
                AtomicBoolean running = new AtomicBoolean(true);
                Map<String, AtomicInteger> failures = new ConcurrentHashMap<>();
                Set<String> seen = ConcurrentHashMap.newKeySet();
                java.util.concurrent.atomic.AtomicLong done = new java.util.concurrent.atomic.AtomicLong();
                List<CompletableFuture<Void>> users = new ArrayList<>();
                for (int u = 0; u < 4; u++) {
                    users.add(CompletableFuture.runAsync(() -> {
                        while (running.get()) {
                            try {
                                HttpResponse<String> r = proxy.send(HttpRequest.newBuilder(URI.create(proxy.url("/load")))
                                        .timeout(Duration.ofSeconds(10)).build());
                                done.incrementAndGet();
                                if (r.statusCode() == 200) {
                                    seen.add(r.body());
                                } else {
                                    failures.computeIfAbsent("status " + r.statusCode(), k -> new AtomicInteger()).incrementAndGet();
                                }
                            } catch (RuntimeException e) {
                                failures.computeIfAbsent(e.toString(), k -> new AtomicInteger()).incrementAndGet();
                            }
                        }
                    }, clients));
                }
                dns.answer("backend.test", "127.0.0.2", "127.0.0.3");
                Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> seen.contains("127.0.0.3"));
                dns.answer("backend.test", "127.0.0.3", "127.0.0.4");
                Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> proxy.server.groups().get("api").snapshot().stream()
                        .map(p -> p.name()).toList().equals(List.of("127.0.0.3:" + port, "127.0.0.4:" + port)));
                // Requests sent to .2 before the change may still be answering: let them finish, then look.
                long mark = done.get();
                Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> done.get() >= mark + 20);
                seen.clear();
                long from = done.get();
                Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> seen.contains("127.0.0.4") && done.get() >= from + 20);
                running.set(false);
                CompletableFuture.allOf(users.toArray(CompletableFuture[]::new)).get();
                assertThat(failures).as("requests lost while the servers changed").isEmpty();
                assertThat(seen).doesNotContain("127.0.0.2");

                // A reload from the file keeps what the resolver found: no moment without servers,
                // even when the resolve line's parameters change.
                assertThat(proxy.server.reload(ConfigLoader.parse("again.yaml", new StringReader("listen: 127.0.0.1:0\n"
                        + yaml(dns.port(), port).replace(" resolve", " resolve weight=3"))))).isNull();
                assertThat(proxy.get("/").statusCode()).isEqualTo(200);
                assertThat(proxy.server.groups().get("api").snapshot()).hasSize(2).allSatisfy(p -> assertThat(p.weight()).isEqualTo(3));

                // The API leaves resolved servers to the resolver.
                int id = proxy.server.groups().get("api").snapshot().get(0).id();
                HttpResponse<String> patch = proxy.client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                                + proxy.server.adminAddress().orElseThrow().getPort() + "/api/9/http/upstreams/api/servers/" + id))
                        .method("PATCH", HttpRequest.BodyPublishers.ofString("{\"weight\": 3}")).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(patch.statusCode()).isEqualTo(400);
                assertThat(patch.body()).contains("UpstreamServerImmutable");
            }
        }
    }

    @Test
    void aNameThatDoesNotResolveYetIsA502UntilItDoes() throws Exception {
        try (TestDns dns = new TestDns();
             TestProxy proxy = new TestProxy(yaml(dns.port(), port))) {
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> dns.queries.get() > 0);
            assertThat(proxy.get("/").statusCode()).isEqualTo(502);
            dns.answer("backend.test", "127.0.0.4");
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> proxy.get("/").statusCode() == 200);
            assertThat(new HashSet<>(List.of(proxy.get("/").body()))).containsExactly("127.0.0.4");
        }
    }
}
