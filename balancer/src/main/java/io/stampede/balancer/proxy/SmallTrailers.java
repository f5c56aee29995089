package io.stampede.balancer.proxy;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.DefaultHttpHeadersFactory;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpHeadersFactory;

/**
 * Trailers for the HTTP/1.1 decoders, validated as Netty's own, in a table of 2 buckets rather
 * than 16: the decoders make a trailer set at the end of every message, nearly always to stay
 * empty, and at this proxy's rates those empty tables were a few percent of all it allocated.
 */
final class SmallTrailers extends DefaultHttpHeaders {
    private static final DefaultHttpHeadersFactory BASE = DefaultHttpHeadersFactory.trailersFactory();

    static final HttpHeadersFactory FACTORY = new HttpHeadersFactory() {
        @Override
        public HttpHeaders newHeaders() {
            return new SmallTrailers();
        }

        @Override
        public HttpHeaders newEmptyHeaders() {
            return BASE.newEmptyHeaders();
        }
    };

    private SmallTrailers() {
        super(BASE.getNameValidator(), BASE.getValueValidator(), 2);
    }
}
