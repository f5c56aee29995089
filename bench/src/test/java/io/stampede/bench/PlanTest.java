package io.stampede.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.stampede.balancer.config.ConfigLoader;
import io.stampede.balancer.config.ProxyConfig;
import io.stampede.balancer.config.ServerConfig;
import io.stampede.balancer.config.UpstreamConfig;
import java.io.StringReader;
import java.util.List;
import org.junit.jupiter.api.Test;

class PlanTest {
    private static Presets.Options options(boolean quick, List<String> algorithms, boolean nginx) {
        return new Presets.Options(quick, 4, null, null, null, algorithms, nginx, 64);
    }

    @Test
    void theDefaultPresetRunsDirectThenEveryAlgorithmWithTheRowNamesOfBenchJson() {
        Plan p = Presets.build("homogeneous", options(false, List.of(), false));
        assertThat(p.rows()).extracting(Plan.Row::name)
                .containsExactly("direct", "round_robin", "weighted", "least_conn", "ip_hash", "hash", "random");
        assertThat(p.rows().get(0).isDirect()).isTrue();
        assertThat(p.backends()).hasSize(4).allSatisfy(b -> assertThat(b.capacity()).isEqualTo(200.0));
        // 90% of four backends' capacity at 2.7 requests per user per second.
        assertThat(p.load().users()).isEqualTo(267);
        assertThat(p.disruption()).isNull();
    }

    @Test
    void quickShrinksEveryPresetAndNginxAddsARow() {
        for (String preset : Presets.NAMES) {
            Plan full = Presets.build(preset, options(false, List.of(), false));
            Plan quick = Presets.build(preset, options(true, List.of(), true));
            assertThat(quick.load().duration()).as(preset).isLessThan(full.load().duration());
            // (The reload preset reloads our proxy only; the command refuses --with-nginx for it.)
            assertThat(quick.rows().get(quick.rows().size() - 1).nginx()).as(preset).isEqualTo(!preset.equals("reload"));
        }
    }

    @Test
    void heterogeneousMakesTheLastBackendThreeTimesSlowerAndWeighsItAccordingly() {
        Plan p = Presets.build("heterogeneous", options(false, List.of("weighted"), false));
        assertThat(p.backends().get(3).capacity()).isEqualTo(p.backends().get(0).capacity() / 3, org.assertj.core.data.Offset.offset(0.01));
        assertThat(p.rows().get(1).weights()).containsExactly(3, 3, 3, 1);
    }

    @Test
    void reloadIsTheHomogeneousTableWithAReloadEverySecond() {
        Plan same = Presets.build("homogeneous", options(false, List.of(), true));
        Plan reload = Presets.build("reload", options(false, List.of(), true));
        assertThat(reload.reloadEvery()).isEqualTo(java.time.Duration.ofSeconds(1));
        assertThat(same.reloadEvery()).isNull();
        assertThat(reload.load()).isEqualTo(same.load());
        // nginx is not reloaded by it: its row would measure nothing the preset is about.
        assertThat(reload.rows()).extracting(Plan.Row::name).doesNotContain("nginx")
                .containsExactlyElementsOf(same.rows().stream().filter(r -> !r.nginx()).map(Plan.Row::name).toList());
    }

    @Test
    void failureKillsTheDirectRowsBackendAThirdInAndBringsItBackAtTwoThirds() {
        Plan p = Presets.build("failure", options(false, List.of(), false));
        assertThat(p.disruption().backend()).isZero();
        assertThat(p.disruption().killAt()).isEqualTo(p.load().duration().dividedBy(3));
        assertThat(p.disruption().backAt()).isEqualTo(p.load().duration().multipliedBy(2).dividedBy(3));
    }

    @Test
    void overloadComparesLimitsAndAQueue() {
        Plan p = Presets.build("overload", options(false, List.of(), false));
        assertThat(p.rows()).extracting(Plan.Row::name).containsExactly("direct", "round_robin", "least_conn", "max_conns", "max_conns+queue");
        assertThat(p.rows().get(4).queue()).isEqualTo("512 timeout=5s");
        assertThat(p.load().users() * Presets.USER_RPS).isGreaterThan(2 * 4 * 200 - 3);
    }

    @Test
    void anUnknownAlgorithmOrPresetIsNamed() {
        assertThatThrownBy(() -> Presets.build("homogeneous", options(false, List.of("fastest"), false)))
                .hasMessageContaining("'fastest'");
        assertThatThrownBy(() -> Presets.build("flat", options(false, List.of(), false))).hasMessageContaining("'flat'");
    }

