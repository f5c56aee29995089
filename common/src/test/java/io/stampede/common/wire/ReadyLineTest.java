package io.stampede.common.wire;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class ReadyLineTest {

    @Test
    void aLineReadsBackAsTheRecordThatWroteIt() {
        ReadyLine r = ReadyLine.of("proxy", "listening", List.of("http://127.0.0.1:8080"), "http://127.0.0.1:9090");
        assertThat(r.line()).startsWith("stampede-ready {\"version\":1,\"part\":\"proxy\"");
        assertThat(ReadyLine.parse(r.line())).contains(r);
    }

    @Test
    void findsTheRightLineAmongHumanOnes() {
        String output = "stampede proxy listening on http://127.0.0.1:8080 (epoll, auto workers)\n"
                + ReadyLine.of("swarm", "started", null, null).line() + "\n"
                + "Statistics reset: all 64 users spawned\n"
                + ReadyLine.of("swarm", "measuring", null, null).line() + "\n";
        assertThat(ReadyLine.find(output, "swarm", "measuring")).hasValueSatisfying(r -> assertThat(r.urls()).isNull());
        assertThat(ReadyLine.find(output, "proxy", "listening")).isEmpty();
        assertThat(ReadyLine.parse("stampede-ready {not json")).isEmpty();
        assertThat(ReadyLine.parse("stampede-ready {\"version\":2,\"part\":\"api\",\"event\":\"listening\",\"shards\":3}"))
                .hasValueSatisfying(r -> assertThat(r.version()).isEqualTo(2));
    }
}
