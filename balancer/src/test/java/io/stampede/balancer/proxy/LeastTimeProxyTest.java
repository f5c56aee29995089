package io.stampede.balancer.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

/** least_time through the proxy: traffic moves off a slowed server and finds it again once it recovers. */
class LeastTimeProxyTest {
    @Test
    void trafficShiftsAwayFromASlowServerAndBackAfterItRecovers() throws Exception {
        try (TestBackends b = new TestBackends("fast", "slow")) {
            b.on("slow", s -> TestBackends.Action.delay(150));
            try (TestProxy proxy = new TestProxy("locations:\n  /:\n    proxy_pass: http://api\nupstreams:\n  api:\n"
                    + "    balance: least_time header\n    servers:\n      - " + b.address("fast") + "\n      - "
                    + b.address("slow") + "\n")) {
                List<String> served = new ArrayList<>();
                for (int i = 0; i < 20; i++) {
                    served.add(proxy.get("/" + i).headers().firstValue("X-Backend").orElseThrow());
                }
                // The first two learn both averages; from then on the slow one loses every pick.
                assertThat(Collections.frequency(served.subList(2, 20), "fast")).isEqualTo(18);

                b.on("slow", s -> TestBackends.Action.ok()); // recovered
                proxy.seconds.addAndGet(60); // unpicked for a minute: its average halves every 11 s
                List<String> later = new ArrayList<>();
                for (int i = 0; i < 6; i++) {
                    later.add(proxy.get("/later" + i).headers().firstValue("X-Backend").orElseThrow());
                }
                assertThat(later).contains("slow");
            }
        }
    }
}
