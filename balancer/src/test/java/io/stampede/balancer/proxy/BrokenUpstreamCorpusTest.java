package io.stampede.balancer.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.stampede.balancer.proxy.ScriptedUpstream.After;
import io.stampede.balancer.proxy.ScriptedUpstream.Reply;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Malformed and hostile upstream responses, each sent byte for byte by a scripted upstream to a
 * request from client A, who pipelines a second request behind it; then clients B and C come on
 * new connections. One proxy and one upstream serve every case in turn, with a keepalive pool on
 * one event loop, so a poisoned connection would be handed to the next request. The invariant:
 * no byte of one response reaches another request, so whatever A's second request and B and C get
 * is their own honest answer or nothing. A's own answer is compared with what we decided, and with
 * a real nginx given the same bytes where nginx's answer is the right one.
 */
class BrokenUpstreamCorpusTest {
    private static final String EVIL = "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nEVIL";

    static ScriptedUpstream upstream;
    static TestProxy proxy;
    static NginxRunner nginx;
    static HaproxyRunner haproxy;
    static final List<Case> CASES = cases();

    /**
     * @param ours what client A gets for the hostile request (see {@link ResponseReader})
     * @param likeNginx whether nginx 1.22 answers the same (checked when nginx is installed)
     */
    record Case(String name, String method, Reply reply, String ours, boolean likeNginx) {
        @Override
        public String toString() {
            return name;
        }
    }

    private static Case c(String name, String raw, After after, String ours, boolean likeNginx) {
        return new Case(name, "GET", Reply.of(raw, after), ours, likeNginx);
    }

    private static Case head(String name, String raw, After after, String ours, boolean likeNginx) {
        return new Case(name, "HEAD", Reply.of(raw, after), ours, likeNginx);
    }