    @Test
    void everyRowsConfigIsOneTheProxyLoads(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        List<Backends.Server> servers = List.of(
                new Backends.Server("127.0.0.1", 18081, "api-18081", null, null),
                new Backends.Server("127.0.0.1", 18082, "api-18082", null, null),
                new Backends.Server("127.0.0.1", 18083, "api-18083", null, null),
                new Backends.Server("127.0.0.1", 18084, "api-18084", null, null));
        for (int i = 0; i < servers.size(); i++) {
            servers.get(i).tlsPort = 18441 + i;
        }
        for (String preset : Presets.NAMES) {
            List<Plan.Row> rows = Presets.build(preset, options(false, List.of(), false)).rows().stream()
                    .filter(r -> !r.isDirect()).toList();
            java.nio.file.Path file = dir.resolve(preset + ".yaml");
            java.nio.file.Files.writeString(file, Configs.proxyYaml(rows, servers));
            if (preset.equals("tls")) {
                Balancer.writeCertificate(dir);
            }
            ProxyConfig c = ConfigLoader.load(file);
            assertThat(c.listen().stream().anyMatch(l -> l.ssl())).as(preset).isEqualTo(preset.equals("tls"));
            for (Plan.Row row : rows) {
                UpstreamConfig u = c.upstreams().get(Configs.upstream(row));
                assertThat(c.locations()).anySatisfy(l -> {
                    assertThat(l.path()).isEqualTo("/" + row.name() + "/");
                    assertThat(l.upstream()).isEqualTo(u.name());
                    assertThat(l.uri()).isEqualTo("/");
                });
                assertThat(u.method().directive()).as(row.name()).isEqualTo(row.balance());
                assertThat(u.keepalive()).isEqualTo(Configs.KEEPALIVE);
                assertThat(u.servers()).extracting(ServerConfig::server).containsExactlyElementsOf(row.edge().upstreamTls
                        ? List.of("127.0.0.1:18441", "127.0.0.1:18442", "127.0.0.1:18443", "127.0.0.1:18444")
                        : List.of("127.0.0.1:18081", "127.0.0.1:18082", "127.0.0.1:18083", "127.0.0.1:18084"));
                assertThat(c.locations()).filteredOn(l -> l.path().equals("/" + row.name() + "/"))
                        .allSatisfy(l -> assertThat(l.https()).isEqualTo(row.edge().upstreamTls));
                if (!row.weights().isEmpty()) {
                    assertThat(u.servers()).extracting(ServerConfig::weight).containsExactlyElementsOf(row.weights());
                }
                if (row.serverParams().startsWith("max_conns=")) {
                    assertThat(u.servers()).allSatisfy(s -> assertThat(s.maxConns()).isEqualTo(8));
                }
                assertThat(u.queue().enabled()).isEqualTo(row.queue() != null);
                assertThat(u.healthChecks().isEmpty()).as(row.name()).isEqualTo(row.healthCheck() == null);
                assertThat(row.healthCheck() != null).isEqualTo(preset.equals("failure") || preset.equals("websocket"));
            }
        }
    }

    @Test
    void tlsComparesCleartextTlsAndHttp2OverTlsOnTheSameBalancing() {
        Plan p = Presets.build("tls", options(false, List.of(), true));
        assertThat(p.rows()).extracting(Plan.Row::name).containsExactly("direct", "round_robin", "round_robin-https",
                "round_robin-h2", "round_robin-tls-both", "nginx", "nginx-https", "nginx-h2", "nginx-tls-both");
        assertThat(p.rows()).extracting(Plan.Row::edge).containsExactly(Plan.Edge.HTTP, Plan.Edge.HTTP, Plan.Edge.HTTPS,
                Plan.Edge.H2, Plan.Edge.HTTPS_BOTH, Plan.Edge.HTTP, Plan.Edge.HTTPS, Plan.Edge.H2, Plan.Edge.HTTPS_BOTH);
        Backends.Server backend = new Backends.Server("127.0.0.1", 1, "a", null, null);
        backend.tlsPort = 2;
        String both = Configs.nginxConf(p.rows().get(8), List.of(backend), 9999, java.nio.file.Path.of("/tmp/x/nginx-nginx-tls-both"));
        assertThat(both).contains("proxy_pass https://market_api;").contains("server 127.0.0.1:2;");
        Plan.Row h2 = p.rows().get(7);
        String conf = Configs.nginxConf(h2, List.of(new Backends.Server("127.0.0.1", 1, "a", null, null)), 9999,
                java.nio.file.Path.of("/tmp/x/nginx-nginx-h2"));
        assertThat(conf).contains("listen 127.0.0.1:9999 ssl http2;").contains("ssl_certificate /tmp/x/tls/bench.crt;")
                .contains("ssl_certificate_key /tmp/x/tls/bench.key;");
    }

    @Test
    void theNginxConfigHasTheSameUpstream() {
        Plan.Row row = Plan.Row.of("weighted", "").withWeights(List.of(2, 1));
        String conf = Configs.nginxConf(row, List.of(new Backends.Server("127.0.0.1", 1, "a", null, null),
                new Backends.Server("127.0.0.1", 2, "b", null, null)), 9999, java.nio.file.Path.of("/tmp/x"));
        assertThat(conf).contains("upstream market_api {\n    server 127.0.0.1:1 weight=2;\n    server 127.0.0.1:2;\n    keepalive 32;\n  }")
                .contains("listen 127.0.0.1:9999;").contains("proxy_set_header Connection \"\";");
    }
}
