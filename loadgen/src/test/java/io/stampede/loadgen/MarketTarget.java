package io.stampede.loadgen;

import io.stampede.api.ApiSettings;
import io.stampede.api.MarketApi;
import io.stampede.api.MarketData;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.Random;

/** A Market API in the test's JVM on a free loopback port, for the swarm to load. */
public final class MarketTarget implements AutoCloseable {
    private final MarketApi api;
    public final MarketApi.Instance instance;

    private MarketTarget(MarketApi api, MarketApi.Instance instance) {
        this.api = api;
        this.instance = instance;
    }

    /** @param products the catalogue's size; {@code secret} signs its tokens; {@code seed} makes its data */
    public static MarketTarget start(int products, int stockPerProduct, String secret, long seed) throws Exception {
        MarketData.Options o = new MarketData.Options(products, stockPerProduct, 100, 1000, Duration.ofMinutes(5), Duration.ofDays(1));
        MarketApi api = new MarketApi(MarketData.create(o, secret.getBytes(StandardCharsets.UTF_8), Clock.systemUTC(), new Random(seed)), 1);
        return new MarketTarget(api, api.start(new ApiSettings("127.0.0.1", 0, null, 64, Duration.ZERO, 256, false)));
    }

    /**
     * A scenario of one class "U": each user logs in once as the demo account, then every task is
     * one request for product 1 with the token, waiting {@code wait} between them (e.g. constant(0.05)).
     */
    public static String oneRequestScenario(String wait) {
        return """
                users:
                  U:
                    wait_time: %s
                    on_start:
                      - post: /api/v1/auth/token/
                        json: {email: demo@market.test, password: demo-password}
                        capture: {token: $.access}
                    tasks:
                      t:
                        steps:
                          - get: /api/v1/products/1/
                            headers: {Authorization: "Bearer ${token}"}
                """.formatted(wait);
    }

    /** The API itself, to start another instance of it (an HTTPS one, say). */
    public MarketApi api() {
        return api;
    }

    public String url() {
        return instance.url();
    }

    @Override
    public void close() {
        api.close();
    }
}