    private static List<Case> cases() {
        List<Case> l = new ArrayList<>();
        // Bytes after a complete response: the response stands, the rest is dropped with the connection.
        l.add(c("204 declaring a length, then a whole response", "HTTP/1.1 204 No Content\r\nContent-Length: 41\r\n\r\n"
                + EVIL, After.KEEP, "204", true));
        l.add(c("body longer than Content-Length, a whole response after it",
                "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi" + EVIL, After.KEEP, "200 hi", true));
        l.add(c("a forged status line left after the body", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi"
                + "HTTP/1.1 403 Denied\r\n", After.KEEP, "200 hi", true));
        l.add(c("stray text after the body", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhihello", After.KEEP, "200 hi", true));
        l.add(c("CRLF after the body", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi\r\n", After.KEEP, "200 hi", true));
        l.add(c("304 with a body", "HTTP/1.1 304 Not Modified\r\nContent-Length: 4\r\n\r\nEVIL", After.KEEP, "304", true));
        l.add(c("204 with a body and no length", "HTTP/1.1 204 No Content\r\n\r\n" + EVIL, After.KEEP, "204", true));
        l.add(head("HEAD answered with a body", "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nEVIL", After.KEEP, "200", true));
        l.add(head("HEAD answered with a chunked body", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "4\r\nEVIL\r\n0\r\n\r\n", After.KEEP, "200", true));
        l.add(c("bytes after the last chunk", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n"
                + EVIL, After.KEEP, "200 hi", true));
        l.add(c("Connection: close with bytes after the body", "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nhi"
                + EVIL, After.CLOSE, "200 hi", true));
        // Framing that can be read two ways: refused (502) before anything reaches the client.
        l.add(c("Content-Length with Transfer-Encoding", "HTTP/1.1 200 OK\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "4\r\nEVIL\r\n0\r\n\r\n", After.KEEP, "502", false));
        l.add(c("two equal Content-Lengths", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nhi",
                After.KEEP, "502", false));
        l.add(c("two different Content-Lengths", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 6\r\n\r\nhiEVIL",
                After.KEEP, "502", false));
        l.add(c("a Content-Length list", "HTTP/1.1 200 OK\r\nContent-Length: 2, 2\r\n\r\nhi", After.KEEP, "502", false));
        l.add(c("negative Content-Length", "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\nhi", After.KEEP, "502", false));
        l.add(c("Content-Length with letters", "HTTP/1.1 200 OK\r\nContent-Length: 2x\r\n\r\nhi", After.KEEP, "502", false));
        l.add(c("unknown Transfer-Encoding", "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nhi", After.CLOSE, "502", false));
        l.add(c("obsolete line folding", "HTTP/1.1 200 OK\r\nX-A: a\r\n b\r\nContent-Length: 2\r\n\r\nhi", After.KEEP, "200 hi", false));
        l.add(c("bare LF line ends", "HTTP/1.1 200 OK\nContent-Length: 2\n\nhi", After.KEEP, "502", false));
        l.add(c("bare CR inside a header value", "HTTP/1.1 200 OK\r\nX-A: a\rb\r\nContent-Length: 2\r\n\r\nhi", After.KEEP, "502", true));
        l.add(c("NUL in a header value", "HTTP/1.1 200 OK\r\nX-A: a\u0000b\r\nContent-Length: 2\r\n\r\nhi", After.KEEP, "502", true));
        l.add(c("space before the colon", "HTTP/1.1 200 OK\r\nContent-Length : 2\r\n\r\nhi", After.KEEP, "200 hi", false));
        l.add(c("a malformed status line", "HTTP/1.1 2OO OK\r\nContent-Length: 2\r\n\r\nhi", After.KEEP, "502", false));
        l.add(c("a head larger than proxy_buffer_size", "HTTP/1.1 200 OK\r\nX-Big: " + "b".repeat(12_000)
                + "\r\nContent-Length: 2\r\n\r\nhi", After.KEEP, "502", true));
        // Interim responses and protocol switches nobody asked for.
        l.add(c("100 Continue, then the response", "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi",
                After.KEEP, "200 hi", false));
        l.add(c("103 Early Hints, then the response", "HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n"
                + "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi", After.KEEP, "200 hi", false));
        l.add(c("a flood of 1xx", "HTTP/1.1 100 Continue\r\n\r\n".repeat(50) + "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi",
                After.KEEP, "502", false));
        l.add(c("101 without an upgrade request", "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                + "Connection: Upgrade\r\n\r\n" + EVIL, After.KEEP, "502", false));
        // Chunked bodies that go wrong after the head went out: the client connection is cut.
        l.add(c("chunk size overflow", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFFFFFF\r\nhi\r\n",
                After.KEEP, "closed", true));
        l.add(c("a bad chunk size", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhi\r\n", After.KEEP, "closed", true));
        l.add(c("trailers carrying framing headers", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n"
                + "Content-Length: 40\r\nTransfer-Encoding: chunked\r\n\r\n", After.KEEP, "200 hi", true));
        // Old versions and early ends.
        l.add(c("HTTP/1.0 without a length, ended by close", "HTTP/1.0 200 OK\r\n\r\nold", After.CLOSE, "200 old", true));
        l.add(c("HTTP/1.0 with a length", "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nhi", After.KEEP, "200 hi", true));
        l.add(c("an HTTP/0.9 answer", "EVIL\r\n", After.CLOSE, "502", false));
        l.add(c("short body, then close", "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", After.CLOSE, "200 truncated", true));
        l.add(c("short chunked body, then close", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab",
                After.CLOSE, "200 truncated", true));
        l.add(c("reset inside the head", "HTTP/1.1 200 OK\r\nContent-Le", After.RESET, "502", true));
        l.add(c("reset inside the body", "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", After.RESET, "200 truncated", true));
        l.add(c("close inside the head", "HTTP/1.1 200 OK\r\nX-A", After.CLOSE, "502", true));
        l.add(c("close before any byte", "", After.CLOSE, "502", true));
        return l;
    }

    @BeforeAll
    static void start() throws Exception {
        upstream = new ScriptedUpstream(line -> {
            String path = line.split(" ")[1];
            if (path.startsWith("/evil/")) {
                return CASES.get(Integer.parseInt(path.substring(6))).reply();
            }
            return null;
        });
        proxy = new TestProxy("worker_processes: 1\nproxy_read_timeout: 5s\n"
                + "locations:\n  /:\n    proxy_pass: http://backend\n"
                + "upstreams:\n  backend:\n    keepalive: 8\n    servers: [\"" + upstream.address() + "\"]\n");
        if (NginxRunner.binary() != null) {
            nginx = new NginxRunner("    server " + upstream.address() + ";\n    keepalive 8;", "      proxy_read_timeout 5s;");
        } else {
            System.err.println("SKIPPED: nginx is not installed; the corpus runs against stampede only, without the nginx comparison");
        }
        if (HaproxyRunner.binary() != null) {
            haproxy = new HaproxyRunner(upstream.address());
        } else {
            System.err.println("SKIPPED: haproxy is not installed; HAProxy's answers are not shown beside ours");
        }
    }

    @AfterAll
    static void stop() throws IOException {
        if (nginx != null) {
            nginx.close();
        }
        if (haproxy != null) {
            haproxy.close();
        }
        proxy.close();
        upstream.close();
    }

    static Stream<Arguments> corpus() {
        List<Arguments> out = new ArrayList<>();
        for (int i = 0; i < CASES.size(); i++) {
            out.add(Arguments.of(i, CASES.get(i)));
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{1}")
    @MethodSource("corpus")
    void noResponseReachesAnotherRequest(int index, Case c) throws Exception {
        List<String> ours = run(proxy.address, index, c);
        List<String> theirs = nginx == null ? null : run(nginx.address(), index, c);
        // HAProxy's answers are shown for comparison (the closing notes list them), not judged here.
        List<String> haproxys = haproxy == null ? null : observe(haproxy.address(), index, c);
        System.out.printf("corpus %-55s ours=%s nginx=%s haproxy=%s%n", c.name(), ours, theirs, haproxys);
        assertThat(ours.get(0)).as("what client A got").isEqualTo(c.ours());
        if (theirs != null && c.likeNginx()) {
            assertThat(ours.get(0)).as("the same answer as nginx").isEqualTo(theirs.get(0));
        }
    }

    /** Client A's answers; B's and C's are checked here (the invariant). */
    private static List<String> run(InetSocketAddress at, int index, Case c) throws IOException {
        List<String> a = clientA(at, index, c);
        assertThat(a).as("client A got an answer of some kind").isNotEmpty();
        assertThat(a.get(0)).as("A's first answer is not the next request's").doesNotContain("ok:/next");
        if (a.size() > 1) {
            assertThat(a.get(1)).as("A's pipelined request got its own answer or none")
                    .isIn("200 ok:/next/" + index, "closed");
        }
        for (String victim : new String[] {"/victim/" + index, "/victim2/" + index}) {
            List<String> b = ResponseReader.exchange(at, "GET " + victim + " HTTP/1.1\r\nHost: x\r\n\r\n", List.of(false));
            assertThat(b).as("another client's request after the broken response").containsExactly("200 ok:" + victim);
        }
        return a;
    }

    private static List<String> clientA(InetSocketAddress at, int index, Case c) throws IOException {
        boolean head = c.method().equals("HEAD");
        String raw = c.method() + " /evil/" + index + " HTTP/1.1\r\nHost: x\r\n\r\n"
                + "GET /next/" + index + " HTTP/1.1\r\nHost: x\r\n\r\n";
        return ResponseReader.exchange(at, raw, List.of(head, false));
    }

    /** A's answers and B's, without judging them: "A=[...] B=[...]". */
    private static List<String> observe(InetSocketAddress at, int index, Case c) throws IOException {
        List<String> out = new ArrayList<>(clientA(at, index, c));
        out.add("B:" + ResponseReader.exchange(at, "GET /victim/" + index + " HTTP/1.1\r\nHost: x\r\n\r\n", List.of(false)));
        return out;
    }

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }
}
