package io.stampede.balancer.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.stampede.balancer.limit.LimitRate;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * limit_rate as nginx reckons it, on a hand clock, then end to end: a response's time has a floor
 * set by its rate (timing noise only adds to it), here and in a real nginx with the same lines.
 */
class LimitRateTest {
    private static final int SIZE = 300_000;

    @Test
    void theBudgetIsOneSecondAheadAndTheExcessWaitsAtTheRate() {
        LimitRate r = new LimitRate(100_000, 0);
        assertThat(r.delayMillis(100_000, 0)).isZero();             // one second's worth goes at once
        assertThat(r.delayMillis(150_000, 0)).isEqualTo(501);       // 50,000 over: half a second (+1 ms, as nginx)
        assertThat(r.delayMillis(150_000, 500_000_000L)).isZero();  // half a second later it is within
        assertThat(new LimitRate(100_000, 200_000).delayMillis(250_000, 0)).isZero(); // limit_rate_after: free bytes
        assertThat(new LimitRate(100_000, 200_000).delayMillis(350_000, 0)).isEqualTo(501);
        assertThat(LimitRate.NONE.delayMillis(1L << 40, 0)).isZero();
    }

    private static ScriptedUpstream.Reply big(String extraHeader) {
        return ScriptedUpstream.Reply.of("HTTP/1.1 200 OK\r\nContent-Length: " + SIZE + "\r\n" + extraHeader + "\r\n"
                + "x".repeat(SIZE), ScriptedUpstream.After.KEEP);
    }

    /** The milliseconds a whole download took, and the response. */
    private static long timed(String url, HttpResponse<?>[] out) throws Exception {
        HttpClient c = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        long start = System.nanoTime();
        HttpResponse<byte[]> r = c.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30)).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        long ms = (System.nanoTime() - start) / 1_000_000;
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).hasSize(SIZE);
        out[0] = r;
        return ms;
    }

    @Test
    void aLimitedResponseTakesAtLeastWhatItsRateAllowsHereAndInNginx() throws Exception {
        try (ScriptedUpstream up = new ScriptedUpstream(line -> big(""))) {
            HttpResponse<?>[] r = new HttpResponse<?>[1];
            // 300,000 bytes at 100,000 a second, 100,000 of them ahead: at least two seconds.
            try (TestProxy proxy = new TestProxy("locations:\n  /:\n    proxy_pass: http://" + up.address()
                    + "\n    limit_rate: 100000\n  /after/:\n    proxy_pass: http://" + up.address()
                    + "\n    limit_rate: 100000\n    limit_rate_after: 250000\n")) {
                assertThat(timed(proxy.url("/slow"), r)).isGreaterThanOrEqualTo(1900);
                // With 250,000 free the rest is within the first second's budget: no wait at all.
                long fast = timed(proxy.url("/after/x"), r);
                assertThat(fast).isLessThan(1900);
            }
            if (NginxRunner.binary() == null) {
                System.err.println("SKIPPED LOUDLY: nginx is not installed; the nginx half of LimitRateTest did not run");
                return;
            }
            try (NginxRunner nginx = NginxRunner.withServer("  upstream u { server " + up.address() + "; }",
                    "    location / { proxy_pass http://u; limit_rate 100000; }")) {
                assertThat(timed("http://127.0.0.1:" + nginx.address().getPort() + "/slow", r)).isGreaterThanOrEqualTo(1900);
            }
        }
    }

    @Test
    void theServersXAccelLimitRateSetsTheRateAndStaysWithTheProxy() throws Exception {
        try (ScriptedUpstream up = new ScriptedUpstream(line -> big(line.contains("/off") ? "X-Accel-Limit-Rate: off\r\n"
                : "X-Accel-Limit-Rate: 100000\r\n"));
             TestProxy proxy = new TestProxy("locations:\n  /:\n    proxy_pass: http://" + up.address() + "\n")) {
            HttpResponse<?>[] r = new HttpResponse<?>[1];
            assertThat(timed(proxy.url("/limited"), r)).isGreaterThanOrEqualTo(1900);
            assertThat(r[0].headers().firstValue("x-accel-limit-rate")).isEmpty();
            assertThat(timed(proxy.url("/off"), r)).isLessThan(1900);
        }
    }
}
