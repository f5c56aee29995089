package io.stampede.loadgen.scenario;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Set;

/** A check on a response; a failed check fails the request with its message. */
public sealed interface Expect {
    /** Null when the response passes, else why it does not. */
    String check(int status, String body, Capture.JsonSupplier json);

    /** The status must be one of these (by default, a request fails on any status >= 400). */
    record Status(Set<Integer> allowed) implements Expect {
        public String check(int status, String body, Capture.JsonSupplier json) {
            return allowed.contains(status) ? null : "expected status " + (allowed.size() == 1 ? allowed.iterator().next()
                    : "in " + new java.util.TreeSet<>(allowed)) + ", got " + status;
        }
    }

    record JsonEquals(JsonPath path, String value) implements Expect {
        public String check(int status, String body, Capture.JsonSupplier json) {
            JsonNode root = json.get();
            JsonNode n = root == null ? null : path.find(root);
            String actual = n == null || n.isMissingNode() ? null : n.isValueNode() ? n.asText() : n.toString();
            return value.equals(actual) ? null : "expected " + path + " == " + value + ", got " + actual;
        }
    }

    record BodyContains(String text) implements Expect {
        public String check(int status, String body, Capture.JsonSupplier json) {
            return body.contains(text) ? null : "expected the body to contain '" + text + "'";
        }
    }
}
