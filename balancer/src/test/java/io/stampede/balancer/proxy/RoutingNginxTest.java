package io.stampede.balancer.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Virtual servers and locations beside a real nginx: the same servers and locations in both
 * syntaxes, each answering with its own name ({@code return 200 NAME}), and the same requests to
 * both; every answer must be the same. Then the same for redirects and the other forms of return.
 */
class RoutingNginxTest {
    @BeforeAll
    static void needsNginx() {
        if (NginxRunner.binary() == null) {
            System.err.println("SKIPPED LOUDLY: nginx is not installed (apt-get install nginx); RoutingNginxTest did not run");
            Assumptions.abort("nginx is not installed");
        }
    }

    /** One location: nginx's modifier and path, its answer, and nested ones. */
    private record Loc(String key, String answer, List<Loc> nested) {
        Loc(String key, String answer) {
            this(key, answer, List.of());
        }

        String nginx() {
            StringBuilder b = new StringBuilder("location " + key + " {");
            nested.forEach(n -> b.append(' ').append(n.nginx()));
            if (answer != null) {
                b.append(" return 200 \"").append(answer).append("\";");
            }
            return b.append(" }").toString();
        }

        String yaml(String indent) {
            StringBuilder b = new StringBuilder(indent + "\"" + key.replace("\\", "\\\\") + "\":\n");
            if (answer != null) {
                b.append(indent).append("  return: 200 ").append(answer).append('\n');
            }
            if (!nested.isEmpty()) {
                b.append(indent).append("  locations:\n");
                nested.forEach(n -> b.append(n.yaml(indent + "    ")));
            }
            return b.toString();
        }
    }

    private static final List<Loc> LOCATIONS = List.of(
            new Loc("= /", "exact-root"),
            new Loc("/", "root"),
            new Loc("/images/", "images"),
            new Loc("^~ /static/", "static"),
            new Loc("~* \\.(gif|jpg|png)$", "re-img"),
            new Loc("~ \\.php$", "re-php"),
            new Loc("/api/", "api", List.of(new Loc("/api/v1/", "api-v1"), new Loc("~ ^/api/.*\\.json$", "api-json"))),
            new Loc("^~ /docs/", "docs", List.of(new Loc("~ \\.pdf$", "docs-pdf"))),
            new Loc("~ ^/users/(\\d+)$", "user"),
            new Loc("= /exact", "exact"),
            new Loc("/exact", "exact-prefix"),
            new Loc("/shop", null, List.of(new Loc("/shop/cart", "cart"), new Loc("~ /shop/item-\\d+", "item"))));

    private static final List<String> PATHS = List.of("/", "/index.html", "/images/a.gif", "/images/a.txt", "/images/",
            "/static/a.gif", "/static/", "/a.GIF", "/b.jpg", "/x.php", "/x.PHP", "/api/", "/api", "/api/x", "/api/v1/a",
            "/api/v1/a.json", "/api/x.json", "/api/a.php", "/api/a.gif", "/docs/a.pdf", "/docs/a.php", "/docs",
            "/users/12", "/users/x", "/users/12/x", "/exact", "/exact/", "/exactly", "/EXACT", "/shop/cart", "/shop/cart.gif",
            "/shop/item-7", "/shop/other.gif", "/shop/other", "/%61pi/v1/x", "/images/../api/v1/y");

    private static Map<String, String> answers(InetSocketAddress at, List<String> requests) throws Exception {
        Map<String, String> out = new LinkedHashMap<>();
        for (String r : requests) {
            List<String> got = ResponseReader.exchange(at, r, List.of(false));
            out.put(r.substring(0, r.indexOf('\r')) + " | " + hostOf(r), got.get(0));
        }
        return out;
    }

    private static String hostOf(String raw) {
        int i = raw.indexOf("Host: ");
        return i < 0 ? "(none)" : raw.substring(i + 6, raw.indexOf('\r', i));
    }

