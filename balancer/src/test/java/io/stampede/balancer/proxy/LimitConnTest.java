package io.stampede.balancer.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.stampede.balancer.limit.ConnLimits;
import io.stampede.balancer.limit.ConnZone;
import io.stampede.balancer.limit.LimitConn;
import io.stampede.balancer.limit.LimitConnZone;
import io.stampede.balancer.vars.Variables;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** nginx's limit_conn: requests in progress per key, beside a real nginx with the same directives. */
class LimitConnTest {
    private final ExecutorService clients = Executors.newCachedThreadPool();
    private TestBackends backends;

    @BeforeEach
    void backends() throws Exception {
        backends = new TestBackends("a");
        backends.on("a", s -> s.uri().equals("/slow") ? TestBackends.Action.delay(1_000) : TestBackends.Action.ok());
    }

    @AfterEach
    void stop() {
        clients.shutdownNow();
        backends.close();
    }

    @Test
    void countsAreTakenInOrderAndGivenBackWhenOneRuleRefuses() {
        Variables a = name -> "A";
        Map<String, ConnZone> zones = Map.of(
                "wide", new ConnZone(LimitConnZone.parse("$binary_remote_addr zone=wide:1m")),
                "narrow", new ConnZone(LimitConnZone.parse("$binary_remote_addr zone=narrow:1m")));
        List<LimitConn> rules = List.of(LimitConn.parse("wide 10"), LimitConn.parse("narrow 1"));
        ConnLimits.Held first = new ConnLimits.Held();
        assertThat(ConnLimits.decide(rules, zones, a, false, first, new String[2])).isEqualTo("PASSED");
        String[] refused = new String[2];
        assertThat(ConnLimits.decide(rules, zones, a, false, new ConnLimits.Held(), refused)).isEqualTo("REJECTED");
        assertThat(refused[0]).isEqualTo("narrow");
        // The refused request's count in "wide" was given back.
        assertThat(zones.get("wide").inProgress("A")).isEqualTo(1);
        first.release();
        assertThat(zones.get("wide").inProgress("A")).isZero();
        assertThat(zones.get("narrow").inProgress("A")).isZero();
        assertThat(ConnLimits.decide(rules, zones, a, false, new ConnLimits.Held(), new String[2])).isEqualTo("PASSED");
    }

    private List<Long> burst(InetSocketAddress at, int n) throws Exception {
        CountDownLatch go = new CountDownLatch(1);
        List<Future<Long>> all = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            all.add(clients.submit(() -> {
                go.await();
                List<String> r = ResponseReader.exchange(at, "GET /slow HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", List.of(false));
                return Long.parseLong(r.get(0).substring(0, 3));
            }));
        }
        go.countDown();
        List<Long> out = new ArrayList<>();
        for (Future<Long> f : all) {
            out.add(f.get());
        }
        Collections.sort(out);
        return out;
    }

    @Test
    void sixSlowRequestsAtOnceWithLimitTwoPassTwoAsNginxDoes() throws Exception {
        String zone = "$binary_remote_addr zone=addr:1m";
        List<Long> ours;
        try (TestProxy proxy = new TestProxy("limit_conn_zone: \"" + zone + "\"\nlocations:\n  /:\n    proxy_pass: http://"
                + backends.address("a") + "\n    limit_conn: addr 2\n")) {
            ours = burst(proxy.address, 6);
            // Counts are given back as requests end: a new one passes.
            Awaitility.await().atMost(java.time.Duration.ofSeconds(5)).until(() -> proxy.get("/fast").statusCode() == 200);
        }
        assertThat(ours).containsExactly(200L, 200L, 503L, 503L, 503L, 503L);
        if (NginxRunner.binary() == null) {
            System.err.println("SKIPPED LOUDLY: nginx is not installed (apt-get install nginx); the nginx half of LimitConnTest did not run");
            org.junit.jupiter.api.Assumptions.abort("nginx is not installed");
        }
        try (NginxRunner nginx = NginxRunner.withServer("  limit_conn_zone " + zone + ";\n  upstream a { server "
                + backends.address("a") + "; }", "    location / { limit_conn addr 2; proxy_pass http://a; }")) {
            assertThat(burst(nginx.address(), 6)).isEqualTo(ours);
        }
    }
}
