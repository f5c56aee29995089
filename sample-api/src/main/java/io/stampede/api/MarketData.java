package io.stampede.api;

import io.stampede.api.auth.Accounts;
import io.stampede.api.auth.JwtTokens;
import io.stampede.api.auth.PasswordHasher;
import io.stampede.api.catalog.Catalog;
import java.time.Clock;
import java.time.Duration;
import java.util.Random;

/**
 * What instances started together share, as servers behind a balancer share a database and a
 * signing key: the catalog, the accounts and the JWT secret.
 */
public record MarketData(Catalog catalog, Accounts accounts, JwtTokens tokens, Clock clock, Random random) {

    /** The data's shape; the secret is kept only inside {@link JwtTokens}. */
    public record Options(int products, int commentsPerProduct, int accounts, int hashIterations,
                          Duration accessLifetime, Duration refreshLifetime) {
        public static Options defaults() {
            return new Options(200, 3, 1000, 10_000, Duration.ofMinutes(5), Duration.ofDays(1));
        }
    }

    public static MarketData create(Options o, byte[] secret, Clock clock, Random random) {
        Catalog catalog = new Catalog(o.products(), o.commentsPerProduct(), new Random(random.nextLong()), clock);
        Accounts accounts = new Accounts(new PasswordHasher(o.hashIterations(), random), o.accounts());
        JwtTokens tokens = new JwtTokens(secret, o.accessLifetime(), o.refreshLifetime(), clock);
        return new MarketData(catalog, accounts, tokens, clock, random);
    }
}
