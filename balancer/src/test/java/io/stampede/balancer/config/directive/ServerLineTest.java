package io.stampede.balancer.config.directive;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.stampede.balancer.config.ServerConfig;
import org.junit.jupiter.api.Test;

/** The server line parses from a string alone, as a reader of nginx.conf needs it. */
class ServerLineTest {
    private static final BalanceMethod RR = new BalanceMethod.RoundRobin();

    @Test
    void parsesNginxsParameters() {
        ServerLine l = ServerLine.parse("10.0.0.1:8080 weight=5 max_fails=3 fail_timeout=30s max_conns=10 backup "
                + "route=a1 slow_start=20s", RR);
        assertThat(l).isEqualTo(new ServerLine("10.0.0.1:8080", 5, 3, 30, 10, true, false, "a1", false, 20_000));
        assertThat(ServerConfig.resolve(ServerLine.parse("127.0.0.1:1 down drain", RR)))
                .singleElement().satisfies(s -> assertThat(s.address().getPort()).isEqualTo(1));
    }

    @Test
    void namesTheParameterThatIsWrong() {
        assertThatThrownBy(() -> ServerLine.parse("a:1 weight=0", RR)).isInstanceOfSatisfying(ServerLine.Invalid.class,
                e -> assertThat(e.parameter).isEqualTo("weight")).hasMessage("weight=0 (expected an integer >= 1)");
        assertThatThrownBy(() -> ServerLine.parse("a:1 fail_timeout=500ms", RR))
                .hasMessage("fail_timeout=500ms (expected whole seconds, e.g. 10s, 1m)");
        assertThatThrownBy(() -> ServerLine.parse("a:1 weight=2 weight=3", RR)).hasMessage("'weight' is given twice");
        assertThatThrownBy(() -> ServerLine.parse("a:1 backup", BalanceMethod.parse("ip_hash")))
                .hasMessageContaining("does not support parameter 'backup'");
    }
}
