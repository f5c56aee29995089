package io.stampede.loadgen.engine;

/**
 * How a virtual user sends its requests, one at a time: over its own HTTP/1.1 keep-alive
 * connection ({@link HttpConnection}), or as streams on an HTTP/2 connection it shares with other
 * users of its worker ({@link Http2UserConnection}). Lives on the user's event loop.
 */
interface UserConnection {
    /** How a request ended: a response, or an error message as Locust would word it. */
    interface Callback {
        void response(Response response, long sentNanos);

        void failed(String error, long sentNanos);
    }

    /**
     * Sends {@code request} (a {@code FullHttpRequest}, or bytes the worker made once for a
     * constant step; this connection takes it over) and calls back exactly once.
     *
     * @param keepHeaders whether the callback needs every header (header captures)
     * @param keepBody whether the callback needs the body (captures, checks)
     */
    void send(Object request, boolean headRequest, boolean keepHeaders, boolean keepBody, long timeoutNanos, Callback callback);

    /** The user is done: close what is only its own. */
    void close();
}
