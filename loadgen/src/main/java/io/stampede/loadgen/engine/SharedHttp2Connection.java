package io.stampede.loadgen.engine;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.handler.codec.http2.Http2ConnectionHandler;
import io.netty.handler.codec.http2.AbstractHttp2ConnectionHandlerBuilder;
import io.netty.handler.codec.http2.Http2ConnectionDecoder;
import io.netty.handler.codec.http2.Http2ConnectionEncoder;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2FrameAdapter;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.StreamBufferingEncoder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.util.collection.IntObjectHashMap;
import io.netty.util.collection.IntObjectMap;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One HTTP/2 connection that several users of a worker share, as a browser's tabs share one
 * connection to a host: each user's request is a stream on it. It connects when a user first
 * needs it and again after the server closes it or sends GOAWAY; streams beyond the server's
 * {@code SETTINGS_MAX_CONCURRENT_STREAMS} wait in Netty's {@link StreamBufferingEncoder} for a
 * free one. A request the server never processed (a stream above a GOAWAY's last stream id, or
 * refused with {@code REFUSED_STREAM}) is sent again on a new connection, once, as RFC 9113
 * section 8.7 allows; every other ending is the request's own result.
 *
 * <p>On https:// the connection is h2 chosen by ALPN; on http:// it is h2c with prior knowledge
 * (the client starts with the HTTP/2 preface, as {@code curl --http2-prior-knowledge} and h2load
 * do). Lives on its worker's event loop; nothing here is shared across threads.
 */
final class SharedHttp2Connection {
    /** Chrome's windows: enough that a fast local server is never held back by our flow control. */
    private static final int STREAM_WINDOW = 6 * 1024 * 1024;
    private static final int CONNECTION_WINDOW = 15 * 1024 * 1024;
    private static final int MAX_HEADER_LIST = 64 * 1024;

    private final Worker worker;
    private final InetSocketAddress address;
    private final InetSocketAddress source;
    /** This connection's own key into the TLS session cache, as a user's is (see {@link ClientTls}). */
    private final int sessionKey = SESSION_KEYS.incrementAndGet();
    private static final java.util.concurrent.atomic.AtomicInteger SESSION_KEYS = new java.util.concurrent.atomic.AtomicInteger(1 << 29);
    /** The session new streams go to, or null when none is open or opening. */
    private Session current;
    private int users;

    SharedHttp2Connection(Worker worker, InetSocketAddress source) {
        this.worker = worker;
        this.address = worker.settings().target().resolved();
        this.source = source;
    }

    void attach() {
        users++;
    }

    /** A user is done with the connection; the last one closes it once its streams are over. */
    void detach() {
        if (--users == 0 && current != null) {
            Session s = current;
            current = null;
            s.closeWhenIdle();
        }
    }

    void send(Http2UserConnection x) {
        if (current == null || current.closing()) {
            current = new Session(x.remainingNanos());
        }
        current.send(x);
    }

    /** Gives up a request (its timeout): a stream on the wire is reset, a waiting one forgotten. */
    void cancel(Http2UserConnection x) {
        Session s = x.session;
        if (s != null) {
            s.cancel(x);
        }
    }

    /** Sends a request the server did not process on a new connection, or fails it if it was sent again already. */
    private void resend(Http2UserConnection x, String why) {
        x.session = null;
        x.streamId = 0;
        if (x.resent) {
            x.failed(why);
            return;
        }
        x.resent = true;
        send(x);
    }

    /** One TCP (and TLS) connection: the streams on it, and the requests waiting for it to be ready. */
    final class Session extends Http2FrameAdapter {
        private final Channel channel;
        private Http2ConnectionHandler http2;
        private ChannelHandlerContext ctx;
        private boolean ready;
        /** No new streams: GOAWAY came, or the connection is closing. */
        private boolean goingAway;
        private boolean closeWhenIdle;
        private final ArrayDeque<Http2UserConnection> waiting = new ArrayDeque<>();
        private final IntObjectMap<Http2UserConnection> streams = new IntObjectHashMap<>();
        /** What ended the connection, for the requests it takes down. */
        private String lastError;
        /** The last stream error Netty answered itself, for the request it ended. */
        private String lastStreamError;
        private long activeNanos;
        /**
         * Inside a read: requests that users send while their responses are being decoded go out
         * together, in the one flush Netty's handler makes when the read completes.
         */
        private boolean reading;
        /** Failed or closed: every request it held has been answered. */
        private boolean dead;

