package io.stampede.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.Random;

/** A Market API on a free loopback port plus a small HTTP client, for tests. */
final class TestApi implements AutoCloseable {
    static final byte[] SECRET = "test-secret-0123456789-abcdef".getBytes(StandardCharsets.UTF_8);
    static final ObjectMapper JSON = new ObjectMapper();

    /** A response with its body parsed when it is JSON. */
    record Response(int status, String body, HttpResponse<String> raw) {
        JsonNode json() {
            try {
                return JSON.readTree(body);
            } catch (IOException e) {
                throw new UncheckedIOException("not JSON: " + body, e);
            }
        }

        String header(String name) {
            return raw.headers().firstValue(name).orElse(null);
        }
    }

    final MarketApi api;
    final MarketApi.Instance instance;
    final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    TestApi(ApiSettings settings, MarketData data) throws InterruptedException {
        this.api = new MarketApi(data, 2);
        this.instance = api.start(settings);
    }

    static TestApi start(int workers, Duration dbLatency, int maxQueue) throws InterruptedException {
        return new TestApi(settings(workers, dbLatency, maxQueue), data(Clock.systemUTC(), SECRET));
    }

    static ApiSettings settings(int workers, Duration dbLatency, int maxQueue) {
        return new ApiSettings("127.0.0.1", 0, null, workers, dbLatency, maxQueue, false);
    }

    static MarketData data(Clock clock, byte[] secret) {
        MarketData.Options o = new MarketData.Options(200, 3, 50, 1000, Duration.ofMinutes(5), Duration.ofDays(1));
        return MarketData.create(o, secret, clock, new Random(7));
    }

    String url(String path) {
        return instance.url() + path;
    }

    Response get(String path, String token) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url(path))).timeout(Duration.ofSeconds(30)).GET();
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return send(b.build());
    }

    Response post(String path, String body, String token) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url(path))).timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return send(b.build());
    }

    Response send(HttpRequest request) {
        try {
            HttpResponse<String> r = client.send(request, HttpResponse.BodyHandlers.ofString());
            return new Response(r.statusCode(), r.body(), r);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Logs in as the demo account and returns {@code {"access", "refresh"}}. */
    JsonNode login() {
        Response r = post("/api/v1/auth/token/", "{\"email\":\"demo@market.test\",\"password\":\"demo-password\"}", null);
        if (r.status() != 200) {
            throw new IllegalStateException("login failed: " + r.status() + " " + r.body());
        }
        return r.json();
    }

    String access() {
        return login().get("access").asText();
    }

    @Override
    public void close() {
        api.close();
    }
}
