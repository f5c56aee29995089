package io.stampede.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class VerdictTest {
    private static RowResult row(String name, long requests, long failures, double p99, long rejected, double... share) {
        Map<String, Double> s = new LinkedHashMap<>();
        for (int i = 0; i < share.length; i++) {
            s.put("api-" + (i + 1), share[i]);
        }
        return new RowResult(name, name, share.length, requests, failures, 10, new double[] {10, 50, p99, p99 * 2, p99 * 3},
                s, name.equals("direct") ? -1 : 0, -1, rejected, Map.of("saturated", false), Map.of());
    }

    @Test
    void theWebSocketPresetSaysWhatShareOfTheTunnelsTheRestartedBackendHeld() {
        Plan ws = Presets.build("websocket", new Presets.Options(true, 4, null, null, null, List.of(), false, 64));
        assertThat(ws.tunnels()).isTrue();
        assertThat(ws.scenario()).isEqualTo("market-live.swarm.yaml");
        Map<String, Object> kill = Map.of("backend", "api-1", "back_at_s", 4.5);
        RowResult direct = row("direct", 3000, 1000, 900, 0, 1, 0, 0, 0);
        RowResult rr = new RowResult("round_robin", "round_robin", 4, 6000, 30, 10, new double[] {10, 50, 60, 70, 80},
                Map.of("api-1", 0.19, "api-2", 0.29, "api-3", 0.23, "api-4", 0.29), 0, -1, 0, Map.of("saturated", false), kill);
        RowResult lc = new RowResult("least_conn", "least_conn", 4, 6000, 30, 10, new double[] {10, 50, 60, 70, 80},
                Map.of("api-1", 0.26, "api-2", 0.24, "api-3", 0.26, "api-4", 0.24), 0, -1, 0, Map.of("saturated", false), kill);
        assertThat(Verdict.lines(ws, List.of(direct, rr, lc))).contains("Tunnels: the backend killed and restarted mid-run held"
                + " 19% of the open tunnels near the end under round_robin and 26% under least_conn"
                + " (an even share is 25%; it is api-1).");
    }

    @Test
    void theReloadPresetSaysHowManyReloadsAndWhatFailed() {
        Plan reload = Presets.build("reload", new Presets.Options(true, 4, null, null, null, List.of(), false, 64));
        Map<String, Object> reloads = Map.of("reloads_sent", 5, "reloads_applied", 5, "reloads_refused", 0);
        RowResult direct = row("direct", 3000, 1000, 900, 1000, 1, 0, 0, 0);
        RowResult rr = new RowResult("round_robin", "round_robin", 4, 6000, 30, 10, new double[] {10, 50, 60, 70, 80},
                Map.of(), 0, -1, 30, Map.of("saturated", false), reloads);
        RowResult lc = new RowResult("least_conn", "least_conn", 4, 7000, 0, 10, new double[] {10, 50, 60, 70, 80},
                Map.of(), 0, -1, 0, Map.of("saturated", false), reloads);
        assertThat(Verdict.lines(reload, List.of(direct, rr, lc))).last().isEqualTo("Reload: the proxy's configuration was reloaded"
                + " 10 times during the balanced rows (10 applied, 0 refused); 30 of their 13000 requests failed (0.23%): every one"
                + " a 503 from a backend whose queue was full, as the same rows show without reloads.");
        RowResult lost = new RowResult("least_conn", "least_conn", 4, 7000, 2, 10, new double[] {10, 50, 60, 70, 80},
                Map.of(), 0, -1, 0, Map.of("saturated", false), reloads);
        assertThat(Verdict.lines(reload, List.of(direct, rr, lost))).last().asString().endsWith("30 of them 503s from backends"
                + " whose queues were full, 2 from elsewhere.");
    }

    private static final Plan HETEROGENEOUS = Presets.build("heterogeneous",
            new Presets.Options(false, 4, null, null, null, List.of(), false, 64));

    @Test
    void namesTheThroughputWinnerItsSpeedupAndTheDirectRunsFailures() {
        List<String> v = Verdict.lines(HETEROGENEOUS, List.of(
                row("direct", 3000, 1000, 900, 1000, 1, 0, 0, 0),
                row("round_robin", 6000, 0, 800, 0, .25, .25, .25, .25),
                row("least_conn", 7000, 0, 120, 0, .3, .3, .3, .1)));
        assertThat(v.get(0)).isEqualTo("Throughput: least_conn served 700 ok req/s, 3.50x the direct run's 200 (where 33.33%"
                + " of requests failed, 1000 of them 503s from the one saturated instance); with 0% failures.");
        assertThat(v.get(1)).isEqualTo("Tail latency: least_conn had the lowest p99 among rows under 1% failures, 120 ms against"
                + " round_robin's 800 ms: it gave api-4 (the slowest backend) 10% of the requests where round_robin gave it 25%.");
        assertThat(v).hasSize(2);
    }

    @Test
    void aRowWithManyFailuresCannotWinTheTailAndEvenSharesAreCalledChance() {
        List<String> v = Verdict.lines(HETEROGENEOUS, List.of(
                row("direct", 2000, 0, 900, 0, 1, 0),
                row("round_robin", 6000, 0, 800, 0, .5, .5),
                row("hash", 6000, 600, 20, 0, .6, .4),
                row("random", 6000, 0, 300, 0, .51, .49)));
        assertThat(v.get(1)).startsWith("Tail latency: random had the lowest p99 among rows under 1% failures, 300 ms against round_robin's 800 ms;")
                .contains("queueing chance");
    }

    @Test
    void theOnlyHealthyRowIsNotSaidToWinOnTimingOverOnesThatFailed() {
        List<String> v = Verdict.lines(HETEROGENEOUS, List.of(
                row("direct", 2000, 1500, 300, 0, 1, 0),
                row("round_robin", 8000, 2000, 380, 0, .5, .5),
                row("max_conns+queue", 8000, 0, 460, 0, .5, .5)));
        assertThat(v.get(1)).isEqualTo("Tail latency: max_conns+queue was the only row under 1% failures (p99 460 ms);"
                + " round_robin's p99 of 380 ms came with 25.00% of its requests failed.");
    }

    @Test
    void aSaturatedGeneratorIsCalledOut() {
        RowResult saturated = new RowResult("round_robin", "rr", 2, 100, 0, 1, new double[] {1, 2, 3, 4, 5},
                Map.of("a", 1.0), 0, -1, 0, Map.of("saturated", true), Map.of());
        List<String> v = Verdict.lines(HETEROGENEOUS, List.of(row("direct", 10, 0, 1, 0, 1), saturated));
        assertThat(v.get(v.size() - 1)).startsWith("Caution: the load generator itself was saturated in round_robin");
    }
}
