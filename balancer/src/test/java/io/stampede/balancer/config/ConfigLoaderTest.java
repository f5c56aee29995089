package io.stampede.balancer.config;

import io.stampede.balancer.config.directive.BalanceMethod;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.stampede.balancer.upstream.NextUpstream;
import io.stampede.common.yaml.ConfigException;
import java.io.IOException;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class ConfigLoaderTest {
    static ProxyConfig parse(String yaml) {
        return ConfigLoader.parse("proxy.yaml", new StringReader(yaml));
    }

    static final String BASE = "locations:\n  /:\n    proxy_pass: http://api\nupstreams:\n  api:\n";

    @Test
    void readsTheIssuesExampleWithNginxDefaults() {
        ProxyConfig c = parse("""
                listen: 127.0.0.1:8080
                admin:
                  listen: 127.0.0.1:9090
                client_max_body_size: 1m
                locations:
                  /:
                    proxy_pass: http://market_api
                    proxy_next_upstream: error timeout http_502
                    proxy_connect_timeout: 5s
                upstreams:
                  market_api:
                    balance: least_conn
                    keepalive: 32
                    servers:
                      - 127.0.0.1:8081 weight=5 max_fails=3 fail_timeout=30s
                      - 127.0.0.1:8082 max_conns=100
                      - 127.0.0.1:8083 backup
                      - address: 127.0.0.1:8084
                        down: true
                """);
        assertThat(c.listen()).hasSize(1);
        assertThat(c.admin()).isPresent();
        assertThat(c.client().maxBodySize()).isEqualTo(1 << 20);
        assertThat(c.client().keepaliveTimeout()).isEqualTo(Duration.ofSeconds(75));
        LocationConfig l = c.locations().get(0);
        assertThat(l.proxy().nextUpstream()).isEqualTo(NextUpstream.ERROR | NextUpstream.TIMEOUT | NextUpstream.HTTP_502);
        assertThat(l.proxy().connectTimeout()).isEqualTo(Duration.ofSeconds(5));
        assertThat(l.proxy().readTimeout()).isEqualTo(Duration.ofSeconds(60));
        UpstreamConfig u = c.upstreams().get("market_api");
        assertThat(u.method()).isInstanceOf(BalanceMethod.LeastConn.class);
        assertThat(u.servers()).extracting(ServerConfig::weight, ServerConfig::maxFails, ServerConfig::failTimeoutSeconds,
                ServerConfig::maxConns, ServerConfig::backup, ServerConfig::down).containsExactly(
                org.assertj.core.groups.Tuple.tuple(5, 3, 30L, 0, false, false),
                org.assertj.core.groups.Tuple.tuple(1, 1, 10L, 100, false, false),
                org.assertj.core.groups.Tuple.tuple(1, 1, 10L, 0, true, false),
                org.assertj.core.groups.Tuple.tuple(1, 1, 10L, 0, false, true));
        assertThat(u.keepalive()).isEqualTo(32);
    }

    @Test
    void http2IsOfferedPerListenerOrEverywhere() {
        ProxyConfig perListener = parse("listen: [127.0.0.1:8080, 127.0.0.1:8081 http2]\n" + BASE + "    servers: [127.0.0.1:1]\n");
        assertThat(perListener.listen()).extracting(Listener::http2).containsExactly(false, true);
        assertThat(perListener.http2()).isEqualTo(Http2Limits.DEFAULTS);
        ProxyConfig everywhere = parse("listen: [127.0.0.1:8080, 127.0.0.1:8081]\nhttp2: on\n"
                + "http2_max_concurrent_streams: 64\nhttp2_max_resets: 500 1m\nhttp2_max_control_frames: 1000\n"
                + "http2_max_continuation_frames: 8\n" + BASE + "    servers: [127.0.0.1:1]\n");
        assertThat(everywhere.listen()).extracting(Listener::http2).containsExactly(true, true);
        assertThat(everywhere.http2()).isEqualTo(new Http2Limits(64, 500, Duration.ofMinutes(1), 1000, 8));
    }

    @Test
    void balanceDirectivesParse() {
        BalanceMethod.Hash consistent = (BalanceMethod.Hash) parse(BASE
                + "    balance: hash $request_uri consistent\n    servers: [127.0.0.1:1]\n").upstreams().get("api").method();
        assertThat(consistent.consistent()).isTrue();
        assertThat(consistent.key().source()).isEqualTo("$request_uri");
        BalanceMethod.Hash h = (BalanceMethod.Hash) parse(BASE + "    balance: hash user-${arg_id}-$cookie_s\n    servers: [127.0.0.1:1]\n")
                .upstreams().get("api").method();
        assertThat(h.consistent()).isFalse();
        assertThat(h.key().render(n -> n.equals("arg_id") ? "7" : n.equals("cookie_s") ? "x" : null)).isEqualTo("user-7-x");
        assertThat(parse(BASE + "    balance: random two least_conn\n    servers: [127.0.0.1:1]\n").upstreams().get("api").method())
                .isEqualTo(new BalanceMethod.Random(true));
        assertThat(parse(BASE + "    balance: ip_hash\n    servers: [127.0.0.1:1]\n").upstreams().get("api").method())
                .isInstanceOf(BalanceMethod.IpHash.class);
    }

    @Test
    void proxyPassToAHostMakesAnImplicitUpstream() {
        ProxyConfig c = parse("locations:\n  /a/:\n    proxy_pass: http://127.0.0.1:9999/b/\n");
        LocationConfig l = c.locations().get(0);
        assertThat(l.upstream()).isEqualTo("127.0.0.1:9999");
        assertThat(l.proxyHost()).isEqualTo("127.0.0.1:9999");
        assertThat(l.uri()).isEqualTo("/b/");
        assertThat(c.upstreams().get("127.0.0.1:9999").implicit()).isTrue();
    }

    @Test
    void locationsMatchLikeNginx() {
        ProxyConfig c = parse("locations:\n  /:\n    proxy_pass: http://127.0.0.1:1\n  /api/:\n    proxy_pass: http://127.0.0.1:2\n"
                + "  /api/v1/:\n    proxy_pass: http://127.0.0.1:3\n  = /api/:\n    proxy_pass: http://127.0.0.1:4\n");
        assertThat(c.locate("/api/v1/x").orElseThrow().upstream()).isEqualTo("127.0.0.1:3");
        assertThat(c.locate("/api/x").orElseThrow().upstream()).isEqualTo("127.0.0.1:2");
        assertThat(c.locate("/api/").orElseThrow().upstream()).isEqualTo("127.0.0.1:4");
        assertThat(c.locate("/other").orElseThrow().upstream()).isEqualTo("127.0.0.1:1");
    }

    @Test
    void proxySettingsAreInheritedFromTheTopLevel() {
        ProxyConfig c = parse("proxy_read_timeout: 5s\nproxy_set_header: {X-A: a}\n"
                + "locations:\n  /:\n    proxy_pass: http://127.0.0.1:1\n  /b/:\n    proxy_pass: http://127.0.0.1:1\n"
                + "    proxy_set_header: {X-B: b}\n");
        assertThat(c.locations().get(0).proxy().readTimeout()).isEqualTo(Duration.ofSeconds(5));
        assertThat(c.locations().get(0).proxy().setHeaders()).extracting(HeaderSetting::name).containsExactly("X-A");
        assertThat(c.locations().get(1).proxy().setHeaders()).extracting(HeaderSetting::name).containsExactly("X-B");
    }

    static Stream<Arguments> mistakes() {
        return Stream.of(
            Arguments.of(BASE + "    servers:\n      - 127.0.0.1:8081 weight=0\n",
                    "proxy.yaml:7: upstreams.api.servers[0]: weight=0 (expected an integer >= 1)"),
            Arguments.of(BASE + "    servers:\n      - 127.0.0.1:8081 wieght=2\n",
                    "proxy.yaml:7: upstreams.api.servers[0]: unknown server parameter 'wieght'"),
            Arguments.of(BASE + "    servers:\n      - 127.0.0.1:8081 fail_timeout=500ms\n",
                    "fail_timeout=500ms (expected whole seconds"),
            Arguments.of(BASE + "    servers:\n      - 127.0.0.1:99999\n",
                    "proxy.yaml:7: upstreams.api.servers[0]: '127.0.0.1:99999' is not a server address"),
            Arguments.of(BASE + "    servers:\n      - no-such-host.invalid:80\n",
                    "host not found: 'no-such-host.invalid'"),
            Arguments.of(BASE + "    balance: ip_hash\n    servers:\n      - 127.0.0.1:1\n      - 127.0.0.1:2 backup\n",
                    "proxy.yaml:9: upstreams.api.servers[1]: balancing method 'ip_hash' does not support parameter 'backup'"),
            Arguments.of(BASE + "    balance: fastest\n    servers: [127.0.0.1:1]\n",
                    "proxy.yaml:6: upstreams.api.balance: 'fastest' (expected one of round_robin, least_conn"),
            Arguments.of(BASE + "    balance: hash $nope\n    servers: [127.0.0.1:1]\n", "unknown variable '$nope'"),
            Arguments.of(BASE + "    servers: [127.0.0.1:1]\n    keepalives: 3\n",
                    "proxy.yaml:7: upstreams.api.keepalives: unknown key 'keepalives' (expected one of balance, keepalive"),
            Arguments.of(BASE + "    servers: []\n", "proxy.yaml:6: upstreams.api: no servers"),
            Arguments.of("lisen: 127.0.0.1:80\n" + BASE + "    servers: [127.0.0.1:1]\n",
                    "proxy.yaml:1: lisen: unknown key 'lisen'"),
            Arguments.of("listen: 127.0.0.1:http\n" + BASE + "    servers: [127.0.0.1:1]\n",
                    "proxy.yaml:1: listen: '127.0.0.1:http' (expected ADDRESS:PORT"),
            Arguments.of("listen: 127.0.0.1:8080 spdy\n" + BASE + "    servers: [127.0.0.1:1]\n",
                    "proxy.yaml:1: listen: unknown listen parameter 'spdy' (expected ssl, http2 or default_server)"),
            Arguments.of("http2: maybe\n" + BASE + "    servers: [127.0.0.1:1]\n", "proxy.yaml:1: http2: http2=maybe (expected on or off)"),
            Arguments.of("http2_max_requests: 1000\n" + BASE + "    servers: [127.0.0.1:1]\n",
                    "proxy.yaml:1: http2_max_requests: 'http2_max_requests' is obsolete in nginx since 1.19.7: use keepalive_requests"),
            Arguments.of("http2_max_concurrent_streams: 0\n" + BASE + "    servers: [127.0.0.1:1]\n",
                    "proxy.yaml:1: http2_max_concurrent_streams: '0' (expected an integer from 1 to 65536)"),
            Arguments.of("http2_max_resets: 100\n" + BASE + "    servers: [127.0.0.1:1]\n",
                    "proxy.yaml:1: http2_max_resets: '100' (expected COUNT WINDOW"),
            Arguments.of("client_max_body_size: lots\n" + BASE + "    servers: [127.0.0.1:1]\n",
                    "proxy.yaml:1: client_max_body_size: 'lots' (expected a size such as 512, 8k, 1m)"),
            Arguments.of("locations:\n  /:\n    proxy_pass: http://ap1\n    proxy_read_timeout: soon\n"
                    + "upstreams:\n  api:\n    servers: [127.0.0.1:1]\n", "host not found in upstream 'ap1'"),
            Arguments.of("locations:\n  /:\n    proxy_pass: http://api\n    proxy_read_timeout: soon\n"
                    + "upstreams:\n  api:\n    servers: [127.0.0.1:1]\n",
                    "proxy.yaml:4: locations./.proxy_read_timeout: 'soon' (expected a positive duration"),
            Arguments.of("locations:\n  /:\n    proxy_pass: http://api\n    proxy_next_upstream: error http_418\n"
                    + "upstreams:\n  api:\n    servers: [127.0.0.1:1]\n", "'http_418' is not a proxy_next_upstream condition"),
            Arguments.of("locations:\n  /:\n    proxy_pass: ftp://api\nupstreams:\n  api:\n    servers: [127.0.0.1:1]\n",
                    "proxy.yaml:3: locations./.proxy_pass: 'ftp://api' (expected http://UPSTREAM_OR_HOST[:PORT][/URI] or https://...)"),
            Arguments.of("proxy_ssl_verify: on\nlocations:\n  /:\n    proxy_pass: https://api\nupstreams:\n  api:\n    servers: [127.0.0.1:1]\n",
                    "proxy.yaml:4: locations./.proxy_pass: 'https://api' with proxy_ssl_verify on needs proxy_ssl_trusted_certificate"),
            Arguments.of("locations:\n  /:\n    proxy_pass: https://api\n    proxy_ssl_certificate: x.crt\nupstreams:\n  api:\n    servers: [127.0.0.1:1]\n",
                    "proxy.yaml:4: locations./.proxy_ssl_certificate: proxy_ssl_certificate_key is missing"),
            Arguments.of("locations:\n  /:\n    proxy_pass: https://api\n    proxy_ssl_name: $host\nupstreams:\n  api:\n    servers: [127.0.0.1:1]\n",
                    "proxy.yaml:4: locations./.proxy_ssl_name: '$host' (expected a host name, or $proxy_host"),
            Arguments.of("locations:\n  /:\n    proxy_pass: https://my_api\n    proxy_ssl_server_name: on\nupstreams:\n  my_api:\n    servers: [127.0.0.1:1]\n",
                    "would send 'my_api' as the server name"),
            Arguments.of("proxy_ssl_trusted_certificate: /no/such/ca.crt\n" + BASE + "    servers: [127.0.0.1:1]\n",
                    "proxy.yaml:1: proxy_ssl_trusted_certificate: "),
            Arguments.of("proxy_ssl_protocols: SSLv3\n" + BASE + "    servers: [127.0.0.1:1]\n", "'SSLv3' is broken"),
            Arguments.of("proxy_ssl_session_reuse: maybe\n" + BASE + "    servers: [127.0.0.1:1]\n",
                    "proxy.yaml:1: proxy_ssl_session_reuse: 'maybe' (expected on or off)"),
            Arguments.of("locations:\n  /a/:\n    locations:\n      /b/:\n        proxy_pass: http://api\nupstreams:\n  api:\n"
                    + "    servers: [127.0.0.1:1]\n", "proxy.yaml:5: locations./a/.locations./b/: location '/b/' is outside location '/a/'"),
            Arguments.of("locations:\n  ~ \\.php$:\n    proxy_pass: http://api/x/\nupstreams:\n  api:\n    servers: [127.0.0.1:1]\n",
                    "proxy_pass cannot have a URI part in a location given by a regular expression"),
            Arguments.of("locations:\n  \"~ (\":\n    proxy_pass: http://api\nupstreams:\n  api:\n    servers: [127.0.0.1:1]\n",
                    "not a regular expression"),
            Arguments.of("servers:\n  - listen: 127.0.0.1:8080 default_server\n    locations: {/: {return: 404}}\n"
                    + "  - listen: 127.0.0.1:8080 default_server\n    locations: {/: {return: 404}}\n",
                    "a duplicate default server for 127.0.0.1:8080"),
            Arguments.of("listen: 127.0.0.1:8080\nservers:\n  - locations: {/: {return: 404}}\n",
                    "proxy.yaml:1: listen: 'listen' goes inside each server when 'servers' is given"),
            Arguments.of("servers:\n  - listen: 127.0.0.1:8080\n    locations:\n      \"= /x\":\n        return: 200\n"
                    + "        locations: {/x/y: {return: 200}}\n", "an exact location holds no locations"),
            Arguments.of("locations:\n  /:\n    return: 30x /y\n", "proxy.yaml:3: locations./.return: '30x /y' (expected CODE"),
            Arguments.of("locations:\n  /:\n    rewrite: ^/a /b sideways\n    return: 200\n",
                    "proxy.yaml:3: locations./.rewrite: 'sideways' (expected last, break, redirect or permanent)"),
            Arguments.of("locations:\n  /:\n    error_page: 404 @gone\n    return: 200\n",
                    "error_page names location '@gone', which the server does not have"),
            Arguments.of("locations:\n  /:\n    error_page: 200 /x\n    return: 200\n",
                    "proxy.yaml:3: locations./.error_page: '200' (expected a status from 300 to 599)"),
            Arguments.of("upstreams:\n  api:\n    servers: [127.0.0.1:1]\n", "missing 'locations'"),
            Arguments.of("locations: [\n", "proxy.yaml:2: not valid YAML"),
            Arguments.of(BASE + "    servers:\n      - address: 127.0.0.1:1\n        down: maybe\n",
                    "down=maybe (expected on or off)"),
            Arguments.of(BASE + "    servers:\n      - 127.0.0.1:1 backup\n", "every server is a backup"),
            Arguments.of(BASE + "    queue: 0\n    servers: [127.0.0.1:1]\n",
                    "proxy.yaml:6: upstreams.api.queue: queue size 0 is out of range (expected 1 to 1000000)"),
            Arguments.of(BASE + "    queue: 10 wait=5s\n    servers: [127.0.0.1:1]\n",
                    "proxy.yaml:6: upstreams.api.queue: unknown queue parameter 'wait=5s' (expected timeout=TIME)"),
            Arguments.of(BASE + "    queue: many\n    servers: [127.0.0.1:1]\n", "'many' is not a queue size"),
            Arguments.of("locations:\n  /:\n    proxy_pass: http://api\n    health_check: interval=5s fals=2\n"
                    + "upstreams:\n  api:\n    servers: [127.0.0.1:1]\n",
                    "proxy.yaml:4: locations./.health_check: unknown health_check parameter 'fals=2'"),
            Arguments.of("locations:\n  /:\n    proxy_pass: http://api\n    health_check: match=ready\n"
                    + "upstreams:\n  api:\n    servers: [127.0.0.1:1]\n", "'match=ready': no match block named 'ready'"),
            Arguments.of("locations:\n  /:\n    proxy_pass: http://api\n    health_check: interval=0s\n"
                    + "upstreams:\n  api:\n    servers: [127.0.0.1:1]\n", "'interval=0s' (expected a duration above 0)"),
            Arguments.of("locations:\n  /:\n    proxy_pass: http://api\n    health_check: persistent\n"
                    + "upstreams:\n  api:\n    servers: [127.0.0.1:1]\n", "'persistent' needs 'mandatory'"),
            Arguments.of("match:\n  ok:\n    status: 200-999\n" + BASE + "    servers: [127.0.0.1:1]\n",
                    "proxy.yaml:3: match.ok: status '200-999' (expected codes or ranges from 100 to 599"),
            Arguments.of("match:\n  ok:\n    body: Welcome\n" + BASE + "    servers: [127.0.0.1:1]\n",
                    "body 'Welcome' (expected ~ \"regex\" or !~ \"regex\")"),
            Arguments.of("match:\n  ok:\n    headers: [X]\n" + BASE + "    servers: [127.0.0.1:1]\n",
                    "unknown key 'headers'"),
            Arguments.of(BASE + "    sticky: session x\n    servers: [127.0.0.1:1]\n",
                    "proxy.yaml:6: upstreams.api.sticky: 'session' (expected cookie NAME ..., route $VAR ... or learn"),
            Arguments.of(BASE + "    sticky: cookie srv expires=1h samesite=sometimes\n    servers: [127.0.0.1:1]\n",
                    "'samesite=sometimes' (expected samesite=strict, lax or none)"),
            Arguments.of(BASE + "    sticky: learn create=$cookie_sid lookup=$cookie_sid zone=s:1m\n    servers: [127.0.0.1:1]\n",
                    "'create=$cookie_sid' (expected create=$upstream_cookie_NAME"),
            Arguments.of(BASE + "    sticky: learn create=$upstream_cookie_sid lookup=$cookie_sid\n    servers: [127.0.0.1:1]\n",
                    "sticky learn needs create=, lookup= and zone="),
            Arguments.of(BASE + "    balance: hash $uri\n    servers:\n      - 127.0.0.1:1 slow_start=30s\n",
                    "balancing method 'hash $uri' does not support parameter 'slow_start'"),
            Arguments.of(BASE + "    servers:\n      - 127.0.0.1:1 slow_start=soon\n", "slow_start=soon (expected a duration"),
            Arguments.of(BASE + "    servers:\n      - 127.0.0.1:1 route=a/b\n",
                    "route=a/b (expected 1 to 64 letters"),
            Arguments.of(BASE + "    balance: least_time first_byte\n    servers: [127.0.0.1:1]\n",
                    "proxy.yaml:6: upstreams.api.balance: 'least_time first_byte' (expected least_time header|last_byte [inflight])")
        );
    }

    @Test
    void readsProxySslDirectivesInheritedOneByOne() {
        ProxyConfig c = parse("proxy_ssl_server_name: on\nproxy_ssl_session_reuse: off\nlocations:\n"
                + "  /a/:\n    proxy_pass: https://api\n    proxy_ssl_name: api.internal\n"
                + "  /b/:\n    proxy_pass: https://localhost:8443/v1/\n    proxy_ssl_server_name: off\n"
                + "  /c/:\n    proxy_pass: http://api\n"
                + "upstreams:\n  api:\n    servers: [127.0.0.1:1]\n");
        LocationConfig a = c.locate("/a/x").orElseThrow();
        assertThat(a.https()).isTrue();
        assertThat(a.proxy().ssl().serverName()).isTrue();
        assertThat(a.proxy().ssl().sessionReuse()).isFalse();
        assertThat(a.proxy().ssl().nameFor(a.proxyHost())).isEqualTo("api.internal");
        LocationConfig b = c.locate("/b/x").orElseThrow();
        assertThat(b.proxy().ssl().serverName()).isFalse();
        assertThat(b.proxy().ssl().sessionReuse()).isFalse();
        assertThat(b.proxyHost()).isEqualTo("localhost:8443");
        assertThat(b.proxy().ssl().nameFor(b.proxyHost())).as("$proxy_host without its port").isEqualTo("localhost");
        assertThat(c.locate("/c/x").orElseThrow().https()).isFalse();
        assertThat(a.proxy().ssl().verify()).as("nginx's default").isFalse();
    }

    @Test
    void httpsWithoutAPortMeans443AndLeavesItOutOfTheHostHeader() {
        ProxyConfig c = parse("locations:\n  /:\n    proxy_pass: https://localhost\n");
        LocationConfig l = c.locate("/").orElseThrow();
        assertThat(l.proxyHost()).isEqualTo("localhost");
        assertThat(c.upstreams().get(l.upstream()).servers()).allSatisfy(s -> assertThat(s.address().getPort()).isEqualTo(443));
    }

    @Test
    void grpcPassTakesTheGrpcDirectivesAndSpeaksHttp2() {
        ProxyConfig c = parse("grpc_read_timeout: 7s\nproxy_read_timeout: 3s\nlocations:\n"
                + "  /market.Market/:\n    grpc_pass: grpc://api\n    grpc_connect_timeout: 2s\n"
                + "  /secure.Svc/:\n    grpc_pass: grpcs://127.0.0.1:9443\n    grpc_ssl_name: svc.internal\n"
                + "  /h2/:\n    proxy_pass: http://api\n    proxy_http_version: 2\n"
                + "  /:\n    proxy_pass: http://api\n"
                + "upstreams:\n  api:\n    servers: [127.0.0.1:1]\n");
        LocationConfig grpc = c.locate("/market.Market/Get").orElseThrow();
        assertThat(grpc.grpc()).isTrue();
        assertThat(grpc.proxy().http2()).isTrue();
        assertThat(grpc.https()).isFalse();
        assertThat(grpc.proxy().readTimeout()).as("grpc_read_timeout from the top, not proxy_read_timeout").isEqualTo(Duration.ofSeconds(7));
        assertThat(grpc.proxy().connectTimeout()).isEqualTo(Duration.ofSeconds(2));
        LocationConfig secure = c.locate("/secure.Svc/Call").orElseThrow();
        assertThat(secure.https()).isTrue();
        assertThat(secure.proxy().ssl().nameFor(secure.proxyHost())).isEqualTo("svc.internal");
        assertThat(c.upstreams().get(secure.upstream()).servers().get(0).address().getPort()).isEqualTo(9443);
        LocationConfig h2 = c.locate("/h2/x").orElseThrow();
        assertThat(h2.grpc()).isFalse();
        assertThat(h2.proxy().http2()).isTrue();
        assertThat(h2.proxy().readTimeout()).isEqualTo(Duration.ofSeconds(3));
        assertThat(c.locate("/x").orElseThrow().proxy().http2()).as("HTTP/1.1 unless asked").isFalse();
    }

    @Test
    void limitReqIsInheritedAsNginxInheritsIt() {
        ProxyConfig c = parse("limit_req_zone: \"$binary_remote_addr zone=one:10m rate=30r/m\"\nlimit_req: zone=one burst=5\n"
                + "limit_req_status: 429\nlocations:\n  /:\n    proxy_pass: http://127.0.0.1:1\n"
                + "  /api/:\n    proxy_pass: http://127.0.0.1:1\n    limit_req: [zone=one burst=20 nodelay]\n    limit_req_dry_run: on\n");
        assertThat(c.limitReqZones().get("one").ratePerMille()).isEqualTo(500);
        assertThat(c.limitReqZones().get("one").capacity()).isEqualTo(10 * 1024 * 1024 / 64);
        var top = c.locate("/x").orElseThrow().limitReq();
        assertThat(top.rules()).extracting(r -> r.burst()).containsExactly(5L);
        assertThat(top.status()).isEqualTo(429);
        assertThat(top.dryRun()).isFalse();
        var api = c.locate("/api/x").orElseThrow().limitReq();
        assertThat(api.rules()).extracting(r -> r.burst()).containsExactly(20L);
        assertThat(api.status()).as("inherited").isEqualTo(429);
        assertThat(api.dryRun()).isTrue();
    }

    static Stream<Arguments> grpcMistakes() {
        String up = "upstreams:\n  api:\n    servers: [127.0.0.1:1]\n";
        return Stream.of(
            Arguments.of("locations:\n  /:\n    grpc_pass: grpc://api\n    proxy_read_timeout: 5s\n" + up,
                    "proxy.yaml:4: locations./.proxy_read_timeout: 'proxy_read_timeout' has no effect under grpc_pass"),
            Arguments.of("locations:\n  /:\n    proxy_pass: http://api\n    grpc_read_timeout: 5s\n" + up,
                    "'grpc_read_timeout' applies to grpc_pass locations; this one has proxy_pass, so use 'proxy_read_timeout'"),
            Arguments.of("locations:\n  /:\n    grpc_pass: grpc://api\n    proxy_pass: http://api\n" + up,
                    "a location has proxy_pass or grpc_pass, not both"),
            Arguments.of("locations:\n  /:\n    grpc_pass: http://api\n" + up,
                    "'http://api' (expected grpc://UPSTREAM_OR_HOST[:PORT] or grpcs://...)"),
            Arguments.of("locations:\n  /:\n    grpc_pass: grpc://api/v1/\n" + up,
                    "without a URI part"),
            Arguments.of("locations:\n  /:\n    proxy_pass: http://api\n    proxy_http_version: 1.0\n" + up,
                    "proxy_http_version 1.0 is not supported"),
            Arguments.of("locations:\n  /:\n    proxy_pass: http://api\n    proxy_http_version: 3\n" + up,
                    "proxy.yaml:4: locations./.proxy_http_version: '3' (expected 1.1 or 2)"),
            Arguments.of("locations:\n  /:\n    grpc_pass: grpc://api\n    grpc_http_version: 2\n" + up,
                    "grpc_http_version"),
            Arguments.of("locations:\n  /:\n    proxy_pass: http://api\nupstreams:\n  api:\n    servers: [\"api.internal:80 resolve\"]\n",
                    "proxy.yaml:6: upstreams.api.servers[0]: 'api.internal:80 resolve': resolve needs a resolver"),
            Arguments.of("resolver: 127.0.0.1 valid=500ms\nlocations:\n  /:\n    proxy_pass: http://api\n" + up,
                    "proxy.yaml:1: resolver: valid=500ms (expected at least 1s)"),
            Arguments.of("resolver: 127.0.0.1 vaild=5s\nlocations:\n  /:\n    proxy_pass: http://api\n" + up,
                    "unknown resolver parameter 'vaild=5s'"),
            Arguments.of("locations:\n  /:\n    proxy_pass: http://api\nupstreams:\n  api:\n    state: /tmp/x.state\n"
                    + "    servers: [127.0.0.1:1]\n", "takes its servers from it, not from 'servers'"),
            Arguments.of("limit_req_zone: \"$binary_remote_addr zone=one:1m rate=1r/s\"\nlocations:\n  /:\n    proxy_pass: http://api\n"
                    + "    limit_req: zone=two burst=5\n" + up,
                    "proxy.yaml:5: locations./.limit_req: no limit_req_zone named \"two\" (expected one of: one)"),
            Arguments.of("limit_req_zone: \"$binary_remote_addr zone=one:1m rate=1r/h\"\nlocations:\n  /:\n    proxy_pass: http://api\n" + up,
                    "proxy.yaml:1: limit_req_zone: rate=1r/h (expected N r/s or N r/m"),
            Arguments.of("limit_req_zone: [\"$binary_remote_addr zone=one:1m rate=1r/s\", \"$uri zone=one:1m rate=1r/s\"]\n"
                    + "locations:\n  /:\n    proxy_pass: http://api\n" + up, "zone \"one\" is declared twice"),
            Arguments.of("limit_req_zone: \"$nosuchvar zone=one:1m rate=1r/s\"\nlocations:\n  /:\n    proxy_pass: http://api\n" + up,
                    "unknown variable '$nosuchvar'"),
            Arguments.of("locations:\n  /:\n    proxy_pass: http://api\n    limit_req_status: 200\n" + up,
                    "limit_req_status: '200' (expected a status from 400 to 599)")
        );
    }

    @ParameterizedTest
    @MethodSource({"mistakes", "grpcMistakes"})
    void mistakesNameTheFileLineKeyAndValue(String yaml, String message) {
        assertThatThrownBy(() -> parse(yaml)).isInstanceOf(ConfigException.class).hasMessageContaining(message);
    }

    @Test
    void serversSharingAnAddressShareItsParametersAndInheritInternal() {
        ProxyConfig c = parse("servers:\n  - listen: 127.0.0.1:8080 http2\n    server_name: a\n    return: 204\n"
                + "  - server_name: b\n    locations:\n      /p/:\n        internal: on\n        locations:\n"
                + "          /p/x: {return: 200}\n");
        assertThat(c.listen()).singleElement().satisfies(l -> assertThat(l.http2()).isTrue());
        assertThat(c.routes().servers().get(1).locations().find("/p/x").internal()).as("internal is inherited").isTrue();
    }

    @Test
    void everyShippedExampleLoads() throws IOException {
        Path dir = Path.of("..", "config");
        List<Path> files;
        try (Stream<Path> s = Files.list(dir)) {
            files = s.filter(p -> (p.toString().endsWith(".yaml") || p.toString().endsWith(".conf"))
                    && !p.getFileName().toString().contains("swarm")).toList();
        }
        assertThat(files).hasSizeGreaterThanOrEqualTo(6).anyMatch(p -> p.toString().endsWith(".conf"));
        for (Path f : files) {
            ProxyConfig c = ConfigLoader.load(f, false, note -> { });
            assertThat(c.locations()).as(f.toString()).isNotEmpty();
        }
    }
}
