package io.stampede.api.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;

/** The one JSON mapper of the Market API (thread-safe once configured). */
public final class Json {
    public static final ObjectMapper MAPPER = JsonMapper.builder().build();

    private Json() {}

    public static byte[] bytes(Object value) {
        try {
            return MAPPER.writeValueAsBytes(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialize " + value.getClass().getSimpleName(), e);
        }
    }

    /** The body as a JSON object, or null when it is empty, not JSON, or not an object. */
    public static JsonNode objectOrNull(byte[] body) {
        try {
            JsonNode node = parse(body);
            return node.isObject() ? node : null;
        } catch (IOException e) {
            return null;
        }
    }

    /** @throws IOException when the body is not JSON */
    public static JsonNode parse(byte[] body) throws IOException {
        if (body.length == 0) {
            throw new IOException("empty body");
        }
        return MAPPER.readTree(body);
    }
}
