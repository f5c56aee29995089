package io.stampede.balancer.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.stampede.balancer.proxy.ScriptedUpstream.After;
import io.stampede.balancer.proxy.ScriptedUpstream.Reply;
import io.stampede.common.testing.LeakGuard;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * The first law of a proxy, as a property: for any sequence of clients, each pipelining a few
 * requests that the upstream answers honestly or in one of several broken ways, every honest
 * answer reaches exactly the request it answers, and no request gets bytes of another's response.
 * One proxy with a keepalive pool on one event loop serves every try, so a connection left
 * poisoned by one try would show in a later one. Netty's paranoid leak detection stays on.
 *
 * <p>CI runs a fixed seed and a few dozen tries; {@code bench/scripts/property-soak.sh} runs
 * thousands with fresh seeds.
 */
class NoCrossDeliveryPropertyTest {
    private static final String EVIL = "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nEVIL";
    private static final Map<String, Reply> BROKEN = Map.of(
            "surplus", Reply.of("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi" + EVIL, After.KEEP),
            "bodiless-with-body", Reply.of("HTTP/1.1 204 No Content\r\nContent-Length: 41\r\n\r\n" + EVIL, After.KEEP),
            "head-with-body", Reply.of("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nEVIL", After.KEEP),
            "short-then-close", Reply.of("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", After.CLOSE),
            "reset-mid-body", Reply.of("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", After.RESET),
            "length-and-chunked", Reply.of("HTTP/1.1 200 OK\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + "4\r\nEVIL\r\n0\r\n\r\n", After.KEEP),
            "interim-then-ok", Reply.of("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi", After.KEEP),
            "garbage-head", Reply.of("EVIL\r\n\r\n", After.KEEP),
            "after-last-chunk", Reply.of("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n" + EVIL,
                    After.KEEP));

    private static ScriptedUpstream upstream;
    private static TestProxy proxy;
    private static final AtomicInteger ids = new AtomicInteger();

    @BeforeContainer
    static void start() throws Exception {
        LeakGuard.install();
        upstream = new ScriptedUpstream(line -> {
            String[] parts = line.split(" ")[1].split("/");
            return parts.length > 3 ? BROKEN.get(parts[3]) : null;
        });
        proxy = new TestProxy("worker_processes: 1\nproxy_read_timeout: 5s\nproxy_next_upstream: off\n"
                + "locations:\n  /:\n    proxy_pass: http://backend\n"
                + "upstreams:\n  backend:\n    keepalive: 4\n    servers: [\"" + upstream.address() + "\"]\n");
    }

    @AfterContainer
    static void stop() throws Exception {
        proxy.close();
        upstream.close();
        LeakGuard.check("NoCrossDeliveryPropertyTest");
    }

    @Provide
    Arbitrary<List<List<String>>> clients() {
        List<String> kinds = new ArrayList<>(BROKEN.keySet());
        kinds.add("honest");
        kinds.add("honest");
        kinds.add("honest");
        Arbitrary<List<String>> pipeline = Arbitraries.of(kinds).list().ofMinSize(1).ofMaxSize(3);
        return pipeline.list().ofMinSize(1).ofMaxSize(5);
    }

    // Tries: 30 by default (junit-platform.properties); the soak script raises jqwik.tries.default.
    @Property(seed = "20261201")
    void everyAnswerReachesOnlyItsOwnRequest(@ForAll("clients") List<List<String>> clients) throws Exception {
        for (List<String> pipeline : clients) {
            StringBuilder raw = new StringBuilder();
            List<Boolean> heads = new ArrayList<>();
            List<String> paths = new ArrayList<>();
            for (String kind : pipeline) {
                String path = "/p/" + ids.incrementAndGet() + "/" + kind;
                boolean head = kind.equals("head-with-body");
                raw.append(head ? "HEAD " : "GET ").append(path).append(" HTTP/1.1\r\nHost: x\r\n\r\n");
                heads.add(head);
                paths.add(path);
            }
            List<String> got = ResponseReader.exchange(proxy.address, raw.toString(), heads);
            for (int i = 0; i < got.size(); i++) {
                String answer = got.get(i);
                assertThat(answer).as("request %s", paths.get(i)).doesNotContain("EVIL");
                for (int j = 0; j < paths.size(); j++) {
                    if (j != i) {
                        assertThat(answer).as("request %s got %s's answer", paths.get(i), paths.get(j))
                                .doesNotContain("ok:" + paths.get(j));
                    }
                }
                if (pipeline.get(i).equals("honest")) {
                    assertThat(answer).as("honest request %s", paths.get(i)).isIn("200 ok:" + paths.get(i), "closed");
                }
            }
            // A new client afterwards gets its own answer, whatever the pool holds now.
            String path = "/p/" + ids.incrementAndGet();
            assertThat(ResponseReader.exchange(proxy.address, "GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n", List.of(false)))
                    .containsExactly("200 ok:" + path);
        }
    }
}
