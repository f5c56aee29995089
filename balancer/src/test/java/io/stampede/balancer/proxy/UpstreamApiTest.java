package io.stampede.balancer.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.stampede.balancer.config.ConfigLoader;
import java.io.StringReader;
import java.net.URI;
import java.net.http.HttpClient;
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

/** nginx Plus's API for upstream servers on the admin listener, against a running proxy. */
class UpstreamApiTest {
    /** One thread per simulated client: they must run at once (the common pool has a single thread on two cores). */
    private final java.util.concurrent.ExecutorService clients = java.util.concurrent.Executors.newCachedThreadPool();

    @org.junit.jupiter.api.AfterEach
    void stopClients() {
        clients.shutdownNow();
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @TempDir
    Path dir;

    private record Reply(int status, JsonNode body) {}

    private Reply call(TestProxy proxy, String method, String path, String body, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                        + proxy.server.adminAddress().orElseThrow().getPort() + path)).timeout(Duration.ofSeconds(10))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        return new Reply(r.statusCode(), JSON.readTree(r.body()));
    }

    private static String config(String servers, String extra) {
        return "admin:\n  listen: 127.0.0.1:0\nlocations:\n  /:\n    proxy_pass: http://api\nupstreams:\n  api:\n" + extra
                + (servers == null ? "" : "    servers: [" + servers + "]\n");
    }

    @Test
    void serversAreListedAddedChangedAndRemovedAsInNginxPlus() throws Exception {
        try (TestBackends b = new TestBackends("a", "b", "c");
             TestProxy proxy = new TestProxy(config(b.address("a") + ", \"" + b.address("b") + " weight=2\"", ""))) {
            String servers = "/api/9/http/upstreams/api/servers";
            Reply list = call(proxy, "GET", servers, null);
            assertThat(list.status()).isEqualTo(200);
            assertThat(list.body()).hasSize(2);
            assertThat(list.body().get(1).get("id").asInt()).isEqualTo(1);
            assertThat(list.body().get(1).get("weight").asInt()).isEqualTo(2);
            assertThat(list.body().get(0).get("fail_timeout").asText()).isEqualTo("10s");

            Reply added = call(proxy, "POST", servers, "{\"server\": \"" + b.address("c") + "\", \"weight\": 3, \"max_fails\": 2}");
            assertThat(added.status()).isEqualTo(201);
            assertThat(added.body().get("id").asInt()).isEqualTo(2);
            assertThat(added.body().get("weight").asInt()).isEqualTo(3);
            assertThat(added.body().get("max_fails").asInt()).isEqualTo(2);

            Reply changed = call(proxy, "PATCH", servers + "/1", "{\"weight\": 5, \"down\": true}");
            assertThat(changed.status()).isEqualTo(200);
            assertThat(changed.body().get("weight").asInt()).isEqualTo(5);
            assertThat(changed.body().get("down").asBoolean()).isTrue();
            b.drain();
            for (int i = 0; i < 8; i++) {
                assertThat(proxy.get("/").statusCode()).isEqualTo(200);
            }
            assertThat(b.drain()).doesNotContain("b").contains("c");

            Reply removed = call(proxy, "DELETE", servers + "/0", null);
            assertThat(removed.status()).isEqualTo(200);
            assertThat(removed.body()).extracting(s -> s.get("id").asInt()).containsExactly(1, 2);
            // Ids stay with their servers and are never reused.
            assertThat(call(proxy, "POST", servers, "{\"server\": \"" + b.address("a") + "\"}").body().get("id").asInt()).isEqualTo(3);
            assertThat(call(proxy, "GET", servers + "/2", null).body().get("server").asText()).isEqualTo(b.address("c"));
            assertThat(proxy.server.groups().get("api").snapshot()).extracting(s -> s.id()).containsExactly(1, 2, 3);
        }
    }

    @Test
    void mistakesAreNginxPlusErrors() throws Exception {
        try (TestBackends b = new TestBackends("a");
             TestProxy proxy = new TestProxy(config(b.address("a"), ""))) {
            String servers = "/api/9/http/upstreams/api/servers";
            Map<String, Reply> cases = Map.of(
                    "no such upstream", call(proxy, "GET", "/api/9/http/upstreams/nope/servers", null),
                    "no such server", call(proxy, "PATCH", servers + "/42", "{\"weight\": 2}"),
                    "unknown field", call(proxy, "POST", servers, "{\"server\": \"127.0.0.1:1\", \"wieght\": 2}"),
                    "bad value", call(proxy, "POST", servers, "{\"server\": \"127.0.0.1:1\", \"weight\": 0}"),
                    "not JSON", call(proxy, "POST", servers, "{server"),
                    "twice", call(proxy, "POST", servers, "{\"server\": \"" + b.address("a") + "\"}"),
                    "address change", call(proxy, "PATCH", servers + "/0", "{\"server\": \"127.0.0.1:1\"}"),
                    "last primary to backup", call(proxy, "PATCH", servers + "/0", "{\"backup\": true}"),
                    "version", call(proxy, "GET", "/api/10/http/upstreams/api/servers", null),
                    "cross-site", call(proxy, "DELETE", servers + "/0", null, "Origin", "http://evil.example"));
            assertThat(cases.get("no such upstream").status()).isEqualTo(404);
            assertThat(cases.get("no such upstream").body().at("/error/code").asText()).isEqualTo("UpstreamNotFound");
            assertThat(cases.get("no such server").body().at("/error/code").asText()).isEqualTo("UpstreamServerNotFound");
            assertThat(cases.get("unknown field").status()).isEqualTo(400);
            assertThat(cases.get("unknown field").body().at("/error/text").asText()).contains("unknown parameter \"wieght\"");
            assertThat(cases.get("bad value").body().at("/error/text").asText()).contains("weight=0 (expected an integer >= 1)");
            assertThat(cases.get("not JSON").status()).isEqualTo(400);
            assertThat(cases.get("twice").status()).isEqualTo(409);
            assertThat(cases.get("address change").status()).isEqualTo(400);
            assertThat(cases.get("last primary to backup").status()).isEqualTo(400);
            assertThat(cases.get("last primary to backup").body().at("/error/text").asText()).contains("every server would be a backup");
            assertThat(cases.get("version").status()).isEqualTo(404);
            assertThat(cases.get("cross-site").status()).isEqualTo(403);
            // None of it changed anything.
            assertThat(call(proxy, "GET", servers, null).body()).hasSize(1);
            assertThat(proxy.get("/").statusCode()).isEqualTo(200);
        }
    }

    @Test
    void theStateFileKeepsApiChangesAcrossReloadsAndRestarts() throws Exception {
        Path state = dir.resolve("api.state");
        try (TestBackends b = new TestBackends("a", "b")) {
            Files.writeString(state, "server " + b.address("a") + " weight=2;\n");
            String yaml = config(null, "    state: " + state + "\n");
            try (TestProxy proxy = new TestProxy(yaml)) {
                assertThat(call(proxy, "GET", "/api/9/http/upstreams/api/servers", null).body().get(0).get("weight").asInt())
                        .isEqualTo(2);
                assertThat(call(proxy, "POST", "/api/9/http/upstreams/api/servers",
                        "{\"server\": \"" + b.address("b") + "\", \"drain\": true}").status()).isEqualTo(201);
                assertThat(Files.readAllLines(state)).hasSize(2).last().asString().contains(b.address("b")).endsWith("drain;");
                // A reload reads the file again: the added server stays, with its id.
                assertThat(proxy.server.reload(ConfigLoader.parse("again.yaml", new StringReader("listen: 127.0.0.1:0\n" + yaml))))
                        .isNull();
                JsonNode after = call(proxy, "GET", "/api/9/http/upstreams/api/servers", null).body();
                assertThat(after).hasSize(2);
                assertThat(after.get(1).get("id").asInt()).isEqualTo(1);
                assertThat(after.get(1).get("drain").asBoolean()).isTrue();
            }
            // A restart too.
            try (TestProxy restarted = new TestProxy(yaml)) {
                assertThat(call(restarted, "GET", "/api/9/http/upstreams/api/servers", null).body()).hasSize(2);
            }
        }
    }

    @Test
    void theLastServerRemovedLeavesA502AndAServerAddedServesAgain() throws Exception {
        try (TestBackends b = new TestBackends("a");
             TestProxy proxy = new TestProxy(config(b.address("a"), "    balance: hash $request_uri consistent\n"))) {
            assertThat(call(proxy, "DELETE", "/api/9/http/upstreams/api/servers/0", null).body()).isEmpty();
            assertThat(proxy.get("/x").statusCode()).isEqualTo(502);
            assertThat(call(proxy, "POST", "/api/9/http/upstreams/api/servers", "{\"server\": \"" + b.address("a") + "\"}")
                    .status()).isEqualTo(201);
            assertThat(proxy.get("/x").statusCode()).isEqualTo(200);
        }
    }

    @Test
    void addDrainAndRemoveUnderLoadLoseNothing() throws Exception {
        try (TestBackends b = new TestBackends("a", "b", "c")) {
            // Sticky clients: each keeps its server while it drains; new clients never get it.
            String sticky = "    sticky: cookie srv\n";
            try (TestProxy proxy = new TestProxy(config(b.address("a") + ", " + b.address("b"), sticky))) {
                String servers = "/api/9/http/upstreams/api/servers";
                // A client bound to b before the drain.
                String cookie = null;
                for (int i = 0; i < 10 && cookie == null; i++) {
                    HttpResponse<String> r = proxy.get("/bind");
                    if (b.drain().equals("b")) {
                        cookie = r.headers().firstValue("set-cookie").orElseThrow().split(";")[0];
                    }
                }
                assertThat(cookie).as("a client bound to b").isNotNull();
                AtomicBoolean running = new AtomicBoolean(true);
                AtomicLong ok = new AtomicLong();
                Map<String, AtomicInteger> failures = new ConcurrentHashMap<>();
                List<CompletableFuture<Void>> users = new ArrayList<>();
                for (int u = 0; u < 8; u++) {
                    users.add(CompletableFuture.runAsync(() -> {
                        while (running.get()) {
                            try {
                                int status = proxy.get("/load").statusCode();
                                if (status == 200) {
                                    ok.incrementAndGet();
                                } else {
                                    failures.computeIfAbsent("status " + status, k -> new AtomicInteger()).incrementAndGet();
                                }
                            } catch (RuntimeException e) {
                                failures.computeIfAbsent(e.toString(), k -> new AtomicInteger()).incrementAndGet();
                            }
                        }
                    }, clients));
                }
                java.util.function.LongSupplier some = () -> {
                    long before = ok.get();
                    Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> ok.get() >= before + 50);
                    return ok.get();
                };
                some.getAsLong();
                assertThat(call(proxy, "POST", servers, "{\"server\": \"" + b.address("c") + "\"}").status()).isEqualTo(201);
                some.getAsLong();
                assertThat(call(proxy, "PATCH", servers + "/1", "{\"drain\": true}").status()).isEqualTo(200);
                assertThat(proxy.server.groups().get("api").snapshot().get(1).state().name()).isEqualTo("DRAINING");
                some.getAsLong(); // requests sent to b before the drain arrive meanwhile
                b.drain();
                some.getAsLong();
                // New sessions (the load's requests carry no cookie) never reach the drained server...
                assertThat(b.drainSeen()).filteredOn(s -> s.backend().equals("b")).isEmpty();
                // ...while the client bound to it stays there.
                HttpResponse<String> bound = proxy.send(HttpRequest.newBuilder(URI.create(proxy.url("/mine")))
                        .header("Cookie", cookie).timeout(Duration.ofSeconds(10)).build());
                assertThat(bound.statusCode()).isEqualTo(200);
                assertThat(b.drainSeen()).filteredOn(s -> s.uri().equals("/mine")).extracting(s -> s.backend()).containsExactly("b");
                assertThat(call(proxy, "DELETE", servers + "/1", null).status()).isEqualTo(200);
                some.getAsLong();
                running.set(false);
                CompletableFuture.allOf(users.toArray(CompletableFuture[]::new)).get();
                assertThat(failures).as("failed requests while servers were added, drained and removed").isEmpty();
                assertThat(proxy.server.groups().get("api").snapshot()).extracting(s -> s.server())
                        .containsExactly(b.address("a"), b.address("c"));
            }
        }
    }
}