    @Test
    void locationsAreChosenAsNginxChoosesThem() throws Exception {
        List<String> requests = new ArrayList<>();
        PATHS.forEach(p -> requests.add("GET " + p + " HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"));
        StringBuilder yaml = new StringBuilder("locations:\n");
        LOCATIONS.forEach(l -> yaml.append(l.yaml("  ")));
        StringBuilder conf = new StringBuilder();
        LOCATIONS.forEach(l -> conf.append("    ").append(l.nginx()).append('\n'));
        Map<String, String> theirs;
        try (NginxRunner nginx = NginxRunner.withServer("", conf.toString())) {
            theirs = answers(nginx.address(), requests);
        }
        Map<String, String> ours;
        try (TestProxy proxy = new TestProxy(yaml.toString())) {
            ours = answers(proxy.address, requests);
        }
        assertThat(ours).isEqualTo(theirs);
        // The matrix is not trivially uniform: it exercises every kind of location.
        assertThat(theirs.values()).contains("200 exact-root", "200 root", "200 static", "200 re-img", "200 api-json",
                "200 docs-pdf", "200 user", "200 exact", "200 item", "200 cart", "404");
    }

    @Test
    void serversAreChosenByNameAsNginxChoosesThem() throws Exception {
        String[][] servers = {
            {"example.com www.example.com", "s-exact", ""},
            {"*.example.com", "s-star", ""},
            {".example.org", "s-dot-org", ""},
            {"mail.*", "s-mail", ""},
            {"~^api\\d+\\.example\\.net$", "s-regex", ""},
            {"~^SHOP\\d+\\.Example\\.net$", "s-upper", ""},
            {"_", "s-default", " default_server"},
            {"\"\"", "s-empty", ""},
        };
        List<String> hosts = List.of("example.com", "WWW.Example.Com", "a.example.com", "a.b.example.com", "example.org",
                "x.example.org", "mail.foo.com", "mail.example.com", "api12.example.net", "api.example.net", "unknown.com",
                "example.com:8080", "example.com.", "127.0.0.1", "shop7.example.net", "SHOP8.EXAMPLE.NET");
        List<String> requests = new ArrayList<>();
        hosts.forEach(h -> requests.add("GET / HTTP/1.1\r\nHost: " + h + "\r\nConnection: close\r\n\r\n"));
        requests.add("GET / HTTP/1.0\r\n\r\n");
        requests.add("GET http://api7.example.net/x HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\n\r\n");
        Map<String, String> theirs;
        try (NginxRunner nginx = NginxRunner.withHttp(port -> {
            StringBuilder b = new StringBuilder();
            for (String[] s : servers) {
                b.append("  server { listen 127.0.0.1:").append(port).append(s[2]).append("; server_name ").append(s[0])
                        .append("; return 200 \"").append(s[1]).append("\"; }\n");
            }
            return b.toString();
        })) {
            theirs = answers(nginx.address(), requests);
        }
        StringBuilder yaml = new StringBuilder("servers:\n");
        for (String[] s : servers) {
            yaml.append("  - listen: 127.0.0.1:0").append(s[2]).append("\n    server_name: '").append(s[0])
                    .append("'\n    return: 200 ").append(s[1]).append('\n');
        }
        Map<String, String> ours;
        try (TestProxy proxy = new TestProxy(yaml.toString())) {
            ours = answers(proxy.address, requests);
        }
        assertThat(ours).isEqualTo(theirs);
        assertThat(new java.util.HashSet<>(theirs.values())).hasSize(servers.length);
    }

    @Test
    void returnAnswersAsNginxDoes() throws Exception {
        String[][] returns = {
            {"/perm", "301 https://$host$request_uri"},
            {"/rel", "302 /moved?from=$uri"},
            {"/bare", "https://example.com/elsewhere"},
            {"/gone", "410"},
            {"/none", "204"},
            {"/drop", "444"},
            {"/text", "200 \"$request_method $uri $arg_a\""},
            {"/see", "303 $scheme://$host/other"},
        };
        String conf = returnsConf(returns);
        String yaml = returnsYaml(returns);
        List<String> asked = new ArrayList<>();
        for (String[] r : returns) {
            asked.add("GET " + r[0] + "?a=1 HTTP/1.1\r\nHost: Site.Example\r\nConnection: close\r\n\r\n");
        }
        List<String> theirs = bothAnswer(conf, yaml, asked);
        assertThat(theirs).contains("301 -> https://site.example/perm?a=1", "closed");
    }

