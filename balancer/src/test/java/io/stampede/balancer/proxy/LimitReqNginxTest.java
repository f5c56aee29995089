package io.stampede.balancer.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * limit_req beside a real nginx with the same directives, on sequences where timing noise cannot
 * change the answer: a burst of simultaneous requests (well inside one leak of the rate), each on
 * its own connection.
 */
class LimitReqNginxTest {
    private final ExecutorService clients = Executors.newCachedThreadPool();
    private TestBackends backends;

    @BeforeEach
    void needsNginx() throws Exception {
        if (NginxRunner.binary() == null) {
            System.err.println("SKIPPED LOUDLY: nginx is not installed (apt-get install nginx); LimitReqNginxTest did not run");
            Assumptions.abort("nginx is not installed");
        }
        backends = new TestBackends("a");
    }

    @AfterEach
    void stop() {
        clients.shutdownNow();
        backends.close();
    }

    /** Sends {@code n} requests at once, each on a connection of its own; their statuses and times (ms), in order of sending. */
    private List<long[]> burst(InetSocketAddress at, int n) throws Exception {
        CountDownLatch go = new CountDownLatch(1);
        List<Future<long[]>> all = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            all.add(clients.submit(() -> {
                go.await();
                long start = System.nanoTime();
                List<String> r = ResponseReader.exchange(at, "GET /limited HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
                        List.of(false));
                return new long[] {Long.parseLong(r.get(0).substring(0, 3)), (System.nanoTime() - start) / 1_000_000};
            }));
        }
        go.countDown();
        List<long[]> out = new ArrayList<>();
        for (Future<long[]> f : all) {
            out.add(f.get());
        }
        return out;
    }

    private static List<Long> statuses(List<long[]> results) {
        List<Long> s = new ArrayList<>();
        results.forEach(r -> s.add(r[0]));
        Collections.sort(s);
        return s;
    }

    private List<long[]> throughNginx(String zone, String rule, int n) throws Exception {
        try (NginxRunner nginx = NginxRunner.withServer("  " + zone + ";\n  upstream a { server " + backends.address("a") + "; }",
                "    location / { limit_req " + rule + "; proxy_pass http://a; }")) {
            return burst(nginx.address(), n);
        }
    }

    private List<long[]> throughOurs(String zone, String rule, int n) throws Exception {
        try (TestProxy proxy = new TestProxy("limit_req_zone: \"" + zone.replace("limit_req_zone ", "") + "\"\n"
                + "locations:\n  /:\n    proxy_pass: http://" + backends.address("a") + "\n    limit_req: " + rule + "\n")) {
            return burst(proxy.address, n);
        }
    }

    @Test
    void dryRunPassesEverythingAndSaysWhatWouldHaveHappenedAndAReloadKeepsTheBuckets() throws Exception {
        String yaml = "limit_req_zone: \"$binary_remote_addr zone=one:1m rate=1r/m\"\nlocations:\n  /:\n    proxy_pass: http://"
                + backends.address("a") + "\n    limit_req: zone=one burst=1\n    limit_req_dry_run: on\n"
                + "    proxy_set_header: {X-Limit: $limit_req_status}\n";
        try (TestProxy proxy = new TestProxy(yaml)) {
            List<String> seen = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                assertThat(proxy.get("/dry").statusCode()).isEqualTo(200);
            }
            backends.drainSeen().forEach(r -> seen.add(r.header("x-limit")));
            assertThat(seen).containsExactly("PASSED", "DELAYED_DRY_RUN", "REJECTED_DRY_RUN");
            // The same zone after a reload (dry run off now): its buckets are kept, so the client is still over.
            assertThat(proxy.server.reload(io.stampede.balancer.config.ConfigLoader.parse("r.yaml", new java.io.StringReader(
                    "listen: 127.0.0.1:0\n" + yaml.replace("limit_req_dry_run: on", "limit_req_dry_run: off"))))).isNull();
            assertThat(proxy.get("/after").statusCode()).isEqualTo(503);
        }
    }

    @Test
    void aBurstOfTwentyWithBurstFiveNodelayPassesExactlySix() throws Exception {
        // 1r/m: a seventh pass would need a minute's leak, so a slow machine spreading the burst cannot change the count.
        String zone = "limit_req_zone $binary_remote_addr zone=one:1m rate=1r/m";
        List<Long> theirs = statuses(throughNginx(zone, "zone=one burst=5 nodelay", 20));
        List<Long> ours = statuses(throughOurs(zone, "zone=one burst=5 nodelay", 20));
        assertThat(ours).isEqualTo(theirs);
        assertThat(ours.stream().filter(s -> s == 200)).hasSize(6);
        assertThat(ours.stream().filter(s -> s == 503)).hasSize(14);
    }

    @Test
    void withDelayTwoTheFirstThreeGoAtOnceAndTheRestWaitTheirTurn() throws Exception {
        // 2r/s: one request's worth leaks per 500 ms; burst=5 delay=2 passes 3 at once, delays 3
        // (by about 500, 1000 and 1500 ms) and refuses the rest. (At 10r/s a loaded machine spread
        // the eight requests over more than one leak, and a seventh passed.)
        String zone = "limit_req_zone $binary_remote_addr zone=one:1m rate=2r/s";
        List<long[]> theirs = throughNginx(zone, "zone=one burst=5 delay=2", 8);
        List<long[]> ours = throughOurs(zone, "zone=one burst=5 delay=2", 8);
        assertThat(statuses(ours)).isEqualTo(statuses(theirs));
        for (List<long[]> run : List.of(theirs, ours)) {
            List<Long> okTimes = new ArrayList<>();
            run.stream().filter(r -> r[0] == 200).forEach(r -> okTimes.add(r[1]));
            Collections.sort(okTimes);
            assertThat(okTimes).hasSize(6);
            // The three delayed ones: the slowest waited at least two leaks (timing noise only adds).
            assertThat(okTimes.get(5)).isGreaterThanOrEqualTo(1000);
            assertThat(okTimes.get(0)).isLessThan(okTimes.get(5));
        }
    }
}
