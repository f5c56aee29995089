package io.stampede.common.http;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The route table the three small servers share: templates, order, 405 against 404, HEAD. */
class RoutesTest {
    private final Routes<String> numeric = new Routes<String>("[0-9]{1,18}", false)
            .add("GET", "/products/comments/", "comments")
            .add("GET", "/products/{id}/", "detail")
            .add("POST", "/products/", "create")
            .add("GET", "/products/", "list");

    @Test
    void templatesCaptureTheirSegmentsAndTheFirstRouteWins() {
        Routes.Match<String> m = numeric.match("GET", "/products/42/");
        assertThat(m.handler()).isEqualTo("detail");
        assertThat(m.template()).isEqualTo("/products/{id}/");
        assertThat(m.params()).containsExactly("42");
        assertThat(numeric.match("GET", "/products/comments/").handler()).isEqualTo("comments");
        assertThat(numeric.match("GET", "/products/abc/").found()).as("not a number").isFalse();
        assertThat(numeric.match("GET", "/products/1234567890123456789/").found()).as("19 digits").isFalse();
    }

    @Test
    void anotherMethodOnAKnownPathIsWrongMethodNotNotFound() {
        Routes.Match<String> put = numeric.match("PUT", "/products/");
        assertThat(put.wrongMethod()).isTrue();
        assertThat(put.allowHeader()).isEqualTo("POST, GET");
        Routes.Match<String> none = numeric.match("GET", "/nothing");
        assertThat(none.found()).isFalse();
        assertThat(none.wrongMethod()).isFalse();
        assertThat(numeric.match("HEAD", "/products/").wrongMethod()).as("no HEAD for GET here").isTrue();
        assertThat(numeric.matchesAnyMethod("/products/7/")).isTrue();
        assertThat(numeric.matchesAnyMethod("/products/7")).isFalse();
    }

    @Test
    void headTakesTheGetRouteWhenAsked() {
        Routes<String> r = new Routes<String>().add("GET", "/status", "status").add("GET", "/files/{name}", "file")
                .add("GET", "/report.html", "report");
        assertThat(r.match("HEAD", "/status").handler()).isEqualTo("status");
        assertThat(r.match("GET", "/files/a.csv").params()).containsExactly("a.csv");
        assertThat(r.match("GET", "/files/").found()).isFalse();
        assertThat(r.match("POST", "/status").allowHeader()).isEqualTo("GET, HEAD");
        assertThat(r.match("GET", "/report.html").handler()).isEqualTo("report");
        assertThat(r.match("GET", "/reportxhtml").found()).as("literal text is quoted, not a pattern").isFalse();
    }
}