    /**
     * A return text's bytes, exactly, with nginx's escapes (\\n, \\t, \\", \\\\) in a quoted
     * string or a bare word: from the YAML, and from the same lines in an nginx.conf, as a real nginx sends them.
     */
    @Test
    void returnTextsKeepTheirEscapesAndTrailingNewlineAsNginxDoes() throws Exception {
        String[][] returns = {
            {"/nl", "200 \"ok\\n\""},
            {"/tab", "200 'a\\tb \\\"q\\\" \\\\ $uri\\r\\n'"},
            {"/plain", "200 done"},
            {"/other", "200 \"keep \\d\""},
            {"/bare", "200 a\\nb\\\\c\\d"},
        };
        String conf = returnsConf(returns);
        String yaml = returnsYaml(returns);
        List<String> theirs = new ArrayList<>();
        try (NginxRunner nginx = NginxRunner.withServer("", conf)) {
            for (String[] r : returns) {
                theirs.add(body(nginx.address(), r[0]));
            }
        }
        assertThat(theirs.get(0)).isEqualTo("ok\n");
        assertThat(theirs.get(1)).isEqualTo("a\tb \"q\" \\ /tab\r\n");
        assertThat(theirs.get(4)).as("a bare word's escapes").isEqualTo("a\nb\\c\\d");
        List<String> ours = new ArrayList<>();
        try (TestProxy proxy = new TestProxy(yaml)) {
            for (String[] r : returns) {
                ours.add(body(proxy.address, r[0]));
            }
        }
        assertThat(ours).as("from the YAML").isEqualTo(theirs);
        java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("return-conf");
        java.nio.file.Path file = dir.resolve("nginx.conf");
        java.nio.file.Files.writeString(file, "http {\n  server {\n    listen 127.0.0.1:8080;\n" + conf + "  }\n}\n");
        io.stampede.balancer.config.ProxyConfig converted = io.stampede.balancer.config.ConfigLoader.load(file, false, n -> { });
        List<String> fromConf = new ArrayList<>();
        for (String[] r : returns) {
            io.stampede.balancer.route.ReturnAction a = converted.locate(r[0]).orElseThrow().ret();
            fromConf.add(a.text().render(name -> name.equals("uri") ? r[0] : null));
        }
        assertThat(fromConf).as("from the nginx.conf").isEqualTo(theirs);
    }

    /** An exact location per {path, return value}, as nginx.conf lines of a server. */
    private static String returnsConf(String[][] returns) {
        StringBuilder conf = new StringBuilder();
        for (String[] r : returns) {
            conf.append("    location = ").append(r[0]).append(" { return ").append(r[1]).append("; }\n");
        }
        return conf.toString();
    }

    /** The same locations in the YAML (each value single-quoted, so backslashes stay as written). */
    private static String returnsYaml(String[][] returns) {
        StringBuilder yaml = new StringBuilder("locations:\n");
        for (String[] r : returns) {
            yaml.append("  \"= ").append(r[0]).append("\":\n    return: '").append(r[1].replace("'", "''")).append("'\n");
        }
        return yaml.toString();
    }

    /** The body of a GET for {@code path}, byte for byte (the connection closed after it). */
    private static String body(InetSocketAddress at, String path) throws Exception {
        try (java.net.Socket s = new java.net.Socket()) {
            s.connect(at, 5000);
            s.setSoTimeout(10_000);
            s.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n")
                    .getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
            String text = new String(s.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.ISO_8859_1);
            return text.substring(text.indexOf("\r\n\r\n") + 4);
        }
    }

