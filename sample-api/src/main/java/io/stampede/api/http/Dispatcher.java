package io.stampede.api.http;

import io.netty.channel.Channel;
import java.util.function.Consumer;

/** What a connection hands each request to; the reply comes back on the channel's event loop. */
public interface Dispatcher {
    void dispatch(ApiRequest request, Channel channel, Consumer<Reply> respond);

    /** The instance name sent in every response's {@code X-Served-By}. */
    String name();

    /** The upgrade served at {@code path} (a WebSocket endpoint), or null. */
    default Upgrade upgrade(String path) {
        return null;
    }
}