        Session(long connectTimeoutNanos) {
            ClientTls tls = worker.settings().target().https() ? worker.settings().tls() : null;
            long timeoutMillis = Math.max(1, TimeUnit.NANOSECONDS.toMillis(connectTimeoutNanos));
            Bootstrap b = new Bootstrap().group(worker.loop()).channel(worker.channelType())
                    .option(ChannelOption.TCP_NODELAY, true)
                    .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, timeoutMillis))
                    .handler(new ChannelInitializer<Channel>() {
                        @Override
                        protected void initChannel(Channel ch) {
                            if (tls != null) {
                                ch.pipeline().addLast(tls.newHttp2Handler(ch.alloc(), worker.settings().target(), sessionKey, timeoutMillis));
                            }
                            http2 = new Codec().make();
                            ch.pipeline().addLast(http2, new Events());
                            http2.connection().addListener(new io.netty.handler.codec.http2.Http2ConnectionAdapter() {
                                @Override
                                public void onStreamClosed(io.netty.handler.codec.http2.Http2Stream stream) {
                                    streamClosed(stream.id());
                                }
                            });
                        }
                    });
            channel = (source == null ? b.connect(address) : b.connect(address, source)).addListener((ChannelFutureListener) f -> {
                if (!f.isSuccess()) {
                    lastError = HttpConnection.connectError(f.cause(), address);
                    f.channel().close();
                    failAll();
                }
            }).channel();
            // Before the pipeline hears of it: no request may pick this session once it is closed.
            channel.closeFuture().addListener(f -> noMoreStreams());
        }

        /**
         * A stream Netty ended itself (a protocol error it answered with RST_STREAM, such as a
         * content-length that does not match): the request fails now, not at its timeout.
         */
        private void streamClosed(int id) {
            Http2UserConnection x = streams.get(id);
            if (x == null) {
                return;
            }
            ctx.executor().execute(() -> {
                if (streams.get(id) == x && channel.isActive()) {
                    streams.remove(id);
                    x.failed(lastStreamError != null ? lastStreamError : "HTTP2Error: the stream ended without a whole response");
                    closeIfIdle();
                }
            });
        }

        void send(Http2UserConnection x) {
            if (dead) {
                // Ended before anyone could use it (a connect refused at once): the request fails
                // on the next turn of the loop, so a user retrying at once cannot recurse.
                worker.loop().execute(() -> x.failed(lastError != null ? lastError : "ConnectionError: the connection closed"));
                return;
            }
            x.session = this;
            if (!ready) {
                waiting.add(x);
                return;
            }
            int id = http2.connection().local().incrementAndGetNextStreamId();
            if (id < 0) {
                // Stream ids used up (2^31 on one connection): a new connection takes it.
                noMoreStreams();
                resend(x, "HTTP2Error: stream ids exhausted");
                closeIfIdle();
                return;
            }
            x.streamId = id;
            streams.put(id, x);
            // Taken before the head goes out: a head that fails at once ends the request (and
            // releases its body) from inside writeHeaders.
            ByteBuf data = x.hasBody() ? x.bodyToWrite() : null;
            http2.encoder().writeHeaders(ctx, id, x.headers, 0, data == null, ctx.newPromise().addListener(f -> {
                if (!f.isSuccess()) {
                    writeFailed(id, x, f.cause());
                }
            }));
            if (data != null) {
                if (streams.get(id) == x) {
                    // Its failure is the head's (same stream): not the pipeline's business.
                    http2.encoder().writeData(ctx, id, data, 0, true, ctx.newPromise());
                } else {
                    data.release();
                }
            }
            if (!reading) {
                http2.flush(ctx); // the handler's flush: it also sends DATA waiting in the flow controller
            }
        }

        private void writeFailed(int id, Http2UserConnection x, Throwable cause) {
            if (streams.get(id) != x) {
                return; // already ended (or sent again) on another path
            }
            streams.remove(id);
            noMoreStreamsIfClosed();
            // Later, not inside the write: the user's next request must not land in this same
            // failing write path (a closed channel fails every write at once).
            ctx.executor().execute(() -> {
                if (cause instanceof StreamBufferingEncoder.Http2GoAwayException
                        || cause instanceof StreamBufferingEncoder.Http2ChannelClosedException) {
                    // The head never left this process: safe to send on a new connection.
                    resend(x, "HTTP2Error: the connection ended before the request's stream could start");
                } else {
                    x.failed("HTTP2Error: the request could not be sent: " + cause.getMessage());
                }
                closeIfIdle();
            });
        }

        /** Whether new streams must go elsewhere: GOAWAY, a close asked for, or the channel gone. */
        boolean closing() {
            return goingAway || closeWhenIdle || (ready && !channel.isActive());
        }

        private void noMoreStreamsIfClosed() {
            if (!channel.isActive()) {
                noMoreStreams();
            }
        }

        void cancel(Http2UserConnection x) {
            if (x.streamId == 0) {
                waiting.remove(x);
                closeIfIdle();
                return;
            }
            if (streams.remove(x.streamId) == x && channel.isActive()) {
                http2.encoder().writeRstStream(ctx, x.streamId, Http2Error.CANCEL.code(), ctx.newPromise());
                http2.flush(ctx);
            }
            closeIfIdle();
        }

        @Override
        public void onHeadersRead(ChannelHandlerContext c, int streamId, Http2Headers headers, int padding, boolean endOfStream) {
            reading = true;
            Http2UserConnection x = streams.get(streamId);
            if (x == null) {
                return;
            }
            if (x.status == 0) {
                int status;
                try {
                    status = Integer.parseInt(String.valueOf(headers.status()));
                } catch (NumberFormatException e) {
                    end(streamId, x, "InvalidResponse: the response's :status is '" + headers.status() + "'");
                    return;
                }
                if (status >= 100 && status < 200) {
                    return; // interim (100 Continue, 103 Early Hints): the final head follows
                }
                x.head(status, headers);
            }
            // A second header block is the trailers: nothing a user reads.
            if (endOfStream) {
                complete(streamId, x);
            }
        }

        @Override
        public void onHeadersRead(ChannelHandlerContext c, int streamId, Http2Headers headers, int streamDependency,
                                  short weight, boolean exclusive, int padding, boolean endOfStream) {
            onHeadersRead(c, streamId, headers, padding, endOfStream);
        }

        @Override
        public int onDataRead(ChannelHandlerContext c, int streamId, ByteBuf data, int padding, boolean endOfStream) {
            reading = true;
            Http2UserConnection x = streams.get(streamId);
            if (x != null) {
                x.data(data);
                if (endOfStream) {
                    complete(streamId, x);
                }
            }
            return data.readableBytes() + padding; // consumed: the window opens again at once
        }

        @Override
        public void onRstStreamRead(ChannelHandlerContext c, int streamId, long errorCode) {
            Http2UserConnection x = streams.remove(streamId);
            if (x == null) {
                return;
            }
            if (errorCode == Http2Error.REFUSED_STREAM.code() && x.status == 0) {
                resend(x, "HTTP2Error: the server refused the stream (REFUSED_STREAM)");
            } else {
                Http2Error e = Http2Error.valueOf(errorCode);
                x.failed("HTTP2Error: the server reset the stream (" + (e != null ? e.name() : "error " + errorCode) + ")");
            }
            closeIfIdle();
        }

        @Override
        public void onGoAwayRead(ChannelHandlerContext c, int lastStreamId, long errorCode, ByteBuf debugData) {
            noMoreStreams();
            // Streams above the last one the server will process were not processed: send them again.
            List<Integer> refused = new ArrayList<>();
            for (IntObjectMap.PrimitiveEntry<Http2UserConnection> e : streams.entries()) {
                if (e.key() > lastStreamId) {
                    refused.add(e.key());
                }
            }
            for (int id : refused) {
                resend(streams.remove(id), "HTTP2Error: the server sent GOAWAY before processing the request");
            }
            if (errorCode != Http2Error.NO_ERROR.code()) {
                Http2Error e = Http2Error.valueOf(errorCode);
                lastError = "HTTP2Error: the server ended the connection (GOAWAY " + (e != null ? e.name() : errorCode) + ")";
            }
            closeIfIdle();
        }

        private void complete(int streamId, Http2UserConnection x) {
            streams.remove(streamId);
            x.complete();
            closeIfIdle();
        }

        private void end(int streamId, Http2UserConnection x, String error) {
            streams.remove(streamId);
            if (channel.isActive()) {
                http2.encoder().writeRstStream(ctx, streamId, Http2Error.PROTOCOL_ERROR.code(), ctx.newPromise());
                http2.flush(ctx);
            }
            x.failed(error);
            closeIfIdle();
        }

        /** This session takes no new streams; the next request opens another. */
        private void noMoreStreams() {
            goingAway = true;
            if (current == this) {
                current = null;
            }
        }

        void closeWhenIdle() {
            closeWhenIdle = true;
            noMoreStreams();
            closeIfIdle();
        }

        private void closeIfIdle() {
            if ((goingAway || closeWhenIdle) && streams.isEmpty() && waiting.isEmpty()) {
                channel.close();
            }
        }

        private void becameReady() {
            ready = true;
            // The connection's window: open wide at once (as browsers and h2load do), or one slow
            // stream's unread bytes would hold back every other stream's.
            try {
                http2.connection().local().flowController().incrementWindowSize(http2.connection().connectionStream(),
                        CONNECTION_WINDOW - io.netty.handler.codec.http2.Http2CodecUtil.DEFAULT_WINDOW_SIZE);
            } catch (Http2Exception e) {
                throw new IllegalStateException(e); // a window below 2^31: cannot overflow
            }
            Http2UserConnection x;
            while ((x = waiting.poll()) != null) {
                send(x);
            }
            http2.flush(ctx);
        }

        /** Fails every request this connection holds, or sends again those it never sent. */
        private void failAll() {
            dead = true;
            noMoreStreams();
            String why = lastError != null ? lastError : "RemoteDisconnected: the server closed the connection without a response";
            List<Http2UserConnection> all = new ArrayList<>(streams.values());
            streams.clear();
            Http2UserConnection w;
            while ((w = waiting.poll()) != null) {
                w.session = null;
                w.failed(why);
            }
            for (Http2UserConnection x : all) {
                x.failed(why);
            }
        }

        /** Netty's HTTP/2 handler, which also tells us why it ends a connection (its GOAWAY's reason). */
        private final class Codec extends AbstractHttp2ConnectionHandlerBuilder<Http2ConnectionHandler, Codec> {
            Http2ConnectionHandler make() {
                server(false);
                frameListener(Session.this);
                encoderEnforceMaxConcurrentStreams(true);
                validateHeaders(false);
                initialSettings(Http2Settings.defaultSettings().pushEnabled(false)
                        .initialWindowSize(STREAM_WINDOW).maxHeaderListSize(MAX_HEADER_LIST));
                return build();
            }

            @Override
            protected Http2ConnectionHandler build(Http2ConnectionDecoder decoder, Http2ConnectionEncoder encoder,
                                                   Http2Settings initialSettings) {
                return new Http2ConnectionHandler(decoder, encoder, initialSettings) {
                    @Override
                    protected void onStreamError(ChannelHandlerContext c, boolean outbound, Throwable cause,
                                                 Http2Exception.StreamException http2Ex) {
                        lastStreamError = "HTTP2Error: " + cause.getMessage();
                        super.onStreamError(c, outbound, cause, http2Ex);
                    }

                    @Override
                    protected void onConnectionError(ChannelHandlerContext c, boolean outbound, Throwable cause,
                                                     Http2Exception http2Ex) {
                        lastError = "HTTP2Error: " + (outbound ? "sending: " : "") + cause.getMessage();
                        super.onConnectionError(c, outbound, cause, http2Ex);
                    }
                };
            }
        }

        /** The connection's own events, after the HTTP/2 handler (so the preface has gone out). */
        private final class Events extends ChannelInboundHandlerAdapter {
            @Override
            public void handlerAdded(ChannelHandlerContext c) {
                ctx = c.pipeline().context(http2);
            }

            @Override
            public void channelActive(ChannelHandlerContext c) {
                activeNanos = System.nanoTime();
                if (c.pipeline().get(SslHandler.class) == null) {
                    becameReady();
                }
                c.fireChannelActive();
            }

            @Override
            public void userEventTriggered(ChannelHandlerContext c, Object evt) {
                if (evt instanceof SslHandshakeCompletionEvent done) {
                    SslHandler ssl = c.pipeline().get(SslHandler.class);
                    if (!done.isSuccess()) {
                        lastError = ClientTls.describe(done.cause(), worker.settings().target().host());
                        c.close();
                    } else if (!"h2".equals(ssl.applicationProtocol())) {
                        worker.recording().handshake(System.nanoTime() - activeNanos, worker.settings().tls().resumed(ssl.engine()));
                        lastError = "HTTP2Error: the server does not speak HTTP/2 (ALPN chose "
                                + (ssl.applicationProtocol() == null ? "nothing" : ssl.applicationProtocol()) + ")";
                        c.close();
                    } else {
                        worker.recording().handshake(System.nanoTime() - activeNanos, worker.settings().tls().resumed(ssl.engine()));
                        becameReady();
                    }
                }
                c.fireUserEventTriggered(evt);
            }

            @Override
            public void channelReadComplete(ChannelHandlerContext c) {
                reading = false; // Netty's HTTP/2 handler flushes next
                c.fireChannelReadComplete();
            }

            @Override
            public void exceptionCaught(ChannelHandlerContext c, Throwable cause) {
                // The HTTP/2 handler has already answered a protocol error (GOAWAY) and closes.
                lastError = "HTTP2Error: " + cause.getMessage();
                c.close();
            }

            @Override
            public void channelInactive(ChannelHandlerContext c) {
                failAll();
                c.fireChannelInactive();
            }
        }
    }
}
