package io.stampede.api.auth;

import com.auth0.jwt.JWT;
import com.auth0.jwt.JWTVerifier;
import com.auth0.jwt.algorithms.Algorithm;
import com.auth0.jwt.exceptions.JWTVerificationException;
import com.auth0.jwt.interfaces.DecodedJWT;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.UUID;

/**
 * Access and refresh tokens as djangorestframework-simplejwt issues them: HS256, with
 * {@code token_type}, {@code user_id}, {@code jti}, {@code iat} and {@code exp} claims. A token
 * of one type is never accepted as the other, and only HS256 with our secret verifies (so
 * {@code alg: none} and other algorithms fail).
 */
public final class JwtTokens {
    public static final String ACCESS = "access";
    public static final String REFRESH = "refresh";

    /** A freshly issued pair. */
    public record Pair(String access, String refresh) {}

    private final Algorithm algorithm;
    private final Clock clock;
    private final Duration accessLifetime;
    private final Duration refreshLifetime;
    private final JWTVerifier accessVerifier;
    private final JWTVerifier refreshVerifier;

    public JwtTokens(byte[] secret, Duration accessLifetime, Duration refreshLifetime, Clock clock) {
        this.algorithm = Algorithm.HMAC256(secret);
        this.clock = clock;
        this.accessLifetime = accessLifetime;
        this.refreshLifetime = refreshLifetime;
        this.accessVerifier = verifier(ACCESS);
        this.refreshVerifier = verifier(REFRESH);
    }

    public Pair issue(long userId) {
        return new Pair(sign(userId, ACCESS, accessLifetime), sign(userId, REFRESH, refreshLifetime));
    }

    /** The user id of a valid, unexpired access token. */
    public Optional<Long> verifyAccess(String token) {
        return verify(accessVerifier, token);
    }

    /** The user id of a valid, unexpired refresh token. */
    public Optional<Long> verifyRefresh(String token) {
        return verify(refreshVerifier, token);
    }

    private String sign(long userId, String type, Duration lifetime) {
        Instant now = clock.instant();
        return JWT.create()
                .withClaim("token_type", type)
                .withClaim("user_id", userId)
                .withJWTId(UUID.randomUUID().toString().replace("-", ""))
                .withIssuedAt(now)
                .withExpiresAt(now.plus(lifetime))
                .sign(algorithm);
    }

    private JWTVerifier verifier(String type) {
        return ((JWTVerifier.BaseVerification) JWT.require(algorithm)
                .withClaim("token_type", type)
                .withClaimPresence("user_id")
                .withClaimPresence("exp"))
                .build(clock);
    }

    private static Optional<Long> verify(JWTVerifier verifier, String token) {
        try {
            DecodedJWT jwt = verifier.verify(token);
            return Optional.ofNullable(jwt.getClaim("user_id").asLong());
        } catch (JWTVerificationException | IllegalArgumentException e) {
            return Optional.empty();
        }
    }
}
