package io.stampede.balancer.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** nginx Plus's sticky sessions and drain, through the proxy. */
class StickyTest {
    private static String upstream(TestBackends b, String sticky, String aParams, String bParams) {
        return "locations:\n  /:\n    proxy_pass: http://api\nupstreams:\n  api:\n    sticky: " + sticky + "\n    servers:\n"
                + "      - " + b.address("a") + aParams + "\n      - " + b.address("b") + bParams + "\n";
    }

    private static HttpResponse<String> get(TestProxy proxy, String path, String cookie) {
        HttpRequest.Builder r = HttpRequest.newBuilder(URI.create(proxy.url(path))).timeout(Duration.ofSeconds(20));
        if (cookie != null) {
            r.header("Cookie", cookie);
        }
        return proxy.send(r.build());
    }

    private static String backend(HttpResponse<String> r) {
        return r.headers().firstValue("X-Backend").orElseThrow();
    }

    @Test
    void aCookieBindsTheClientAndFallsBackWhenItsServerFails() throws Exception {
        try (TestBackends b = new TestBackends("a", "b");
             TestProxy proxy = new TestProxy(upstream(b, "cookie srv_id expires=1h path=/ httponly", "", ""))) {
            HttpResponse<String> first = get(proxy, "/", null);
            String setCookie = first.headers().firstValue("Set-Cookie").orElseThrow();
            assertThat(setCookie).matches("srv_id=[0-9a-f]{32}; expires=\\w{3}, \\d{2}-\\w{3}-\\d{2} \\d{2}:\\d{2}:\\d{2} GMT;"
                    + " max-age=3600; httponly; path=/");
            String cookie = setCookie.substring(0, setCookie.indexOf(';'));
            String home = backend(first);
            for (int i = 0; i < 6; i++) {
                assertThat(backend(get(proxy, "/" + i, cookie))).as("round robin alone would alternate").isEqualTo(home);
            }
            b.on(home, s -> TestBackends.Action.closeConnection()); // its server fails
            HttpResponse<String> moved = get(proxy, "/after", cookie);
            assertThat(moved.statusCode()).isEqualTo(200);
            assertThat(backend(moved)).isNotEqualTo(home);
            assertThat(moved.headers().firstValue("Set-Cookie").orElseThrow()).doesNotStartWith(cookie + ";");
        }
    }

    @Test
    void routeTakesTheFirstNonEmptyVariable() throws Exception {
        try (TestBackends b = new TestBackends("a", "b");
             TestProxy proxy = new TestProxy(upstream(b, "route $cookie_route $arg_route", " route=blue", " route=green"))) {
            for (int i = 0; i < 4; i++) {
                assertThat(backend(get(proxy, "/x?route=green", null))).isEqualTo("b");
                assertThat(backend(get(proxy, "/x?route=green", "route=blue"))).as("the cookie comes first").isEqualTo("a");
            }
            Set<String> unbound = new HashSet<>();
            for (int i = 0; i < 4; i++) {
                unbound.add(backend(get(proxy, "/x?route=nobody", null)));
            }
            assertThat(unbound).containsExactlyInAnyOrder("a", "b");
        }
    }

    @Test
    void learnRemembersTheSessionAServerStarted() throws Exception {
        try (TestBackends b = new TestBackends("a", "b")) {
            b.on("a", s -> TestBackends.Action.setCookie("sid=session-a; Path=/"));
            b.on("b", s -> TestBackends.Action.setCookie("sid=session-b; Path=/"));
            try (TestProxy proxy = new TestProxy(upstream(b,
                    "learn create=$upstream_cookie_sid lookup=$cookie_sid zone=sessions:1m timeout=1h", "", ""))) {
                String first = backend(get(proxy, "/login", null));
                for (int i = 0; i < 6; i++) {
                    assertThat(backend(get(proxy, "/" + i, "sid=session-" + first))).isEqualTo(first);
                }
                assertThat(backend(get(proxy, "/x", "sid=unknown"))).isIn("a", "b");
            }
        }
    }

    @Test
    void aDrainingServerTakesOnlyItsStickyClients() throws Exception {
        try (TestBackends b = new TestBackends("a", "b");
             TestProxy proxy = new TestProxy(upstream(b, "route $cookie_route", " route=old drain", " route=new"))) {
            for (int i = 0; i < 6; i++) {
                assertThat(backend(get(proxy, "/" + i, null))).isEqualTo("b");
            }
            assertThat(backend(get(proxy, "/bound", "route=old"))).isEqualTo("a");
        }
    }
}
