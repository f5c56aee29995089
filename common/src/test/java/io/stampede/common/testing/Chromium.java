package io.stampede.common.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.awaitility.Awaitility;

/**
 * Drives Debian's headless Chromium over the DevTools protocol (JSON over a WebSocket, the JDK's
 * own client): navigate, evaluate script in the page, allow downloads into a folder, screenshot.
 * Off the network except loopback: the same flags as the report test.
 */
public final class Chromium implements AutoCloseable {
    public static final Path EXECUTABLE = Path.of("/usr/bin/chromium");
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Process process;
    private final Connection page;
    private final Connection browser;

    public static boolean installed() {
        return Files.isExecutable(EXECUTABLE);
    }

    public Chromium(Path profile) throws Exception {
        Files.createDirectories(profile);
        process = new ProcessBuilder(EXECUTABLE.toString(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0", "--window-size=1400,1000",
                "--user-data-dir=" + profile, "about:blank")
                .redirectErrorStream(true).redirectOutput(profile.resolve("chromium.log").toFile()).start();
        // Chromium writes the port it chose, and the browser's WebSocket path, into the profile.
        Path portFile = profile.resolve("DevToolsActivePort");
        Awaitility.await("Chromium's DevTools port").atMost(Duration.ofSeconds(30))
                .until(() -> Files.exists(portFile) && Files.readAllLines(portFile).size() >= 2);
        List<String> lines = Files.readAllLines(portFile);
        String base = "127.0.0.1:" + lines.get(0).trim();
        browser = new Connection(URI.create("ws://" + base + lines.get(1).trim()));
        HttpClient http = HttpClient.newHttpClient();
        JsonNode targets = JSON.readTree(http.send(HttpRequest.newBuilder(URI.create("http://" + base + "/json/list")).build(),
                HttpResponse.BodyHandlers.ofString()).body());
        String pageUrl = null;
        for (JsonNode t : targets) {
            if (t.path("type").asText().equals("page")) {
                pageUrl = t.path("webSocketDebuggerUrl").asText();
                break;
            }
        }
        if (pageUrl == null) {
            throw new IllegalStateException("Chromium has no page: " + targets);
        }
        page = new Connection(URI.create(pageUrl));
        page.call("Page.enable", Map.of());
        page.call("Runtime.enable", Map.of());
    }

    public void navigate(String url) {
        page.call("Page.navigate", Map.of("url", url));
        Awaitility.await("page load of " + url).atMost(Duration.ofSeconds(30))
                .until(() -> "complete".equals(eval("document.readyState").asText()));
    }

    /** Evaluates {@code expression} in the page (awaiting a promise), returning its value as JSON. */
    public JsonNode eval(String expression) {
        JsonNode r = page.call("Runtime.evaluate", Map.of("expression", expression, "returnByValue", true, "awaitPromise", true));
        if (r.has("exceptionDetails")) {
            throw new AssertionError("script failed: " + expression + ": " + r.get("exceptionDetails"));
        }
        return r.path("result").path("value");
    }

    public void allowDownloads(Path dir) {
        browser.call("Browser.setDownloadBehavior", Map.of("behavior", "allow", "downloadPath", dir.toAbsolutePath().toString()));
    }

    public void screenshot(Path file) throws IOException {
        JsonNode r = page.call("Page.captureScreenshot", Map.of("format", "png", "captureBeyondViewport", true));
        Files.write(file, Base64.getDecoder().decode(r.path("data").asText()));
    }

    @Override
    public void close() throws Exception {
        try {
            browser.call("Browser.close", Map.of());
        } catch (RuntimeException e) {
            // it may be gone already
        }
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        page.close();
        browser.close();
    }

    /** One DevTools WebSocket: calls matched to answers by id. */
    private static final class Connection implements WebSocket.Listener, AutoCloseable {
        private final AtomicInteger ids = new AtomicInteger();
        private final Map<Integer, CompletableFuture<JsonNode>> pending = new ConcurrentHashMap<>();
        private final StringBuilder partial = new StringBuilder();
        private final WebSocket socket;

        Connection(URI uri) {
            socket = HttpClient.newHttpClient().newWebSocketBuilder().buildAsync(uri, this).join();
        }

        JsonNode call(String method, Map<String, Object> params) {
            int id = ids.incrementAndGet();
            CompletableFuture<JsonNode> answer = new CompletableFuture<>();
            pending.put(id, answer);
            ObjectNode msg = JSON.createObjectNode().put("id", id).put("method", method);
            msg.set("params", JSON.valueToTree(params));
            socket.sendText(msg.toString(), true).join();
            JsonNode r;
            try {
                r = answer.get(60, TimeUnit.SECONDS);
            } catch (Exception e) {
                throw new IllegalStateException("DevTools call " + method + " got no answer", e);
            }
            if (r.has("error")) {
                throw new IllegalStateException("DevTools call " + method + " failed: " + r.get("error"));
            }
            return r.path("result");
        }

        @Override
        public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
            partial.append(data);
            if (last) {
                try {
                    JsonNode msg = JSON.readTree(partial.toString());
                    if (msg.has("id")) {
                        CompletableFuture<JsonNode> f = pending.remove(msg.get("id").asInt());
                        if (f != null) {
                            f.complete(msg);
                        }
                    }
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                } finally {
                    partial.setLength(0);
                }
            }
            ws.request(1);
            return null;
        }

        @Override
        public void close() {
            socket.abort();
        }
    }
}
