package io.stampede.balancer.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.stampede.common.testing.RawHttp;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The same upstream config and the same requests through a real nginx and through our proxy, in
 * one run, over the same scripted backends: the sequences of servers tried must be identical.
 * Skips (loudly) when nginx is not installed; .ci/run installs it.
 */
class NginxDifferentialTest {
    TestBackends backends;

    @BeforeAll
    static void needNginx() {
        if (NginxRunner.binary() == null) {
            System.err.println("SKIPPED NginxDifferentialTest: nginx is not installed (apt-get install nginx)");
            Assumptions.abort("nginx is not installed");
        }
    }

    @AfterEach
    void stop() {
        if (backends != null) {
            backends.close();
        }
    }

    /** A request: path and the local address to send it from. */
    record Call(String path, InetAddress from) {
        static Call get(String path) {
            return new Call(path, null);
        }
    }

    /**
     * Runs the calls through nginx, then through our proxy, each from a fresh state, and returns
     * both arrival sequences ("nginx" / "ours").
     *
     * @param servers server lines with backend names for addresses, e.g. {@code "a weight=5"}
     */
    private String[] compare(String method, String nextUpstream, List<Call> calls, String... servers) throws Exception {
        return compare(method, nextUpstream, target -> {
            try {
                run(target, calls);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            return backends.drain();
        }, servers);
    }

    /**
     * The same, for any way of sending: {@code traffic} sends through the given address and
     * returns the backends' arrival sequence.
     */
    private String[] compare(String method, String nextUpstream, Function<InetSocketAddress, String> traffic,
                             String... servers) throws Exception {
        StringBuilder nginxUpstream = new StringBuilder();
        StringBuilder ours = new StringBuilder("locations:\n  /:\n    proxy_pass: http://backend\n");
        if (!nextUpstream.isEmpty()) {
            ours.append("    proxy_next_upstream: ").append(nextUpstream).append('\n');
        }
        ours.append("upstreams:\n  backend:\n");
        if (!method.isEmpty()) {
            nginxUpstream.append("    ").append(method).append(";\n");
            ours.append("    balance: ").append(method).append('\n');
        }
        ours.append("    servers:\n");
        for (String s : servers) {
            String name = s.split(" ")[0];
            String line = backends.address(name) + s.substring(name.length());
            nginxUpstream.append("    server ").append(line).append(";\n");
            ours.append("      - \"").append(line).append("\"\n");
        }
        nginxUpstream.append("    keepalive 32;");
        String location = nextUpstream.isEmpty() ? "" : "      proxy_next_upstream " + nextUpstream + ";";

        backends.drain();
        String viaNginx;
        try (NginxRunner nginx = new NginxRunner(nginxUpstream.toString(), location)) {
            viaNginx = traffic.apply(nginx.address());
        }
        String viaOurs;
        try (TestProxy proxy = new TestProxy(ours.toString())) {
            viaOurs = traffic.apply(proxy.address);
        }
        return new String[] {viaNginx, viaOurs};
    }

    private static void run(InetSocketAddress target, List<Call> calls) throws IOException {
        for (Call c : calls) {
            try (RawHttp http = new RawHttp(target, c.from)) {
                http.send("GET " + c.path + " HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
                http.read();
            }
        }
    }

    private static List<Call> times(int n) {
        List<Call> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(Call.get("/r" + i));
        }
        return out;
    }

    private static List<Call> keys(int n) {
        List<Call> out = new ArrayList<>();
        for (int k = 1; k <= n; k++) {
            out.add(Call.get("/k?k=" + k));
        }
        return out;
    }

    private static List<Call> sources(int n) throws IOException {
        List<Call> out = new ArrayList<>();
        for (int i = 1; i <= n; i++) {
            out.add(new Call("/ip", InetAddress.getByName("127.0." + i + ".2")));
        }
        return out;
    }

    private void assertSame(String[] both) {
        assertThat(both[0]).as("nginx's sequence").isNotEmpty();
        assertThat(both[1]).as("ours vs nginx's").isEqualTo(both[0]);
    }

    @Test
    void roundRobinWithWeightsAndDown() throws Exception {
        backends = new TestBackends("a", "b", "c", "d");
        String[] weighted = compare("", "", times(14), "a weight=5", "b", "c");
        // The harness sees real picks: nginx's own sequence is the documented one.
        assertThat(weighted[0]).isEqualTo("a a b a c a a a a b a c a a");
        assertSame(weighted);
        assertSame(compare("", "", times(20), "a", "b weight=2", "c weight=3", "d weight=4"));
        assertSame(compare("", "", times(9), "a", "b down", "c weight=2"));
    }

    @Test
    void failuresBackupsAndMaxFails() throws Exception {
        backends = new TestBackends("a", "b", "c", "X");
        backends.on("X", s -> TestBackends.Action.closeConnection());
        assertSame(compare("", "", times(11), "a weight=3", "b weight=3", "X weight=6 max_fails=3 fail_timeout=60s"));
        assertSame(compare("", "", times(8), "a", "X max_fails=3 fail_timeout=30s"));
        assertSame(compare("", "", times(13), "a weight=10", "X weight=10 max_fails=5 fail_timeout=60s"));
        assertSame(compare("", "", times(6), "X", "b backup", "c backup"));
        assertSame(compare("least_conn", "", times(6), "X", "b backup weight=2", "c backup"));
    }

    @Test
    void listedStatusesRetryAsNginxDoes() throws Exception {
        backends = new TestBackends("a", "b", "c");
        for (String n : List.of("a", "b", "c")) {
            backends.on(n, s -> TestBackends.Action.status(500));
        }
        assertSame(compare("", "error timeout http_500", times(4), "a", "b", "c"));
        for (String n : List.of("a", "b", "c")) {
            backends.on(n, s -> TestBackends.Action.status(404));
        }
        assertSame(compare("", "error timeout http_404", times(4), "a", "b", "c"));
    }

    @Test
    void leastConnSequentialAndUnderConcurrency() throws Exception {
        backends = new TestBackends("a", "b", "c");
        assertSame(compare("least_conn", "", times(7), "a weight=5", "b", "c"));
        assertSame(concurrent("least_conn", 9, "a weight=2", "b"));
        assertSame(concurrent("least_conn", 7, "a", "b", "c"));
    }

    /** Requests that all stay open (the backends hold them), sent one after another arrives. */
    private String[] concurrent(String method, int n, String... servers) throws Exception {
        for (String name : List.of("a", "b", "c")) {
            backends.on(name, s -> TestBackends.Action.delay(1_500));
        }
        try {
            Function<InetSocketAddress, String> runHeld = target -> {
                List<RawHttp> open = new ArrayList<>();
                try {
                    for (int i = 0; i < n; i++) {
                        RawHttp c = new RawHttp(target);
                        c.send("GET /held" + i + " HTTP/1.1\r\nHost: t\r\n\r\n");
                        open.add(c);
                        int expected = i + 1;
                        Awaitility.await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(5))
                                .until(() -> backends.arrivals.size() >= expected);
                    }
                    for (RawHttp c : open) {
                        c.read();
                        c.close();
                    }
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
                return backends.drain();
            };
            return compare(method, "", runHeld, servers);
        } finally {
            for (String name : List.of("a", "b", "c")) {
                backends.on(name, s -> TestBackends.Action.ok());
            }
        }
    }

    @Test
    void ipHashOverManyClientAddresses() throws Exception {
        backends = new TestBackends("a", "b", "c");
        assertSame(compare("ip_hash", "", sources(30), "a", "b", "c"));
        assertSame(compare("ip_hash", "", sources(30), "a", "b weight=2", "c weight=3"));
        assertSame(compare("ip_hash", "", sources(30), "a", "b down", "c"));
    }

    @Test
    void ipHashFailoverContinuesTheHash() throws Exception {
        backends = new TestBackends("a", "b", "X");
        backends.on("X", s -> TestBackends.Action.closeConnection());
        assertSame(compare("ip_hash", "", sources(30), "a", "X max_fails=2 fail_timeout=60s", "b"));
    }

    @Test
    void hashAndConsistentHashOverManyKeys() throws Exception {
        backends = new TestBackends("a", "b", "c");
        assertSame(compare("hash $arg_k", "", keys(40), "a", "b", "c"));
        assertSame(compare("hash $arg_k", "", keys(40), "a weight=2", "b weight=3", "c"));
        assertSame(compare("hash $arg_k", "", keys(40), "a", "b down", "c"));
        assertSame(compare("hash $arg_k consistent", "", keys(40), "a", "b", "c"));
        assertSame(compare("hash $arg_k consistent", "", keys(40), "a weight=2", "b weight=3", "c"));
        assertSame(compare("hash $arg_k consistent", "", keys(40), "a", "b down", "c"));
    }

    @Test
    void hashWithAFailingServerRehashesLikeNginx() throws Exception {
        backends = new TestBackends("a", "b", "X");
        backends.on("X", s -> TestBackends.Action.closeConnection());
        assertSame(compare("hash $arg_k", "", keys(30), "a", "X max_fails=2 fail_timeout=60s", "b"));
        assertSame(compare("hash $arg_k consistent", "", keys(30), "a", "X max_fails=2 fail_timeout=60s", "b"));
    }
}