    @Test
    void rewriteAndErrorPagesAsNginx() throws Exception {
        try (TestBackends backends = new TestBackends("b")) {
            backends.on("b", seen -> seen.uri().contains("missing") ? TestBackends.Action.status(404)
                    : new TestBackends.Action(200, 0, false, "b " + seen.uri()));
            String b = backends.address("b");
            String[][] locations = {
                {"/old/", "rewrite ^/old/(.*)$ /new/$1 last;"},
                {"/new/", "return 200 \"new $uri $args\";"},
                {"/perm/", "rewrite ^/perm/(.*)$ /moved/$1 permanent;"},
                {"/ext/", "rewrite ^/ext/(.*) https://example.com/$1? redirect;"},
                {"/brk/", "rewrite ^/brk/(.*)$ /other/$1 break; proxy_pass http://" + b + ";"},
                {"/brkuri/", "rewrite ^/brkuri/(.*)$ /changed/$1 break; proxy_pass http://" + b + "/base/;"},
                {"/args/", "rewrite ^/args/(.*)$ /new/$1?x=1;"},
                {"/noargs/", "rewrite ^/noargs/(.*)$ /new/$1? last;"},
                {"/loop/", "rewrite ^ /loop/x last;"},
                {"/err/", "proxy_pass http://127.0.0.1:1; error_page 502 /fallback;"},
                {"/err2/", "proxy_pass http://127.0.0.1:1; error_page 502 =200 @named;"},
                {"/err3/", "proxy_pass http://127.0.0.1:1; error_page 502 = /new/x;"},
                {"/err4/", "proxy_pass http://127.0.0.1:1; error_page 500 502 =503 https://status.example.com/;"},
                {"/icpt/", "proxy_pass http://" + b + "; proxy_intercept_errors on; error_page 404 /nf;"},
                {"/noicpt/", "proxy_pass http://" + b + "; error_page 404 /nf;"},
                {"= /fallback", "return 200 \"fb $uri\";"},
                {"= /nf", "internal; return 200 \"nf\";"},
                {"@named", "return 200 \"named\";"},
                {"/", "proxy_pass http://" + b + ";"},
            };
            StringBuilder conf = new StringBuilder("    rewrite ^/s/(.*)$ /new/s-$1 last;\n");
            StringBuilder yaml = new StringBuilder("rewrite: '^/s/(.*)$ /new/s-$1 last'\nlocations:\n");
            for (String[] l : locations) {
                conf.append("    location ").append(l[0]).append(" { ").append(l[1]).append(" }\n");
                yaml.append("  \"").append(l[0]).append("\":\n");
                for (String d : l[1].split(";")) {
                    d = d.trim();
                    if (d.isEmpty()) {
                        continue;
                    }
                    int sp = d.indexOf(' ');
                    String key = sp < 0 ? d : d.substring(0, sp);
                    String value = sp < 0 ? "on" : d.substring(sp + 1).replace("\"", "");
                    yaml.append("    ").append(key).append(": '").append(value).append("'\n");
                }
            }
            List<String> paths = List.of("/old/a?a=1", "/perm/p?q=2", "/ext/e?z=1", "/brk/k?k=1", "/brkuri/u", "/args/g?a=1",
                    "/noargs/n?a=1", "/loop/", "/err/x", "/err2/x", "/err3/x", "/err4/x", "/icpt/missing", "/icpt/here",
                    "/noicpt/missing", "/nf", "/s/t?v=1", "/plain");
            List<String> requests = new ArrayList<>();
            paths.forEach(p -> requests.add("GET " + p + " HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n"));
            List<String> theirs = bothAnswer(conf.toString(), yaml.toString(), requests);
            assertThat(theirs).contains("200 new /new/a a=1", "301 -> http://h:PORT/moved/p?q=2", "200 b /other/k?k=1",
                    "500", "502 fb /fallback", "200 named", "404 nf", "200 b /changed/u");
        }
    }

    /**
     * The answers of a real nginx with {@code server} as its one server's body, after checking that
     * a proxy from {@code yaml} answers the same (ports written as PORT).
     */
    private static List<String> bothAnswer(String server, String yaml, List<String> requests) throws Exception {
        List<List<String>> runs = new ArrayList<>();
        try (NginxRunner nginx = NginxRunner.withServer("", server)) {
            runs.add(summaries(nginx.address(), requests));
        }
        try (TestProxy proxy = new TestProxy(yaml)) {
            runs.add(summaries(proxy.address, requests));
        }
        assertThat(runs.get(1)).isEqualTo(runs.get(0));
        return runs.get(0);
    }

    private static List<String> summaries(InetSocketAddress at, List<String> requests) throws Exception {
        List<String> out = new ArrayList<>();
        for (String r : requests) {
            out.add(ResponseReader.summary(at, r).replace(":" + at.getPort() + "/", ":PORT/"));
        }
        return out;
    }
}
