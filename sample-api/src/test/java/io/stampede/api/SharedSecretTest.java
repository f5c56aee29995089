package io.stampede.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Instances that share a secret accept each other's tokens, as they must behind a balancer. */
class SharedSecretTest {

    @Test
    void instancesOfOneProcessAcceptEachOthersTokens() throws InterruptedException {
        try (TestApi first = TestApi.start(2, Duration.ZERO, 8)) {
            MarketApi.Instance second = first.api.start(TestApi.settings(2, Duration.ZERO, 8));
            String access = first.access();
            TestApi.Response r = first.send(java.net.http.HttpRequest.newBuilder(
                            java.net.URI.create(second.url() + "/api/v1/products/1/"))
                    .header("Authorization", "Bearer " + access).build());
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.header("X-Served-By")).isEqualTo("api-" + second.port()).isNotEqualTo(first.instance.name());
        }
    }

    @Test
    void separateApisWithTheSameSecretAcceptEachOthersTokens() throws InterruptedException {
        try (TestApi a = new TestApi(TestApi.settings(2, Duration.ZERO, 8), TestApi.data(Clock.systemUTC(), TestApi.SECRET));
             TestApi b = new TestApi(TestApi.settings(2, Duration.ZERO, 8), TestApi.data(Clock.systemUTC(), TestApi.SECRET))) {
            String access = a.access();
            String refresh = a.login().get("refresh").asText();
            assertThat(b.get("/api/v1/products/", access).status()).isEqualTo(200);
            assertThat(b.post("/api/v1/auth/token/refresh/", "{\"refresh\":\"" + refresh + "\"}", null).status()).isEqualTo(200);
        }
    }

    @Test
    void aDifferentSecretRefusesTheTokens() throws InterruptedException {
        byte[] other = "another-secret-abcdefghijklmnop".getBytes(StandardCharsets.UTF_8);
        try (TestApi a = new TestApi(TestApi.settings(2, Duration.ZERO, 8), TestApi.data(Clock.systemUTC(), TestApi.SECRET));
             TestApi b = new TestApi(TestApi.settings(2, Duration.ZERO, 8), TestApi.data(Clock.systemUTC(), other))) {
            assertThat(b.get("/api/v1/products/", a.access()).status()).isEqualTo(401);
        }
    }
}
