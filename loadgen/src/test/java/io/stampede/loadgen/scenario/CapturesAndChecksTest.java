package io.stampede.loadgen.scenario;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class CapturesAndChecksTest {
    static final String BODY = "{\"access\":\"A1\",\"results\":[{\"id\":7},{\"id\":8}],\"count\":2,\"ok\":true}";
    static final JsonNode JSON;

    static {
        try {
            JSON = new ObjectMapper().readTree(BODY);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static String capture(String spec, List<Map.Entry<String, String>> headers) {
        return Capture.parse(spec).extract(200, headers, BODY, () -> JSON);
    }

    @Test
    void capturesFromJsonHeadersAndRegexes() {
        assertThat(capture("$.access", List.of())).isEqualTo("A1");
        assertThat(capture("$.results[1].id", List.of())).isEqualTo("8");
        assertThat(capture("$['count']", List.of())).isEqualTo("2");
        assertThat(capture("$.results[0]", List.of())).isEqualTo("{\"id\":7}");
        assertThat(capture("$.missing", List.of())).isNull();
        assertThat(capture("header:Location", List.of(Map.entry("location", "/p/9/")))).isEqualTo("/p/9/");
        assertThat(capture("regex:\"id\":(\\d+)", List.of())).isEqualTo("7");
        assertThat(capture("regex:access", List.of())).isEqualTo("access");
        assertThatThrownBy(() -> Capture.parse("regex:(")).hasMessageContaining("bad regex");
        assertThatThrownBy(() -> Capture.parse("access")).hasMessageContaining("a JSON path");
        assertThatThrownBy(() -> JsonPath.parse("$.a[x]")).hasMessageContaining("is not an index");
    }

    @Test
    void checksExplainWhatFailed() {
        assertThat(new Expect.Status(Set.of(200)).check(200, BODY, () -> JSON, n -> null)).isNull();
        assertThat(new Expect.Status(Set.of(200)).check(503, BODY, () -> JSON, n -> null)).isEqualTo("expected status 200, got 503");
        assertThat(new Expect.Status(Set.of(200, 201)).check(404, BODY, () -> JSON, n -> null)).isEqualTo("expected status in [200, 201], got 404");
        assertThat(new Expect.JsonEquals(JsonPath.parse("$.count"), Template.parse("${n}", Map.of())).check(200, BODY, () -> JSON, Map.of("n", "2")::get)).isNull();
        assertThat(new Expect.JsonEquals(JsonPath.parse("$.ok"), Template.literal("false")).check(200, BODY, () -> JSON, n -> null))
                .isEqualTo("expected $.ok == false, got true");
        assertThat(new Expect.BodyContains("access").check(200, BODY, () -> JSON, n -> null)).isNull();
        assertThat(new Expect.BodyContains("refresh").check(200, BODY, () -> JSON, n -> null)).isEqualTo("expected the body to contain 'refresh'");
    }

    @Test
    void templatesFillInVariablesAndSayWhichIsMissing() {
        Template t = Template.parse("/api/${base}/products/${id}/?q=${env.Q:-none}", Map.of());
        assertThat(t.names()).containsExactly("base", "id");
        assertThat(t.render(Map.of("base", "v1", "id", "3")::get)).isEqualTo("/api/v1/products/3/?q=none");
        assertThatThrownBy(() -> t.render(Map.of("base", "v1")::get)).isInstanceOf(Template.MissingVariableException.class)
                .hasMessageContaining("${id}");
        assertThat(Template.parse("plain", Map.of()).isConstant()).isTrue();
        assertThatThrownBy(() -> Template.parse("/x/${oops", Map.of())).hasMessageContaining("unclosed");
        assertThat(Template.literal("/a/${b}").render(n -> null)).isEqualTo("/a/${b}");
    }
}
