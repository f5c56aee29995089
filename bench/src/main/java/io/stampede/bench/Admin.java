package io.stampede.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** Small JSON calls to the parts' admin endpoints (the Market API's stats, the proxy's /status). */
final class Admin {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    private Admin() {}

    static JsonNode get(String url) throws IOException, InterruptedException {
        return send(HttpRequest.newBuilder(URI.create(url)).GET());
    }

    static JsonNode post(String url) throws IOException, InterruptedException {
        return send(HttpRequest.newBuilder(URI.create(url)).POST(HttpRequest.BodyPublishers.noBody()));
    }

    /** The body of a GET, for documents read with their own records. */
    static String text(String url) throws IOException, InterruptedException {
        return body(HttpRequest.newBuilder(URI.create(url)).GET());
    }

    private static JsonNode send(HttpRequest.Builder b) throws IOException, InterruptedException {
        return MAPPER.readTree(body(b));
    }

    private static String body(HttpRequest.Builder b) throws IOException, InterruptedException {
        HttpRequest request = b.timeout(Duration.ofSeconds(10)).build();
        HttpResponse<String> r;
        try {
            r = CLIENT.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException stale) {
            // A kept-alive connection to a server that was killed and restarted since: once more, on a new one.
            try {
                r = CLIENT.send(request, HttpResponse.BodyHandlers.ofString());
            } catch (IOException e) {
                throw new IOException(request.uri() + ": " + (e.getMessage() != null ? e.getMessage() : e.toString()), e);
            }
        }
        if (r.statusCode() != 200) {
            throw new IOException(r.uri() + " answered " + r.statusCode());
        }
        return r.body();
    }

    /** Whether something accepts connections on the loopback port (a TLS server, which answers() cannot ask). */
    static boolean listens(int port) {
        try (java.net.Socket ignored = new java.net.Socket(java.net.InetAddress.getLoopbackAddress(), port)) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** Whether something answers HTTP at {@code url} (any status). */
    static boolean answers(String url) {
        try {
            CLIENT.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).build(),
                    HttpResponse.BodyHandlers.discarding());
            return true;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
