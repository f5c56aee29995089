package io.stampede.api.http;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A response decided by a handler, plus what it cost: {@code queries} simulated database queries,
 * each of which keeps the worker busy for the configured database latency before the reply is sent.
 */
public record Reply(int status, byte[] body, Map<String, String> headers, int queries) {

    public static Reply json(int status, Object value, int queries) {
        return new Reply(status, Json.bytes(value), Map.of(), queries);
    }

    /** An error in the shape the seed's locustfile looks for: a list under {@code errors}. */
    public static Reply error(int status, String type, String code, String detail, String attr, int queries) {
        Map<String, Object> item = new LinkedHashMap<>();
        item.put("code", code);
        item.put("detail", detail);
        item.put("attr", attr);
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("type", type);
        body.put("errors", List.of(item));
        return new Reply(status, Json.bytes(body), Map.of(), queries);
    }

    /** DRF's answer to a body that is not a JSON object. */
    public static Reply parseError() {
        return error(400, "client_error", "parse_error", "JSON parse error: the body must be a JSON object.", null, 0);
    }

    /** Several field errors at once, as DRF reports a failed serializer. */
    public static Reply validation(List<Map<String, Object>> errors) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("type", "validation_error");
        body.put("errors", errors);
        return new Reply(400, Json.bytes(body), Map.of(), 0);
    }

    public static Map<String, Object> fieldError(String code, String detail, String attr) {
        Map<String, Object> item = new LinkedHashMap<>();
        item.put("code", code);
        item.put("detail", detail);
        item.put("attr", attr);
        return item;
    }

    public Reply withHeader(String name, String value) {
        Map<String, String> all = new LinkedHashMap<>(headers);
        all.put(name, value);
        return new Reply(status, body, Map.copyOf(all), queries);
    }
}
