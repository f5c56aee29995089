package io.stampede.balancer;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/** A backend that answers "slow" a second after each request arrives, and says when one did. */
final class SlowBackend implements AutoCloseable {
    private final HttpServer server;
    private final CountDownLatch arrived = new CountDownLatch(1);

    SlowBackend() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
        server.setExecutor(Executors.newCachedThreadPool());
        server.createContext("/", exchange -> {
            arrived.countDown();
            try {
                Thread.sleep(1_000); // the request the proxy must let finish while stopping
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            byte[] body = "slow\n".getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        server.start();
    }

    int port() {
        return server.getAddress().getPort();
    }

    void awaitRequest() throws InterruptedException {
        if (!arrived.await(20, TimeUnit.SECONDS)) {
            throw new IllegalStateException("no request arrived");
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
