package io.stampede.common.wire;

import static org.assertj.core.api.Assertions.assertThat;

import io.stampede.common.wire.ProxyStatus.HealthChecks;
import io.stampede.common.wire.ProxyStatus.PeerStatus;
import io.stampede.common.wire.ProxyStatus.QueueStatus;
import io.stampede.common.wire.ProxyStatus.Responses;
import io.stampede.common.wire.ProxyStatus.UpstreamStatus;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ProxyStatusTest {
    private static ProxyStatus sample() {
        PeerStatus a = new PeerStatus("127.0.0.1:8081", "localhost:8081", false, PeerState.UP, 2, 10,
                Responses.of(new long[] {0, 9, 0, 0, 1}), 1, 0, 1, new HealthChecks(5, 1, 1, "2026-12-01T00:00:00Z"),
                1200, "2026-12-01T00:00:01Z", 12, 2, 2);
        PeerStatus b = new PeerStatus("127.0.0.1:8082", "127.0.0.1:8082", true, PeerState.UNHEALTHY, 0, 0,
                Responses.of(new long[5]), 0, 0, 0, new HealthChecks(0, 0, 0, null), 0, null, 0, 1, 1);
        return new ProxyStatus(ProxyStatus.VERSION, Map.of(
                "api", new UpstreamStatus(List.of(a, b), 3, new QueueStatus(1, 100, 4)),
                "plain", new UpstreamStatus(List.of(a), 0, null)));
    }

    @Test
    void aDocumentReadsBackAsTheRecordsThatWroteIt() throws Exception {
        ProxyStatus written = sample();
        String json = new String(written.toJson(), StandardCharsets.UTF_8);
        assertThat(ProxyStatus.read(json)).isEqualTo(written);
        // The names nginx Plus users and the existing readers know.
        assertThat(json).contains("\"version\" : 1", "\"state\" : \"unhealthy\"", "\"current_fails\" : 1",
                "\"health_checks\"", "\"last_passed\" : null", "\"2xx\" : 9", "\"total\" : 10", "\"max_size\" : 100",
                "\"effective_weight\" : 2", "\"header_time\" : 12");
        assertThat(json.indexOf("\"queue\"")).as("no queue key for an upstream without a queue, once for the other")
                .isEqualTo(json.lastIndexOf("\"queue\""));
    }

    @Test
    void theDocumentBeforeVersionsReadsAsVersionZero() throws Exception {
        String previous = """
                {
                  "upstreams" : {
                    "api" : {
                      "peers" : [ {
                        "server" : "127.0.0.1:8081", "name" : "127.0.0.1:8081", "backup" : false, "state" : "unavail",
                        "active" : 0, "requests" : 7,
                        "responses" : { "1xx" : 0, "2xx" : 6, "3xx" : 0, "4xx" : 0, "5xx" : 1, "total" : 7 },
                        "fails" : 2, "unavail" : 1, "current_fails" : 2,
                        "health_checks" : { "checks" : 0, "fails" : 0, "unhealthy" : 0, "last_passed" : null },
                        "downtime" : 0, "selected" : "1970-01-01T00:16:40Z", "header_time" : 3, "weight" : 1,
                        "effective_weight" : 1
                      } ],
                      "retries" : 1
                    }
                  }
                }""";
        ProxyStatus status = ProxyStatus.read(previous);
        assertThat(status.version()).isZero();
        PeerStatus p = status.upstream("api").peer("127.0.0.1:8081");
        assertThat(p.state()).isEqualTo(PeerState.UNAVAIL);
        assertThat(p.responses().serverError()).isEqualTo(1);
        assertThat(status.upstream("api").queue()).isNull();
        assertThat(status.upstream("api").retries()).isEqualTo(1);
    }

    @Test
    void aNewerDocumentWithKeysWeDoNotKnowStillReads() throws Exception {
        String newer = new String(sample().toJson(), StandardCharsets.UTF_8)
                .replaceFirst("\\{", "{ \"zone\" : \"x\", ").replace("\"retries\"", "\"cluster\" : 1, \"retries\"");
        assertThat(ProxyStatus.read(newer).upstream("api").retries()).isEqualTo(3);
    }
}
