package io.stampede.balancer.admin;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * The upstreams' servers as nginx Plus's API changes them ({@code /api/N/http/upstreams/NAME/servers}):
 * the admin listener speaks HTTP and JSON, this does the change. Each answer is an HTTP status and
 * a body to write as JSON: a server, a list of them, or nginx Plus's error object.
 */
public interface UpstreamEditor {
    record Answer(int status, Object body) {}

    Answer servers(String upstream);

    Answer server(String upstream, int id);

    Answer add(String upstream, JsonNode fields);

    Answer change(String upstream, int id, JsonNode fields);

    Answer remove(String upstream, int id);
}
