package io.stampede.balancer.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.stampede.balancer.log.AccessRecord;
import io.stampede.balancer.log.LogFormat;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** nginx's log_format: the escapes, unset variables, upstream attempts, and the same lines as a real nginx writes. */
class AccessLogFormatTest {
    @TempDir
    Path dir;

    @Test
    void escapesAndUnsetVariablesAsNginx() {
        AccessRecord r = new AccessRecord();
        r.status = 502;
        r.requestLine = "GET /a\"b HTTP/1.1";
        r.vars = name -> name.equals("http_user_agent") ? "ua\twith \"quotes\"" : null;
        r.attempt("10.0.0.1:80", 502, 1_000_000);
        r.attempt("10.0.0.2:80", 504, 2_000_000);
        assertThat(LogFormat.parse("d", "$status \"$request\" \"$http_user_agent\" \"$http_referer\" $upstream_addr $upstream_status")
                .line(r)).isEqualTo("502 \"GET /a\\x22b HTTP/1.1\" \"ua\\x09with \\x22quotes\\x22\" \"-\" 10.0.0.1:80, 10.0.0.2:80 502, 504");
        assertThat(LogFormat.parse("j", "escape=json {\"r\":\"$request\",\"ua\":\"$http_user_agent\",\"ref\":\"$http_referer\"}").line(r))
                .isEqualTo("{\"r\":\"GET /a\\\"b HTTP/1.1\",\"ua\":\"ua\\twith \\\"quotes\\\"\",\"ref\":\"\"}");
        // A kept-alive try (connected at once), a refused one, then an error_page's round; the last try read to its end later.
        AccessRecord t = new AccessRecord();
        t.attempt("10.0.0.1:80", 200, 3_000_000, 0, 2_000_000);
        t.attempt("10.0.0.2:80", 502, 1_000_000, -1, -1);
        t.newRound();
        t.newRound();
        t.attempt("10.0.0.3:80", 200, 5_000_000, 1_500_000, 4_000_000);
        t.lastAttemptEnded(9_000_000);
        assertThat(LogFormat.parse("u", "$upstream_addr|$upstream_status|$upstream_connect_time|$upstream_header_time|"
                + "$upstream_response_time").line(t)).isEqualTo("10.0.0.1:80, 10.0.0.2:80 : 10.0.0.3:80|200, 502 : 200|"
                + "0.000, - : 0.001|0.002, - : 0.004|0.003, 0.001 : 0.009");
        assertThat(io.stampede.balancer.log.AccessFormat.line(t)).contains("\"10.0.0.1:80, 10.0.0.2:80 : 10.0.0.3:80\"")
                .endsWith(" 0.003, 0.001 : 0.009");
        assertThatThrownBy(() -> LogFormat.parse("x", "$nope")).hasMessageContaining("unknown variable '$nope'");
        assertThatThrownBy(() -> LogFormat.parse("x", "escape=xml $status")).hasMessageContaining("escape=xml");
    }

    private static List<String> lines(Path file, int n) throws Exception {
        await().atMost(Duration.ofSeconds(10)).until(() -> Files.exists(file) && Files.readAllLines(file).size() >= n);
        return Files.readAllLines(file);
    }

