package io.stampede.loadgen.scenario;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Set;

/** A check on a response; a failed check fails the request with its message. */
public sealed interface Expect {
    /** Null when the response passes, else why it does not. */
    String check(int status, String body, Capture.JsonSupplier json, Template.Vars vars);

    /** The status must be one of these (by default, a request fails on any status >= 400). */
    record Status(Set<Integer> allowed) implements Expect {
        public String check(int status, String body, Capture.JsonSupplier json, Template.Vars vars) {
            return allowed.contains(status) ? null : "expected status " + (allowed.size() == 1 ? allowed.iterator().next()
                    : "in " + new java.util.TreeSet<>(allowed)) + ", got " + status;
        }
    }

    /** The value is a template: {@code "$.id": "${product}"} compares with the variable's value. */
    record JsonEquals(JsonPath path, Template value) implements Expect {
        public String check(int status, String body, Capture.JsonSupplier json, Template.Vars vars) {
            JsonNode root = json.get();
            JsonNode n = root == null ? null : path.find(root);
            String actual = n == null || n.isMissingNode() ? null : n.isValueNode() ? n.asText() : n.toString();
            String expected = value.render(vars);
            return expected.equals(actual) ? null : "expected " + path + " == " + expected + ", got " + actual;
        }
    }

    /** The body has a match of the regular expression somewhere (a request's body, or a WebSocket message). */
    record BodyMatches(java.util.regex.Pattern regex) implements Expect {
        public String check(int status, String body, Capture.JsonSupplier json, Template.Vars vars) {
            return regex.matcher(body).find() ? null : "expected the body to match /" + regex.pattern() + "/";
        }
    }

    record BodyContains(String text) implements Expect {
        public String check(int status, String body, Capture.JsonSupplier json, Template.Vars vars) {
            return body.contains(text) ? null : "expected the body to contain '" + text + "'";
        }
    }
}
