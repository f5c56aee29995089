package io.stampede.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.auth0.jwt.JWT;
import com.auth0.jwt.algorithms.Algorithm;
import java.nio.charset.StandardCharsets;
import java.security.KeyPairGenerator;
import java.security.interfaces.RSAPrivateKey;
import java.security.interfaces.RSAPublicKey;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Every way a bearer token can be wrong is a 401, never a 200 or a 500. */
class TokenRefusalTest {
    final MutableClock clock = new MutableClock(Instant.now());
    TestApi api;

    @BeforeEach
    void start() throws InterruptedException {
        api = new TestApi(TestApi.settings(4, Duration.ZERO, 16), TestApi.data(clock, TestApi.SECRET));
    }

    @AfterEach
    void stop() {
        api.close();
    }

    @Test
    void expiredAccessTokenIs401() {
        String access = api.access();
        assertThat(api.get("/api/v1/products/1/", access).status()).isEqualTo(200);
        clock.advance(Duration.ofMinutes(5).plusSeconds(1));
        assertThat(api.get("/api/v1/products/1/", access).status()).isEqualTo(401);
    }

    @Test
    void expiredRefreshTokenIs401() {
        String refresh = api.login().get("refresh").asText();
        clock.advance(Duration.ofDays(1).plusSeconds(1));
        assertThat(api.post("/api/v1/auth/token/refresh/", "{\"refresh\":\"" + refresh + "\"}", null).status())
                .isEqualTo(401);
    }

    @Test
    void tokenSignedWithAnotherSecretIs401() {
        String forged = JWT.create().withClaim("token_type", "access").withClaim("user_id", 0L)
                .withExpiresAt(clock.instant().plusSeconds(300))
                .sign(Algorithm.HMAC256("some-other-secret-0123456789"));
        assertThat(api.get("/api/v1/products/", forged).status()).isEqualTo(401);
    }

    @Test
    void tamperedPayloadIs401() {
        String[] parts = api.access().split("\\.");
        String payload = new String(Base64.getUrlDecoder().decode(parts[1]), StandardCharsets.UTF_8)
                .replace("\"user_id\":0", "\"user_id\":1");
        String tampered = parts[0] + "." + b64(payload) + "." + parts[2];
        assertThat(api.get("/api/v1/products/", tampered).status()).isEqualTo(401);
    }

    @Test
    void algNoneIs401() {
        String header = b64("{\"alg\":\"none\",\"typ\":\"JWT\"}");
        String payload = b64("{\"token_type\":\"access\",\"user_id\":0,\"exp\":" + (clock.instant().getEpochSecond() + 300) + "}");
        assertThat(api.get("/api/v1/products/", header + "." + payload + ".").status()).isEqualTo(401);
        assertThat(api.get("/api/v1/products/", header + "." + payload).status()).isEqualTo(401);
    }

    @Test
    void otherAlgorithmsAre401EvenWithTheRightSecret() throws Exception {
        String hs512 = JWT.create().withClaim("token_type", "access").withClaim("user_id", 0L)
                .withExpiresAt(clock.instant().plusSeconds(300)).sign(Algorithm.HMAC512(TestApi.SECRET));
        assertThat(api.get("/api/v1/products/", hs512).status()).isEqualTo(401);

        KeyPairGenerator gen = KeyPairGenerator.getInstance("RSA");
        gen.initialize(2048);
        var keys = gen.generateKeyPair();
        String rs256 = JWT.create().withClaim("token_type", "access").withClaim("user_id", 0L)
                .withExpiresAt(clock.instant().plusSeconds(300))
                .sign(Algorithm.RSA256((RSAPublicKey) keys.getPublic(), (RSAPrivateKey) keys.getPrivate()));
        assertThat(api.get("/api/v1/products/", rs256).status()).isEqualTo(401);
    }

    @Test
    void tokenWithoutTypeOrExpiryIs401() {
        String noType = JWT.create().withClaim("user_id", 0L).withExpiresAt(clock.instant().plusSeconds(300))
                .sign(Algorithm.HMAC256(TestApi.SECRET));
        String noExpiry = JWT.create().withClaim("token_type", "access").withClaim("user_id", 0L)
                .sign(Algorithm.HMAC256(TestApi.SECRET));
        assertThat(api.get("/api/v1/products/", noType).status()).isEqualTo(401);
        assertThat(api.get("/api/v1/products/", noExpiry).status()).isEqualTo(401);
    }

    @Test
    void garbageTokensAre401() {
        for (String token : new String[] {"x", "a.b.c", "....", "eyJ.eyJ.sig"}) {
            assertThat(api.get("/api/v1/products/", token).status()).as(token).isEqualTo(401);
        }
    }

    private static String b64(String s) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }
}