    @Test
    void aJsonFormatWritesWhatNginxWrites() throws Exception {
        String format = "escape=json {\"status\":$status,\"request\":\"$request\",\"method\":\"$request_method\",\"uri\":\"$uri\","
                + "\"args\":\"$args\",\"up\":\"$upstream_status\",\"ref\":\"$http_referer\",\"ua\":\"$http_user_agent\",\"user\":\"$remote_user\"}";
        List<String> requests = List.of("GET /api/x?a=1 HTTP/1.1\r\nHost: h\r\nUser-Agent: t\"1\r\nConnection: close\r\n\r\n",
                "GET /here HTTP/1.1\r\nHost: h\r\nReferer: http://r/\r\nConnection: close\r\n\r\n",
                "GET /down HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n");
        try (TestBackends backends = new TestBackends("a")) {
            String locations = "    location /api/ { proxy_pass http://" + backends.address("a") + "; }\n"
                    + "    location = /here { return 200 \"here\"; }\n    location /down { proxy_pass http://127.0.0.1:1; }\n";
            Path theirsLog = dir.resolve("nginx.log");
            List<String> theirs;
            if (NginxRunner.binary() == null) {
                System.err.println("SKIPPED LOUDLY: nginx is not installed; the nginx half of AccessLogFormatTest did not run");
                theirs = null;
            } else {
                try (NginxRunner nginx = NginxRunner.withHttp(port -> "  log_format j escape=json '"
                        + format.substring("escape=json ".length()) + "';\n"
                        + "  server {\n    listen 127.0.0.1:" + port + ";\n    access_log " + theirsLog + " j;\n" + locations + "  }\n")) {
                    for (String r : requests) {
                        ResponseReader.exchange(nginx.address(), r, List.of(false));
                    }
                    theirs = lines(theirsLog, requests.size());
                }
            }
            Path oursLog = dir.resolve("ours.log");
            String yaml = "log_format: {j: '" + format.replace("'", "''") + "'}\naccess_log: " + oursLog + " j\nlocations:\n"
                    + "  /api/: {proxy_pass: 'http://" + backends.address("a") + "'}\n  = /here: {return: 200 here}\n"
                    + "  /down: {proxy_pass: 'http://127.0.0.1:1'}\n";
            List<String> ours;
            try (TestProxy proxy = new TestProxy(yaml)) {
                for (String r : requests) {
                    ResponseReader.exchange(proxy.address, r, List.of(false));
                }
                ours = lines(oursLog, requests.size());
            }
            assertThat(ours).hasSize(3);
            @SuppressWarnings("unchecked")
            Map<String, Object> first = new com.fasterxml.jackson.databind.ObjectMapper().readValue(ours.get(0), Map.class);
            assertThat(first).containsEntry("status", 200).containsEntry("up", "200").containsEntry("ua", "t\"1").containsEntry("args", "a=1");
            if (theirs != null) {
                assertThat(ours).isEqualTo(theirs);
            }
        }
    }

