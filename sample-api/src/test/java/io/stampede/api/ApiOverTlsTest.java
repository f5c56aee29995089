package io.stampede.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.handler.ssl.SslContextBuilder;
import io.stampede.common.tls.Certificates;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** {@code stampede api --tls}: the same API over HTTPS, to a client that trusts its certificate. */
class ApiOverTlsTest {
    @Test
    void servesTheApiOverHttps() throws Exception {
        Certificates.Issued cert = Certificates.selfSigned(List.of("localhost", "127.0.0.1"));
        MarketData data = data();
        try (MarketApi api = new MarketApi(data, 1)) {
            MarketApi.Instance i = api.start(new ApiSettings("127.0.0.1", 0, "tls", 4, Duration.ZERO, 16, false),
                    SslContextBuilder.forServer(cert.key(), cert.certificate()).build());
            assertThat(i.url()).startsWith("https://127.0.0.1:");
            HttpClient client = trusting(cert);
            HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create("https://localhost:" + i.port() + "/healthz")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.body()).contains("tls");
        }
    }

    /** {@code --tls-port}: one instance behind an HTTP and an HTTPS port, as an nginx server with two listen lines. */
    @Test
    void oneInstanceListensOnHttpAndHttpsTogether() throws Exception {
        Certificates.Issued cert = Certificates.selfSigned(List.of("localhost", "127.0.0.1"));
        MarketData data = data();
        try (MarketApi api = new MarketApi(data, 1)) {
            MarketApi.Instance plain = api.start(new ApiSettings("127.0.0.1", 0, "both", 4, Duration.ZERO, 16, false));
            MarketApi.Instance tls = api.alsoListen(plain, 0, SslContextBuilder.forServer(cert.key(), cert.certificate()).build());
            assertThat(tls.url()).startsWith("https://127.0.0.1:");
            assertThat(tls.name()).isEqualTo(plain.name());
            assertThat(api.instances()).containsExactly(plain, tls);
            HttpClient client = trusting(cert);
            for (String url : List.of(plain.url(), "https://localhost:" + tls.port())) {
                HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create(url + "/healthz")).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(r.statusCode()).as(url).isEqualTo(200);
                assertThat(r.body()).as(url).contains("both");
            }
        }
    }

    private static MarketData data() {
        return MarketData.create(new MarketData.Options(5, 1, 2, 1, Duration.ofMinutes(5), Duration.ofDays(1)),
                "0123456789abcdef0123".getBytes(), Clock.systemUTC(), new Random(1));
    }

    /** A client that trusts only {@code cert}. */
    private static HttpClient trusting(Certificates.Issued cert) throws Exception {
        return HttpClient.newBuilder().sslContext(io.stampede.common.testing.Trusting.only(cert.certificate()))
                .version(HttpClient.Version.HTTP_1_1).build();
    }
}
