package io.stampede.api.http;

import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;

/**
 * A request as the handlers see it: copied out of Netty's buffers at once, so it can wait for a
 * worker without holding any {@code ByteBuf}.
 */
public record ApiRequest(String method, String path, Map<String, List<String>> query,
                         String authorization, String host, byte[] body,
                         InetSocketAddress remote, List<String> pathParams) {

    public ApiRequest withPathParams(List<String> params) {
        return new ApiRequest(method, path, query, authorization, host, body, remote, params);
    }

    public String queryParam(String name) {
        List<String> values = query.get(name);
        return values == null || values.isEmpty() ? null : values.get(0);
    }
}
