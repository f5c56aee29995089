package io.stampede.api.http;

import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;

/**
 * A request as the handlers see it: copied out of Netty's buffers at once, so it can wait for a
 * worker without holding any {@code ByteBuf}.
 *
 * @param forwarded the request names a client behind a proxy ({@code X-Forwarded-For},
 *     {@code X-Real-IP} or {@code Forwarded}): it did not start on this machine, whatever
 *     address the connection comes from
 */
public record ApiRequest(String method, String path, Map<String, List<String>> query,
                         String authorization, String host, byte[] body,
                         InetSocketAddress remote, boolean forwarded, List<String> pathParams) {

    public ApiRequest withPathParams(List<String> params) {
        return new ApiRequest(method, path, query, authorization, host, body, remote, forwarded, params);
    }

    /** From this machine and not relayed for anyone else: what the admin endpoints require. */
    public boolean local() {
        return !forwarded && remote.getAddress().isLoopbackAddress();
    }

    public String queryParam(String name) {
        List<String> values = query.get(name);
        return values == null || values.isEmpty() ? null : values.get(0);
    }
}