    /**
     * $upstream_connect_time and $upstream_header_time beside $upstream_addr, $upstream_status and
     * $upstream_response_time, through a retry (", ") and an error_page to another location's
     * upstream (" : "), as a real nginx writes them; times are compared by shape (a figure or "-").
     */
    @Test
    void upstreamTimingsAndSeparatorsAsNginxWritesThem() throws Exception {
        String format = "$status|$upstream_addr|$upstream_status|$upstream_connect_time|$upstream_header_time|$upstream_response_time";
        List<String> requests = List.of("GET /retry HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
                "GET /fallback HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
                "GET /fine HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
                "GET /none HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n");
        try (TestBackends backends = new TestBackends("a")) {
            String a = backends.address("a");
            List<String> theirs = null;
            if (NginxRunner.binary() == null) {
                System.err.println("SKIPPED LOUDLY: nginx is not installed; the nginx half of upstreamTimingsAndSeparatorsAsNginxWritesThem did not run");
            } else {
                Path log = dir.resolve("nginx-up.log");
                try (NginxRunner nginx = NginxRunner.withHttp(port -> "  log_format t '" + format + "';\n"
                        + "  upstream pair { server 127.0.0.1:1; server " + a + "; }\n  upstream good { server " + a + "; }\n"
                        + "  upstream gone { server 127.0.0.1:1 down; }\n"
                        + "  server {\n    listen 127.0.0.1:" + port + ";\n    access_log " + log + " t;\n"
                        + "    location /retry { proxy_pass http://pair; }\n"
                        + "    location /fallback { proxy_pass http://127.0.0.1:1; error_page 502 = @good; }\n"
                        + "    location @good { proxy_pass http://good; }\n    location /fine { proxy_pass http://good; }\n"
                        + "    location /none { proxy_pass http://gone; }\n  }\n")) {
                    for (String r : requests) {
                        ResponseReader.exchange(nginx.address(), r, List.of(false));
                    }
                    theirs = shapes(lines(log, requests.size()));
                }
            }
            Path log = dir.resolve("ours-up.log");
            String yaml = "log_format: {t: '" + format + "'}\naccess_log: " + log + " t\n"
                    + "upstreams:\n  pair: {servers: ['127.0.0.1:1', '" + a + "']}\n  good: {servers: ['" + a + "']}\n"
                    + "  gone: {servers: ['127.0.0.1:1 down']}\n"
                    + "locations:\n  /retry: {proxy_pass: 'http://pair'}\n"
                    + "  /fallback: {proxy_pass: 'http://127.0.0.1:1', error_page: '502 = @good'}\n"
                    + "  '@good': {proxy_pass: 'http://good'}\n  /fine: {proxy_pass: 'http://good'}\n  /none: {proxy_pass: 'http://gone'}\n";
            List<String> ours;
            try (TestProxy proxy = new TestProxy(yaml)) {
                for (String r : requests) {
                    ResponseReader.exchange(proxy.address, r, List.of(false));
                }
                ours = shapes(lines(log, requests.size()));
            }
            assertThat(ours).containsExactly(
                    "200|127.0.0.1:1, A|502, 200|-, T|-, T|T, T",
                    "200|127.0.0.1:1 : A|502 : 200|- : T|- : T|T : T",
                    "200|A|200|T|T|T",
                    "502|gone|502|-|-|T");
            if (theirs != null) {
                assertThat(ours).isEqualTo(theirs);
            }
        }
    }

    /** Times as T, the backend's address as A: what stays the same from run to run. */
    private static List<String> shapes(List<String> lines) {
        return lines.stream().map(l -> l.replaceAll("\\b\\d+\\.\\d{3}\\b", "T").replaceAll("127\\.0\\.0\\.1:(?!1\\b)\\d+", "A"))
                .toList();
    }

    @Test
    void thePredefinedJsonFormatWritesOneObjectALineAndAConfigurationsOwnJsonReplacesIt() throws Exception {
        try (TestBackends backends = new TestBackends("a")) {
            Path log = dir.resolve("json.log");
            try (TestProxy proxy = new TestProxy("access_log: " + log + " json\nlocations:\n  /:\n    proxy_pass: http://"
                    + backends.address("a") + "\n")) {
                ResponseReader.exchange(proxy.address, "GET /j?x=\"1 HTTP/1.1\r\nHost: h\r\nUser-Agent: t/1\r\nConnection: close\r\n\r\n",
                        List.of(false));
                @SuppressWarnings("unchecked")
                Map<String, Object> line = new com.fasterxml.jackson.databind.ObjectMapper().readValue(lines(log, 1).get(0), Map.class);
                assertThat(line).containsEntry("status", 200).containsEntry("request", "GET /j?x=\"1 HTTP/1.1")
                        .containsEntry("host", "h").containsEntry("upstream_addr", backends.address("a"))
                        .containsEntry("upstream_status", "200").containsEntry("http_user_agent", "t/1").containsEntry("http_referer", "")
                        .containsKeys("time", "remote_addr", "body_bytes_sent", "request_time", "upstream_connect_time",
                                "upstream_header_time", "upstream_response_time");
            }
            Path own = dir.resolve("own.log");
            try (TestProxy proxy = new TestProxy("log_format: {json: 'escape=json {\"s\":$status}'}\naccess_log: " + own
                    + " json\nlocations:\n  /:\n    proxy_pass: http://" + backends.address("a") + "\n")) {
                ResponseReader.exchange(proxy.address, "GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n", List.of(false));
                assertThat(lines(own, 1)).containsExactly("{\"s\":200}");
            }
        }
    }
}
