package io.stampede.loadgen.engine;

import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http2.Http2Headers;
import io.stampede.common.LazyDeadline;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A user's side of a shared HTTP/2 connection: its one request at a time is a stream on the
 * connection, and this object is that stream's exchange (what was sent, what has come back).
 * Lives on the user's event loop, which is the connection's.
 */
final class Http2UserConnection implements UserConnection {
    private final Worker worker;
    private final SharedHttp2Connection shared;
    private final LazyDeadline timeout;
    private final int maxBody;
    private Callback pending;
    private long sentNanos;
    private long timeoutNanos;

    // The request in flight; kept until it ends, so a stream the server refused can be sent again.
    Http2Headers headers;
    private ByteBuf body;
    boolean keepHeaders;
    boolean keepBody;
    /** Whether the request may be sent again: the server refused its stream before doing anything with it. */
    boolean resent;

    // The response so far.
    int status;
    private List<Map.Entry<String, String>> responseHeaders;
    private long size;
    private ByteArrayOutputStream bodyBytes;

    /** Where the request is now: a session and its stream id (0 while waiting for the connection). */
    SharedHttp2Connection.Session session;
    int streamId;

    Http2UserConnection(Worker worker, SharedHttp2Connection shared) {
        this.worker = worker;
        this.shared = shared;
        this.maxBody = worker.settings().maxBody();
        this.timeout = new LazyDeadline(worker.loop(), this::timedOut);
        shared.attach();
    }

    @Override
    public void send(Object request, boolean headRequest, boolean keepHeaders, boolean keepBody, long timeoutNanos, Callback callback) {
        if (request instanceof Http2Request r) {
            headers = r.headers();
            body = r.body().retainedDuplicate();
        } else {
            FullHttpRequest full = (FullHttpRequest) request;
            try {
                headers = Http2Request.headers(full, worker.settings().target());
                body = full.content().retain();
            } finally {
                full.release();
            }
        }
        this.keepHeaders = keepHeaders;
        this.keepBody = keepBody;
        this.pending = callback;
        this.resent = false;
        status = 0;
        responseHeaders = null;
        size = 0;
        bodyBytes = null;
        this.timeoutNanos = timeoutNanos;
        sentNanos = System.nanoTime();
        timeout.arm(timeoutNanos);
        shared.send(this);
    }

    /** The body to write on a stream: a duplicate the write may release; ours stays for a resend. */
    ByteBuf bodyToWrite() {
        return body.retainedDuplicate();
    }

    boolean hasBody() {
        return body.isReadable();
    }

    /** A response head (interim 1xx heads are skipped by the caller). */
    void head(int status, Http2Headers h) {
        this.status = status;
        for (Map.Entry<CharSequence, CharSequence> e : h) {
            CharSequence name = e.getKey();
            if (name.length() > 0 && name.charAt(0) == ':') {
                continue;
            }
            if (keepHeaders || io.netty.util.AsciiString.contentEqualsIgnoreCase(name, "set-cookie")) {
                if (responseHeaders == null) {
                    responseHeaders = new ArrayList<>(keepHeaders ? h.size() : 1);
                }
                responseHeaders.add(Map.entry(name.toString(), e.getValue().toString()));
            }
        }
    }

    /** Response body bytes: counted, and kept (up to the limit) when a capture or check reads them. */
    void data(ByteBuf data) {
        int n = data.readableBytes();
        size += n;
        if (keepBody && n > 0) {
            if (bodyBytes == null) {
                bodyBytes = new ByteArrayOutputStream(Math.min(n, 8192));
            }
            int room = (int) Math.max(0, Math.min(n, (long) maxBody - bodyBytes.size()));
            if (room > 0) {
                byte[] chunk = new byte[room];
                data.getBytes(data.readerIndex(), chunk);
                bodyBytes.write(chunk, 0, room);
            }
        }
    }

    void complete() {
        String reason = HttpResponseStatus.valueOf(status).reasonPhrase();
        finish(new Response(status, reason, responseHeaders == null ? List.of() : responseHeaders, size,
                bodyBytes == null ? null : bodyBytes.toByteArray()), null);
    }

    void failed(String error) {
        finish(null, error);
    }

    private void timedOut() {
        if (pending == null) {
            return;
        }
        shared.cancel(this);
        finish(null, "ReadTimeout: no response within " + TimeUnit.NANOSECONDS.toMillis(timeoutNanos) / 1000.0 + "s");
    }

    private void finish(Response response, String error) {
        timeout.disarm();
        session = null;
        streamId = 0;
        if (body != null) {
            body.release();
            body = null;
        }
        headers = null;
        Callback cb = pending;
        pending = null;
        if (cb == null) {
            return;
        }
        if (response != null) {
            cb.response(response, sentNanos);
        } else {
            cb.failed(error, sentNanos);
        }
    }

    @Override
    public void close() {
        timeout.cancel();
        if (pending != null) {
            // A user stopped mid-request (the swarm shutting down): its stream is reset, and
            // nothing is recorded for it, as for an HTTP/1.1 user whose connection is closed.
            shared.cancel(this);
            pending = null;
            finish(null, null);
        }
        shared.detach();
    }

    /** The handshake or connect timeout: what is left of this request's own. */
    long remainingNanos() {
        return Math.max(1, sentNanos + timeoutNanos - System.nanoTime());
    }
}
