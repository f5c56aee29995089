package io.stampede.balancer.admin;

import static org.assertj.core.api.Assertions.assertThat;

import io.stampede.balancer.config.ConfigLoader;
import io.stampede.balancer.proxy.ProxyServer;
import java.io.StringReader;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Defect 7: a scrape costs one snapshot per upstream, whatever the number of peers and meters. */
class ProxyMetricsCostTest {

    @Test
    void aScrapeTakesOneSnapshotPerUpstreamAndListsEveryPeer() throws Exception {
        StringBuilder servers = new StringBuilder();
        for (int i = 0; i < 1000; i++) {
            servers.append("      - 127.0.0.2:").append(20000 + i).append('\n');
        }
        var config = ConfigLoader.parse("metrics.yaml", new StringReader("listen: 127.0.0.1:0\n"
                + "locations:\n  /:\n    proxy_pass: http://wide\n  /b/:\n    proxy_pass: http://small\n"
                + "upstreams:\n  wide:\n    servers:\n" + servers + "  small:\n    servers: [\"127.0.0.3:1\"]\n"));
        SplittableRandom random = new SplittableRandom(1);
        try (ProxyServer server = new ProxyServer(config, () -> 1000L, random::nextLong)) {
            ProxyMetrics metrics = new ProxyMetrics(server.groups());
            long before = metrics.snapshotsTaken();
            String text = "";
            long best = Long.MAX_VALUE;
            for (int i = 0; i < 10; i++) {
                long t0 = System.nanoTime();
                text = metrics.scrape();
                best = Math.min(best, System.nanoTime() - t0);
            }
            long millis = best / 1_000_000;
            assertThat(metrics.snapshotsTaken() - before).as("ten scrapes of two upstreams").isEqualTo(20);
            assertThat(text).contains("peer=\"127.0.0.2:20999\"").contains("peer=\"127.0.0.3:1\"");
            System.out.println("scrape of 1,001 peers: best of 10 " + millis + " ms, " + text.length() + " bytes");
        }
    }
}
