package io.stampede.balancer.proxy;

import io.stampede.balancer.config.ConfigLoader;
import io.stampede.balancer.config.ProxyConfig;
import java.io.IOException;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;

/** A proxy from an inline YAML config on a free loopback port, with a clock the test moves. */
final class TestProxy implements AutoCloseable {
    final AtomicLong seconds = new AtomicLong(1_000);
    final ProxyServer server;
    final InetSocketAddress address;
    final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    TestProxy(String yaml) throws IOException, InterruptedException {
        // With servers, each names its own listen lines.
        ProxyConfig config = ConfigLoader.parse("test.yaml", new StringReader(
                (yaml.startsWith("servers:") ? "" : "listen: 127.0.0.1:0\n") + yaml));
        SplittableRandom random = new SplittableRandom(1);
        server = new ProxyServer(config, seconds::get, random::nextLong);
        server.start();
        address = server.addresses().get(0);
    }

    String url(String path) {
        return "http://127.0.0.1:" + address.getPort() + path;
    }

    HttpResponse<String> get(String path) {
        return send(HttpRequest.newBuilder(URI.create(url(path))).timeout(Duration.ofSeconds(20)).GET().build());
    }

    HttpResponse<String> post(String path, String body) {
        return send(HttpRequest.newBuilder(URI.create(url(path))).timeout(Duration.ofSeconds(20))
                .POST(HttpRequest.BodyPublishers.ofString(body)).build());
    }

    HttpResponse<String> send(HttpRequest request) {
        try {
            return client.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        server.close();
    }
}
