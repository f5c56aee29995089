package io.stampede.balancer.proxy;

import io.netty.handler.codec.http2.DefaultHttp2Connection;

/**
 * Netty's HTTP/2 connection state, with RFC 9113 section 6.8's rule for frames that cross our
 * GOAWAY: once we have sent one, a stream the client opens above its last stream id is ignored,
 * and so is anything the client later sends on it. Netty ignores such a stream's HEADERS and DATA
 * but answers its RST_STREAM (or WINDOW_UPDATE) with a connection error, since it never created
 * the stream; a client that gives up a request it sent just before our GOAWAY arrived would so
 * lose every stream still in flight. Saying such a stream "may have existed" makes Netty ignore
 * those frames too, as nginx does.
 */
final class GoawayTolerantConnection extends DefaultHttp2Connection {
    GoawayTolerantConnection() {
        super(true);
    }

    @Override
    public boolean streamMayHaveExisted(int streamId) {
        return super.streamMayHaveExisted(streamId) || (goAwaySent() && remote().isValidStreamId(streamId)
                && streamId > remote().lastStreamKnownByPeer());
    }
}
