package io.stampede.balancer.proxy;

import io.stampede.balancer.limit.ConnLimits;
import io.stampede.balancer.limit.LimitConnSettings;
import io.stampede.balancer.limit.LimitReqSettings;
import io.stampede.balancer.limit.RequestLimits;
import io.stampede.balancer.log.AccessRecord;
import io.stampede.balancer.log.ProxyLog;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ConnectTimeoutException;
import io.netty.handler.ssl.SslHandshakeTimeoutException;
import io.stampede.balancer.tls.UpstreamTls;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http2.StreamBufferingEncoder;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import io.stampede.balancer.config.LocationConfig;
import io.stampede.balancer.config.ProxySettings;
import io.stampede.balancer.upstream.BalancedRequest;
import io.stampede.balancer.upstream.NextUpstream;
import io.stampede.balancer.upstream.Outcome;
import io.stampede.balancer.upstream.Peer;
import io.stampede.common.Deadline;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

/**
 * One client request on its way through the proxy, on the client's event loop from start to end:
 * it reads the body (held when small enough to retry, streamed when larger), asks the upstream's
 * balancer for a peer, sends the request on a pooled or new connection, and streams the response
 * back, reading from the upstream only after the client took the previous piece. Failures before
 * any response byte reached the client go through nginx's retry rules.
 *
 * <p>It is the longest class here because it is the one place that sequences a request's whole
 * upstream life (body, attempts and retries, response stream, teardown); the steps are short
 * methods, and selection, retry rules, head rewriting and pooling live in their own classes.
 *
 * <p>Each try at a server is an {@link UpstreamAttempt} (the server, pooled or new connection, the
 * response's status and timing, the release to the balancer).
 *
 * <p>Buffer ownership: {@code body} ({@link HeldBody}) holds the request body parts this exchange
 * retained, released when it ends; every other buffer is written on or released where it is received.
 */
final class Exchange {
    private final ClientConnection client;
    private final ChannelHandlerContext ctx;
    private final ProxyRuntime runtime;
    private final HttpRequest head;
    private final String upstreamUri;
    private final LocationConfig location;
    private final ProxySettings settings;
    /** TLS to the servers (proxy_pass https://); null for cleartext. */
    private final UpstreamTls tls;
    private final UpstreamRuntime upstream;
    private final RequestVariables vars;
    private final NextUpstream nextUpstream;
    final AccessRecord record;

    private final HeldBody body = new HeldBody();
    private long bodyBytes;
    private final long declaredLength;

    private BalancedRequest balanced;
    /** The current try at a server, or null before the first (and after a pick found none). */
    private UpstreamAttempt attempt;
    private BackendConnection backend;
    private long firstAttemptNanos;

    /**
     * Where the exchange is. Each wait has its own deadline, set when the phase is entered, and
     * the timer's meaning follows from the phase alone (see {@link #onTimer}).
     */
    enum Phase {
        /** Reading a request body that is held so the request can be retried. */
        BODY,
        /** Waiting in the upstream's queue for a server (deadline: the queue's timeout). */
        QUEUED,
        /** Opening a connection to the chosen server (deadline: Netty's connect timeout). */
        CONNECTING,
        /** Writing the request, and a streamed body as the client sends it (proxy_send_timeout). */
        SENDING,
        /** The whole request went out; waiting for the response head (proxy_read_timeout). */
        WAITING,
        /** The response head went to the client; waiting for the upstream's next piece (proxy_read_timeout). */
        RELAYING,
        /** A piece of the response is on its way to the client; the upstream is not read until the client took it (send_timeout). */
        CLIENT_BLOCKED,
        /** The server switched protocols (101): bytes are relayed both ways until either side closes ({@link Tunnel}). */
        TUNNEL,
        /** Answered, aborted or discarded: nothing more happens. */
        DONE
    }

    private Phase phase = Phase.BODY;
    private boolean bodyComplete;
    /** The body is larger than client_body_buffer_size: it goes to the first server as it arrives. */
    private boolean streaming;
    private boolean streamedSome;
    /** How the response is framed to the client, fixed by its head. */
    private boolean responseFramed;
    private boolean clientChunked;
    private boolean keepAlive;
    /** A bodiless response (204, 304, an answer to HEAD) that declared a non-zero length: the connection is not reused. */
    private boolean declaredBodyOnBodiless;
    private final Deadline deadline;
    /**
     * The client asked to switch to WebSocket (HTTP/1.1, Upgrade: websocket, Connection: upgrade,
     * no body): the request carries the switch by default.
     */
    private final boolean upgradeAsked;
    /**
     * The client sent an Upgrade and no body, on HTTP/1.x: a 101 may come if the request goes out
     * with Upgrade (by default or by proxy_set_header), so the client is not read until the answer.
     */
    private final boolean upgradePossible;
    /** The request to the current server asked for the switch: only then is a 101 taken. */
    private boolean upgradeSent;
    /** The switched connection's relay, once a 101 came. */
    private Tunnel tunnel;

    /** This request is an error_page's internal redirect: its own errors are answered as they are (nginx's recursive_error_pages off). */
    private final boolean redirected;
    /** The code the client is answered with whatever the server says (an error_page's), 0 for the server's own. */
    private final int forcedStatus;
    private final RequestGuard.Target target;

    Exchange(ClientConnection client, ChannelHandlerContext ctx, ProxyRuntime runtime, HttpRequest head,
             RequestGuard.Target target, RequestPath path, LocationConfig location, AccessRecord record) {
        this(client, ctx, runtime, head, target, path, location, record, false, 0, false);
    }

    Exchange(ClientConnection client, ChannelHandlerContext ctx, ProxyRuntime runtime, HttpRequest head,
             RequestGuard.Target target, RequestPath path, LocationConfig location, AccessRecord record, boolean redirected,
             int forcedStatus, boolean wholeUri) {
        this.redirected = redirected;
        this.forcedStatus = forcedStatus;
        this.target = target;
        this.client = client;
        this.ctx = ctx;
        this.runtime = runtime;
        this.head = head;
        this.location = location;
        this.settings = location.proxy();
        this.tls = runtime.upstreamTls(location);
        this.upstream = runtime.upstream(location.upstream());
        this.record = record;
        // After a rewrite's break, the changed URI goes as it is, whatever proxy_pass's URI part.
        this.upstreamUri = wholeUri ? target.uri() : rewriteUri(target.uri(), path, location);
        this.vars = new RequestVariables(head, target.uri(), path.normalized(), target.host(),
                (InetSocketAddress) ctx.channel().remoteAddress(), (InetSocketAddress) ctx.channel().localAddress(),
                location.proxyHost(), client.tls, client.http2, runtime.config().maps());
        this.nextUpstream = runtime.nextUpstream(location);
        // A chunked body's length is unknown, whatever else the head says (belt and braces: the
        // decoder already refuses Content-Length together with Transfer-Encoding).
        this.declaredLength = HttpUtil.isTransferEncodingChunked(head) ? -1L : HttpUtil.getContentLength(head, -1L);
        this.deadline = client.exchangeDeadline(this::onTimer);
        boolean bodiless = declaredLength <= 0 && !HttpUtil.isTransferEncodingChunked(head);
        this.upgradePossible = client.http2 == null && bodiless && head.headers().contains(HttpHeaderNames.UPGRADE);
        this.upgradeAsked = upgradePossible && Heads.asksWebSocket(head);
        record.vars = vars;
    }

    /** A switch was asked for and the answer has not come: the client is not read meanwhile (its next bytes may be the new protocol's). */
    boolean awaitingUpgrade() {
        return upgradePossible && phase != Phase.TUNNEL && phase != Phase.DONE;
    }

    /** The connection switched protocols: what the client sends goes to the tunnel. */
    Tunnel tunnel() {
        return tunnel;
    }

    /**
     * nginx's proxy_pass URI rule: without a URI part the client's target goes as it was sent;
     * with one, the URI part replaces the matched location prefix of the normalized path, the
     * rest is escaped again and the query string follows unchanged.
     */
    static String rewriteUri(String uri, RequestPath path, LocationConfig location) {
        if (location.uri() == null) {
            return uri;
        }
        String query = path.query() == null ? "" : "?" + path.query();
        if (location.exact()) {
            return location.uri() + query;
        }
        return location.uri() + RequestPath.escape(path.normalized().substring(location.path().length())) + query;
    }

    Phase phase() {
        return phase;
    }

    HttpRequest head() {
        return head;
    }

    RequestGuard.Target target() {
        return target;
    }

    /**
     * nginx's error_page for an answer with {@code status}: this exchange ends without writing
     * anything (its server already released) and the client connection runs the page's request.
     * Only for a request whose body was all read (the page's is a GET), and never twice.
     *
     * @return whether the page took over
     */
    private boolean errorPage(int status) {
        boolean bodiless = declaredLength <= 0 && !HttpUtil.isTransferEncodingChunked(head);
        if (redirected || !(bodyComplete || bodiless) || location.grpc() || client.current() != this) {
            return false;
        }
        io.stampede.balancer.route.ErrorPage page = io.stampede.balancer.route.ErrorPage.find(location.errorPages(), status);
        if (page == null) {
            return false;
        }
        phase = Phase.DONE;
        connHeld.release();
        deadline.cancel();
        body.release();
        if (balanced != null) {
            runtime.metrics().requestDone(upstream.config().name(), System.nanoTime() - firstAttemptNanos);
        }
        return client.redirectInternally(this, page, status);
    }

    boolean responseStarted() {
        return phase == Phase.RELAYING || phase == Phase.CLIENT_BLOCKED || phase == Phase.TUNNEL;
    }

    boolean wantsBody() {
        return !bodyComplete && phase != Phase.DONE;
    }

    private boolean done() {
        return phase == Phase.DONE;
    }

    /** A request limit_req delays: its wait (cancelled if the client leaves first). */
    private java.util.concurrent.ScheduledFuture<?> limitDelay;
    /**
     * What the decoder had of the body when the delay began (the end of an empty one, at least):
     * held, owned by this exchange, and taken up once the wait is over.
     */
    private java.util.List<HttpContent> heldDuringDelay;

    /**
     * Called once the head passed the guard. limit_req comes first, as in nginx's preaccess phase
     * (before the body is read): a rejected request is answered {@code limit_req_status}, a
     * delayed one waits on a timer (its body unread, so flow control holds the client back).
     */
    /** The request's variables (the client connection sets {@code $server_name} once the server is chosen). */
    RequestVariables variables() {
        return vars;
    }

    void start() {
        if (redirected) {
            // An error page's request: the limits judged the request already (nginx skips them too).
            go();
            return;
        }
        LimitReqSettings limits = location.limitReq();
        if (!limits.rules().isEmpty()) {
            RequestLimits.Verdict v = RequestLimits.decide(
                    limits.rules(), runtime.limitZones(), vars, System.nanoTime() / 1_000_000, limits.dryRun());
            vars.limitReqStatus = v.status();
            if (v.zone() != null) {
                boolean rejecting = v.status().startsWith("REJECTED");
                runtime.log().limitReq(v.zone(), rejecting, (rejecting ? "limiting requests" : "delaying request")
                        + (limits.dryRun() ? ", dry run" : "") + ", excess: " + v.excess() / 1000 + "."
                        + String.format("%03d", v.excess() % 1000) + (rejecting ? " by zone \"" : ", by zone \"") + v.zone()
                        + "\", client: " + vars.get("remote_addr") + ", request: \"" + head.method() + " " + head.uri() + "\"",
                        limits.logLevel());
            }
            if (v.rejected()) {
                respondError(limits.status());
                return;
            }
            if (v.delayMillis() > 0) {
                heldDuringDelay = new java.util.ArrayList<>(1);
                limitDelay = ctx.executor().schedule(() -> {
                    limitDelay = null;
                    java.util.List<HttpContent> held = heldDuringDelay;
                    heldDuringDelay = null;
                    if (!done()) {
                        admitted();
                    }
                    held.forEach(this::onBody);
                }, v.delayMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
                return;
            }
        }
        admitted();
    }

    /** What limit_conn counted for this request, given back when it ends. */
    private final ConnLimits.Held connHeld = new ConnLimits.Held();

    /** Past limit_req: limit_conn counts the request in progress (or refuses it), then it goes on. */
    private void admitted() {
        LimitConnSettings conn = location.limitConn();
        if (!conn.rules().isEmpty()) {
            String[] refused = new String[2];
            String status = ConnLimits.decide(conn.rules(), runtime.connZones(), vars, conn.dryRun(),
                    connHeld, refused);
            vars.limitConnStatus = status;
            if (refused[0] != null) {
                runtime.log().limitReq(refused[0], true, ("full".equals(refused[1]) ? "zone \"" + refused[0] + "\" is full"
                        : "limiting connections" + (conn.dryRun() ? ", dry run," : "") + " by zone \"" + refused[0] + "\"")
                        + ", client: " + vars.get("remote_addr") + ", request: \"" + head.method() + " " + head.uri() + "\"",
                        conn.logLevel());
                if (!conn.dryRun()) {
                    respondError(conn.status());
                    return;
                }
            }
        }
        go();
    }

    private void go() {
        long max = runtime.config().client().maxBodySize();
        if (max > 0 && declaredLength > max) {
            client.refuse(this, 413);
            return;
        }
        boolean expectsBody = declaredLength > 0 || HttpUtil.isTransferEncodingChunked(head);
        if (!expectsBody) {
            // The decoder still delivers an empty LastHttpContent; the request is complete now.
            bodyComplete = true;
            begin();
            return;
        }
        if (head.protocolVersion().equals(HttpVersion.HTTP_1_1)
                && "100-continue".equalsIgnoreCase(String.valueOf(head.headers().get(HttpHeaderNames.EXPECT)).trim())) {
            ctx.writeAndFlush(new io.netty.handler.codec.http.DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                    io.netty.handler.codec.http.HttpResponseStatus.CONTINUE));
        }
        if (location.grpc()) {
            // As nginx's grpc module: the body is never held. A streaming call's client may send
            // one message and wait for an answer before the next, so each goes as it comes.
            streaming = true;
            client.pace().start();
            ctx.read();
            begin();
            return;
        }
        client.pace().start();
        ctx.read();
    }

    /** A piece of the request body; this exchange now owns it. */
    void onBody(HttpContent content) {
        if (limitDelay != null) {
            heldDuringDelay.add(content);
            return;
        }
        if (done() || bodyComplete) {
            content.release();
            return;
        }
        if (content.decoderResult().isFailure()) {
            // A framing error in the body (a bad chunk): never forward it as a complete request.
            content.release();
            client.refuse(this, 400);
            return;
        }
        ByteBuf data = content.content();
        bodyBytes += data.readableBytes();
        long max = runtime.config().client().maxBodySize();
        if (max > 0 && bodyBytes > max) {
            content.release();
            client.refuse(this, 413);
            return;
        }
        boolean last = content instanceof LastHttpContent;
        if (!streaming) {
            if (!client.pace().progress(data.readableBytes())) {
                content.release();
                return; // too slow: the client was answered 408
            }
        } else {
            client.stopPace(); // the client delivered; the upstream's pace matters until the next read
        }
        if (done()) {
            content.release();
            return;
        }
        if (streaming) {
            forwardStreamed(content, last);
            return;
        }
        if (data.isReadable()) {
            body.add(data.retain());
        }
        content.release();
        if (last) {
            bodyComplete = true;
            client.stopPace();
            begin();
        } else if (bodyBytes > runtime.config().client().bodyBufferSize()) {
            // Too large to hold for retries: stream it to the first peer chosen (nginx with
            // proxy_request_buffering off); it is not retried once part of it was sent. From here
            // the upstream's pace sets the client reads, so the send timeout, not the client body
            // timer, watches the stream.
            streaming = true;
            client.stopPace();
            begin();
        } else {
            ctx.read();
        }
    }

    private void begin() {
        long now = System.nanoTime();
        firstAttemptNanos = now;
        InetSocketAddress remote = (InetSocketAddress) ctx.channel().remoteAddress();
        balanced = upstream.group().begin(upstream.key(vars, remote.getAddress()), settings.nextUpstreamTries());
        balanced.bind(upstream.boundSid(vars));
        // The first pick may wait in the upstream's queue; a peer found later comes back on this loop.
        Peer first = balanced.nextOrWait(p -> ctx.executor().execute(() -> dequeued(p)));
        if (first == null && !balanced.rejected() && upstream.group().queueing()) {
            enter(Phase.QUEUED, upstream.config().queue().timeout(), now);
            return;
        }
        use(first, balanced.rejected() ? "upstream queue is full" : null, now);
    }

    private void attempt() {
        use(balanced.next(), null, System.nanoTime());
    }

    /** A server freed up for this queued request; if the client left meanwhile, it goes straight back. */
    private void dequeued(Peer p) {
        if (phase != Phase.QUEUED) {
            balanced.release(p, Outcome.UNUSED);
            return;
        }
        use(p, null, System.nanoTime());
    }

    /** The queue timeout passed first: nginx Plus answers 502 at once. */
    private void queueTimedOut() {
        if (balanced.leaveQueue(true)) {
            record.attempt(upstream.config().name(), 502, 0);
            runtime.log().upstreamError("upstream queue timeout", "");
            respondError(502);
        }
        // Otherwise a server was handed over just now; dequeued() is on its way.
    }

    /** @param now the clock's reading for this event (a request reads it a few times, not at every step) */
    private void use(Peer chosen, String refused, long now) {
        if (chosen == null) {
            attempt = null;
            record.attempt(upstream.config().name(), 502, 0);
            if (refused != null) {
                runtime.log().upstreamError(refused, "");
            } else {
                runtime.noLiveUpstreams(upstream.config().name());
            }
            respondError(502);
            return;
        }
        if (settings.http2()) {
            MultiplexedBackend shared = runtime.pool().multiplexed.acquire(runtime, ctx.channel().eventLoop(), upstream, tls,
                    chosen.address(), settings);
            attempt = new UpstreamAttempt(chosen, shared.reserve(), now);
            openStream(shared);
            return;
        }
        BackendConnection pooled = runtime.pool().on(upstream, tls).take(chosen.address());
        attempt = new UpstreamAttempt(chosen, pooled != null, now);
        if (pooled != null) {
            backend = pooled;
            send(now);
            return;
        }
        connect();
    }

    private void connect() {
        enter(Phase.CONNECTING, null);
        UpstreamAttempt target = attempt;
        BackendConnection.open(runtime, ctx.channel().eventLoop(), target.peer.address(), settings, tls).addListener(
                (ChannelFutureListener) f -> {
                    if (phase != Phase.CONNECTING || attempt != target) {
                        f.channel().close();
                        return;
                    }
                    if (!f.isSuccess()) {
                        connectFailed(target, f.cause());
                        return;
                    }
                    long connected = System.nanoTime();
                    target.connected(connected);
                    backend = f.channel().pipeline().get(BackendConnection.class);
                    send(connected);
                });
    }

    private void connectFailed(UpstreamAttempt target, Throwable cause) {
        if (cause instanceof BackendConnection.UpstreamTlsException
                && cause.getCause() instanceof SslHandshakeTimeoutException) {
            fail(NextUpstream.TIMEOUT, "upstream timed out while SSL handshaking to upstream " + target.peer.name());
        } else if (cause instanceof BackendConnection.UpstreamTlsException) {
            fail(NextUpstream.ERROR, cause.getMessage() + " while SSL handshaking to upstream " + target.peer.name());
        } else {
            fail(cause instanceof ConnectTimeoutException ? NextUpstream.TIMEOUT : NextUpstream.ERROR,
                    "connect() to " + target.peer.name() + " failed: " + cause.getMessage());
        }
    }

    /**
     * HTTP/2 to the servers: a stream on the loop's shared connection to the chosen server, once
     * that is up (the connect, its timeout and its failures are the connection's, shared by every
     * request waiting for it).
     */
    private void openStream(MultiplexedBackend shared) {
        enter(Phase.CONNECTING, null);
        UpstreamAttempt target = attempt;
        if (shared.ready.isDone()) {
            streamOn(shared, target);
        } else {
            shared.ready.addListener(f -> streamOn(shared, target));
        }
    }

    private void streamOn(MultiplexedBackend shared, UpstreamAttempt target) {
        if (phase != Phase.CONNECTING || attempt != target) {
            shared.unreserve();
            return;
        }
        if (!shared.ready.isSuccess()) {
            shared.unreserve();
            connectFailed(target, shared.ready.cause());
            return;
        }
        shared.openStream().addListener(f -> {
            boolean current = phase == Phase.CONNECTING && attempt == target;
            if (!f.isSuccess()) {
                if (current) {
                    fail(NextUpstream.ERROR, "opening an HTTP/2 stream to " + target.peer.name() + " failed: "
                            + f.cause().getMessage());
                }
                return;
            }
            Channel stream = (Channel) f.getNow();
            long connected = System.nanoTime();
            target.connected(connected);
            if (!current) {
                stream.close();
                return;
            }
            backend = stream.pipeline().get(BackendConnection.class);
            send(connected);
        });
    }

    private void send(long now) {
        BackendConnection conn = backend;
        conn.owner = this;
        conn.requests++;
        // Before the first byte goes: from here on the connection expects exactly one response.
        conn.expectResponse(head.method().equals(HttpMethod.HEAD));
        interimEnd = false;
        enter(Phase.SENDING, settings.sendTimeout(), now);
        long length = streaming ? declaredLength : bodyBytes;
        HttpRequest up = Heads.upstreamRequest(head, upstreamUri, location.proxyHost(), settings, vars, length,
                upgradeAsked && !conn.multiplexed());
        // As nginx: the switch is on when the client sent Upgrade and the request carries one.
        upgradeSent = upgradePossible && !conn.multiplexed() && up.headers().contains(HttpHeaderNames.UPGRADE);
        Channel ch = conn.channel;
        if (conn.multiplexed()) {
            Heads.forHttp2(up, head, location.grpc());
        }
        if (bodyComplete && body.isEmpty()) {
            if (streaming) {
                streamedSome = true; // as below: a streamed request is never sent twice
            }
            // A bodiless request is one message: one HEADERS frame that ends the stream, or one
            // write of the head (not the head, then an empty end, each with its own promise).
            ch.writeAndFlush(new DefaultFullHttpRequest(up.protocolVersion(), up.method(), up.uri(), Unpooled.EMPTY_BUFFER,
                    up.headers(), EmptyHttpHeaders.INSTANCE)).addListener(f -> afterSend(conn, f));
            return;
        }
        ChannelFuture last = body.writeTo(ch, ch.write(up));
        if (streaming) {
            // What was held so far goes now; the rest follows as the client sends it.
            body.release();
            streamedSome = true;
        }
        if (bodyComplete) {
            last = ch.write(LastHttpContent.EMPTY_LAST_CONTENT);
        }
        ch.flush();
        // Writes complete in order: when the last one is done, the whole request went out.
        last.addListener(f -> afterSend(conn, f));
    }

    private void afterSend(BackendConnection conn, io.netty.util.concurrent.Future<?> written) {
        if (done() || conn != backend) {
            return;
        }
        if (!written.isSuccess()) {
            if (written.cause() instanceof StreamBufferingEncoder.Http2GoAwayException) {
                // Still waiting for a stream slot when the server's GOAWAY came: it never left.
                conn.unprocessed = true;
            }
            fail(NextUpstream.ERROR, "writing the request to " + attempt.peer.name() + " failed");
            return;
        }
        if (streaming && !bodyComplete) {
            // The body is still coming: the wait is on the client, watched by the client body
            // timer; the send timeout applies to each piece written. (A response already on its
            // way keeps its read timeout.)
            if (phase == Phase.SENDING) {
                deadline.disarm();
            }
            conn.channel.read();
            client.pace().resume();
            ctx.read();
            return;
        }
        requestWent();
        conn.channel.read();
    }

    /** The last byte of the request reached the upstream: the read timeout starts, unless the answer already did. */
    private void requestWent() {
        attempt.requestWhole = true;
        if (phase == Phase.SENDING) {
            enter(Phase.WAITING, settings.readTimeout());
        }
    }

    private void forwardStreamed(HttpContent content, boolean last) {
        if (backend == null || backend.owner != this) {
            // Still connecting: hold it until the request head goes out.
            if (content.content().isReadable()) {
                body.add(content.content().retain());
            }
            content.release();
            if (last) {
                bodyComplete = true;
                client.stopPace();
            }
            return;
        }
        BackendConnection conn = backend;
        if (phase == Phase.SENDING) {
            deadline.arm(settings.sendTimeout().toNanos());
        }
        ChannelFuture f = conn.channel.writeAndFlush(last ? new DefaultLastHttpContent(content.content())
                : new DefaultHttpContent(content.content()));
        if (last) {
            bodyComplete = true;
            client.stopPace();
        }
        f.addListener(written -> {
            if (done() || conn != backend) {
                return;
            }
            if (!written.isSuccess()) {
                fail(NextUpstream.ERROR, "streaming the request body to " + attempt.peer.name() + " failed");
            } else if (bodyComplete) {
                requestWent();
            } else {
                if (phase == Phase.SENDING) {
                    deadline.disarm();
                }
                client.pace().resume();
                ctx.read();
            }
        });
    }

    /** Everything the upstream connection reads while this exchange owns it. */
    void onUpstream(BackendConnection conn, Object msg) {
        if (done() || conn != backend) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (phase == Phase.TUNNEL) {
            tunnel.fromUpstream(msg);
            return;
        }
        if (msg instanceof HttpResponse response) {
            onResponseHead(conn, response);
        }
        if (msg instanceof HttpContent content) {
            onResponseContent(conn, content);
        } else if (!(msg instanceof HttpResponse)) {
            // Raw bytes after a protocol switch the proxy never asked for.
            ReferenceCountUtil.release(msg);
        }
    }

    private void onResponseHead(BackendConnection conn, HttpResponse response) {
        if (response.decoderResult().isFailure()) {
            fail(NextUpstream.INVALID_HEADER, "upstream sent an invalid header: " + response.decoderResult().cause());
            return;
        }
        if (phase != Phase.SENDING && phase != Phase.WAITING) {
            fail(NextUpstream.INVALID_HEADER, "upstream sent a second response head");
            return;
        }
        int status = response.status().code();
        if (status == 101) {
            if (upgradeSent) {
                switchProtocols(conn, response);
            } else {
                // Nothing asked this server to switch: a 101 now is a broken upstream.
                fail(NextUpstream.INVALID_HEADER, "upstream sent \"101 Switching Protocols\" to a request that asked for no upgrade");
            }
            return;
        }
        if (status >= 100 && status < 200) {
            interimEnd = true;
            // Interim responses (we answered 100 Continue ourselves) are dropped; a flood of them is not.
            if (++conn.interimResponses > MAX_INTERIM) {
                fail(NextUpstream.INVALID_HEADER, "upstream sent more than " + MAX_INTERIM + " interim responses");
                return;
            }
            conn.channel.read();
            return;
        }
        if (conn.multiplexed() && Heads.size(response) > settings.bufferSize()) {
            // HTTP/1.1's decoder holds a head to proxy_buffer_size; an HTTP/2 stream's is held here.
            fail(NextUpstream.INVALID_HEADER, "upstream sent too big header (" + Heads.size(response) + " bytes, more than "
                    + "proxy_buffer_size " + settings.bufferSize() + ")");
            return;
        }
        if (response.headers().contains(HttpHeaderNames.TRANSFER_ENCODING) && !HttpUtil.isTransferEncodingChunked(response)) {
            fail(NextUpstream.INVALID_HEADER, "upstream sent unknown \"Transfer-Encoding\": "
                    + response.headers().get(HttpHeaderNames.TRANSFER_ENCODING));
            return;
        }
        long now = System.nanoTime();
        attempt.headReceived(status, now);
        long elapsed = (now - firstAttemptNanos) / 1_000_000;
        boolean sentNonIdempotent = NextUpstream.isNonIdempotent(head.method().name());
        Outcome retry = nextUpstream.onStatus(status, balanced, sentNonIdempotent, streamedSome, elapsed);
        if (retry != null) {
            attempt.logTo(record, status, now);
            dropBackend();
            releasePeer(retry);
            attempt();
            return;
        }
        attempt.logTo(record, status, now);
        upstream.stickyResponse(response, attempt.peer);
        if (status >= 300 && location.interceptErrors() && !redirected
                && io.stampede.balancer.route.ErrorPage.find(location.errorPages(), status) != null) {
            // proxy_intercept_errors: the server's answer is dropped (with its connection) and the page answers instead.
            dropBackend();
            releasePeer(Outcome.OK);
            if (errorPage(status)) {
                return;
            }
            respondError(status);
            return;
        }
        if (forcedStatus > 0) {
            response.setStatus(io.netty.handler.codec.http.HttpResponseStatus.valueOf(forcedStatus));
            status = forcedStatus;
        }
        record.status = status;
        boolean bodyAllowed = !head.method().equals(HttpMethod.HEAD) && status != 204 && status != 304;
        boolean knownLength = response.headers().contains(HttpHeaderNames.CONTENT_LENGTH);
        boolean http11 = head.protocolVersion().equals(HttpVersion.HTTP_1_1);
        declaredBodyOnBodiless = !bodyAllowed && knownLength && HttpUtil.getContentLength(response, 0L) != 0;
        responseFramed = knownLength || HttpUtil.isTransferEncodingChunked(response) || !bodyAllowed;
        clientChunked = bodyAllowed && !knownLength && http11;
        keepAlive = client.keepAliveAfter(head, bodyComplete) && (knownLength || clientChunked || !bodyAllowed);
        conn.keepAliveAllowed = Heads.upstreamKeepsAlive(response);
        takeRate(response, now);
        ctx.write(Heads.clientResponse(response, head.protocolVersion(), keepAlive, clientChunked));
        enter(Phase.RELAYING, settings.readTimeout(), now);
        // The body may come in a later read (a server that flushes its head first).
        conn.channel.read();
    }

    /**
     * The server switched protocols: the 101 goes to the client, both connections drop their HTTP
     * codecs, and a {@link Tunnel} relays bytes until either side closes. The server stays picked
     * (its active count, max_conns and least_conn see the open tunnel) and limit_conn keeps
     * counting the request until then; the access log line is written at the end, as nginx's.
     */
    private void switchProtocols(BackendConnection conn, HttpResponse response) {
        attempt.headReceived(101, System.nanoTime());
        attempt.logTo(record, 101, System.nanoTime());
        record.status = 101;
        upstream.stickyResponse(response, attempt.peer);
        deadline.cancel();
        client.stopPace();
        phase = Phase.TUNNEL;
        tunnel = new Tunnel(ctx.channel(), conn.channel, settings.readTimeout(), settings.sendTimeout(),
                runtime.config().client().sendTimeout(), this::tunnelEnded);
        conn.channel.pipeline().remove(io.netty.handler.codec.http.HttpRequestEncoder.class);
        if (!client.switchProtocols(Heads.switchingResponse(response))) {
            tunnel.cut("client sent data before the upgrade completed");
            return;
        }
        tunnel.start();
    }

    private void tunnelEnded(String why, ChannelFuture clientFlushed) {
        record.bytesSent += tunnel.toClient;
        if (done()) {
            return; // discarded: the one who discarded logs it
        }
        if (why != null) {
            runtime.log().upstreamError(why, attempt.peer.name());
        }
        if (backend != null) {
            backend.owner = null;
            backend = null; // the tunnel closes it: an upgraded connection is never pooled
        }
        releasePeer(Outcome.OK);
        end(clientFlushed, false);
    }

    /** limit_rate for this response (an upstream's X-Accel-Limit-Rate may change it), bytes a second; 0 for none. */
    private long rate;
    private long responseStartNanos;

    /**
     * nginx's X-Accel-Limit-Rate: the server sets this response's rate (bytes a second, or
     * {@code off}); the header is the proxy's, never passed to the client.
     */
    private void takeRate(HttpResponse response, long now) {
        rate = location.limitRate().rate();
        String accel = response.headers().get(X_ACCEL_LIMIT_RATE);
        if (accel != null) {
            response.headers().remove(X_ACCEL_LIMIT_RATE);
            if (accel.trim().equals("off")) {
                rate = 0;
            } else {
                try {
                    rate = Math.max(0, Long.parseLong(accel.trim()));
                } catch (NumberFormatException e) {
                    runtime.log().upstreamError("upstream sent invalid \"X-Accel-Limit-Rate\" header: \"" + accel + "\"",
                            attempt.peer.name());
                }
            }
        }
        responseStartNanos = now;
    }

    private static final io.netty.util.AsciiString X_ACCEL_LIMIT_RATE = io.netty.util.AsciiString.cached("x-accel-limit-rate");

    /**
     * The client took the last piece: read the next from the server, at once, or (limit_rate) once
     * the response is back within its rate. The wait is a timer, and no timeout runs during it.
     */
    private void readNext(BackendConnection conn) {
        long wait = rateWait();
        if (wait <= 0) {
            enter(Phase.RELAYING, settings.readTimeout());
            conn.channel.read();
            return;
        }
        deadline.disarm();
        ctx.executor().schedule(() -> {
            if (phase == Phase.CLIENT_BLOCKED && conn == backend) {
                enter(Phase.RELAYING, settings.readTimeout());
                conn.channel.read();
            }
        }, wait, TimeUnit.MILLISECONDS);
    }

    /** limit_rate: how long the response must wait to be back within its rate (ms, 0: none). */
    private long rateWait() {
        return rate <= 0 ? 0 : io.stampede.balancer.limit.LimitRate.delayMillis(rate, location.limitRate().after(), record.bytesSent,
                System.nanoTime() - responseStartNanos);
    }

    private static final int MAX_INTERIM = 8;
    /** An interim head was dropped: the end of its (empty) body comes next. */
    private boolean interimEnd;

    private void onResponseContent(BackendConnection conn, HttpContent content) {
        if (!responseStarted()) {
            // The end of an interim response (its head was dropped), or of a refused one.
            content.release();
            if (conn.multiplexed() && !interimEnd) {
                // HTTP/2 frames every piece: DATA before the response's HEADERS is a malformed response.
                fail(NextUpstream.INVALID_HEADER, "upstream sent a body before its response head");
            }
            interimEnd = false;
            return;
        }
        boolean last = content instanceof LastHttpContent;
        if (content.decoderResult().isFailure()) {
            content.release();
            abort("upstream sent a malformed body: " + content.decoderResult().cause());
            return;
        }
        record.bytesSent += content.content().readableBytes();
        // Trailers reach a client that can take them: chunked HTTP/1.1, or HTTP/2 (gRPC's status is one).
        boolean trailers = last && !((LastHttpContent) content).trailingHeaders().isEmpty() && (clientChunked || client.http2 != null);
        Object out = last && !clientChunked && !trailers && !content.content().isReadable() ? LastHttpContent.EMPTY_LAST_CONTENT : content;
        if (out != content) {
            content.release();
        }
        if (last) {
            long wait = rateWait();
            if (wait > 0) {
                // limit_rate: the end goes out once the whole response is within its rate, so a
                // response never finishes sooner than nginx's would.
                enter(Phase.CLIENT_BLOCKED, null);
                ctx.executor().schedule(() -> {
                    if (!done() && conn == backend) {
                        complete(conn, out);
                    } else {
                        ReferenceCountUtil.release(out);
                    }
                }, wait, TimeUnit.MILLISECONDS);
                return;
            }
            // The peer is released before the client can see the end of the response, so the
            // client's next request (possibly on another event loop) finds it released, as it
            // would in nginx's single-threaded worker.
            complete(conn, out);
            return;
        }
        enter(Phase.CLIENT_BLOCKED, runtime.config().client().sendTimeout());
        ChannelFuture f = ctx.writeAndFlush(out);
        f.addListener(w -> {
            if (phase != Phase.CLIENT_BLOCKED || conn != backend) {
                return;
            }
            if (w.isSuccess()) {
                readNext(conn);
            }
            // A failed write closes the client; channelInactive ends the exchange.
        });
    }

    /** The whole response was read: free the peer and the connection, then send the last piece. */
    private void complete(BackendConnection conn, Object lastPiece) {
        deadline.cancel();
        long now = System.nanoTime();
        record.lastAttemptEnded(attempt.elapsedNanos(now));
        boolean surplus = conn.sawSurplus();
        if (surplus) {
            runtime.log().upstreamError("upstream sent more data than specified (" + conn.decoder.surplusBytes()
                    + " bytes after the end of the response); the connection is closed, not reused", attempt.peer.name());
        }
        // A stream is never reused: closing it ends it (with RST_STREAM if the request was still going).
        boolean reusable = !conn.multiplexed() && !surplus && !declaredBodyOnBodiless
                && conn.keepAliveAllowed && attempt.requestWhole && responseFramed
                && conn.requests < upstream.config().keepaliveRequests()
                && now - conn.createdNanos < upstream.config().keepaliveTime().toNanos();
        backend = null;
        conn.owner = null;
        conn.interimResponses = 0;
        if (reusable) {
            runtime.pool().on(upstream, tls).put(conn, now);
        } else {
            conn.channel.close();
        }
        releasePeer(Outcome.OK);
        end(ctx.writeAndFlush(lastPiece), keepAlive, now);
    }

    /** The upstream closed its side while this exchange owned it. */
    void onUpstreamClosed(BackendConnection conn) {
        if (done() || conn != backend) {
            return;
        }
        if (phase == Phase.TUNNEL) {
            tunnel.closed(false);
            return;
        }
        String what = conn.resetBy != null ? "upstream reset the HTTP/2 stream (" + conn.resetBy + ")"
                : conn.unprocessed ? "upstream's GOAWAY left the HTTP/2 stream unprocessed"
                : conn.multiplexed() ? "upstream closed the HTTP/2 connection" : "upstream prematurely closed the connection";
        if (responseStarted()) {
            abort(what + " while sending the response");
        } else {
            fail(NextUpstream.ERROR, what + " (" + attempt.peer.name() + ")");
        }
    }

    /** An attempt failed before any response byte reached the client: nginx's next-upstream logic. */
    private void fail(int condition, String why) {
        if (done()) {
            return;
        }
        if (tunnel != null) {
            tunnel.cut(why); // a write of the request failing after the switch: the tunnel ends with it
            return;
        }
        if (responseStarted()) {
            abort(why);
            return;
        }
        deadline.disarm();
        int status = NextUpstream.statusFor(condition);
        attempt.logTo(record, status, System.nanoTime());
        boolean wasCached = attempt.cached;
        // A stream the server refused was never processed: safe to send again, whatever the method,
        // and no sign the server is failing (nginx backends refuse streams at every keepalive_requests).
        boolean unprocessed = backend != null && backend.unprocessed;
        boolean requestSent = (phase == Phase.SENDING || phase == Phase.WAITING) && !unprocessed;
        dropBackend();
        releasePeer(unprocessed ? Outcome.NEXT : Outcome.FAILED);
        if ((wasCached && condition == NextUpstream.ERROR) || unprocessed) {
            balanced.refundTry();
        }
        runtime.log().upstreamError(why, attempt == null ? "" : attempt.peer.name());
        long elapsed = (System.nanoTime() - firstAttemptNanos) / 1_000_000;
        boolean sentNonIdempotent = requestSent && NextUpstream.isNonIdempotent(head.method().name());
        if (nextUpstream.retryAfterFailure(condition, balanced, sentNonIdempotent, streamedSome, elapsed)) {
            attempt();
        } else {
            respondError(status);
        }
    }

    /** The response was cut after it started: the client connection can only be closed. */
    private void abort(String why) {
        runtime.log().upstreamError(why, attempt == null ? "" : attempt.peer.name());
        finishBroken(Outcome.OK);
    }

    /**
     * nginx's send_timeout: the client took nothing of the response for that long. The client is
     * at fault, not the server: the peer is released as a success and the upstream connection
     * (holding an unread rest of the response) is closed with the client's.
     */
    private void clientTimedOut() {
        runtime.log().clientError("client timed out while sending the response to it", record.remoteAddr);
        finishBroken(Outcome.OK);
    }

    private void finishBroken(Outcome outcome) {
        deadline.cancel();
        dropBackend();
        releasePeer(outcome);
        keepAlive = false;
        end(ctx.newSucceededFuture(), false);
        ctx.close();
    }

    /** The client went away: nginx's 499. */
    void clientClosed() {
        if (done()) {
            return;
        }
        if (phase == Phase.TUNNEL) {
            tunnel.closed(true); // ends the exchange, which logs it
            return;
        }
        if (!responseStarted()) {
            record.status = 499;
        }
        discard();
        runtime.access(record);
    }

    /** Stops everything without answering: timers, the upstream connection, the peer, the held body. */
    void discard() {
        if (done()) {
            return;
        }
        Phase was = phase;
        phase = Phase.DONE;
        connHeld.release();
        deadline.cancel();
        if (limitDelay != null) {
            limitDelay.cancel(false);
            limitDelay = null;
            heldDuringDelay.forEach(HttpContent::release);
            heldDuringDelay = null;
        }
        if (was == Phase.QUEUED) {
            balanced.leaveQueue(false); // if a peer was handed over meanwhile, dequeued() gives it back
        }
        if (tunnel != null) {
            tunnel.cut(null);
        }
        dropBackend();
        releasePeer(Outcome.OK);
        body.release();
    }

    /** The deadline of the current phase passed. */
    private void onTimer() {
        switch (phase) {
            case QUEUED -> queueTimedOut();
            case SENDING -> fail(NextUpstream.TIMEOUT, "upstream timed out (sending the request to " + attempt.peer.name() + ")");
            case WAITING, RELAYING -> fail(NextUpstream.TIMEOUT, "upstream timed out (reading the response from " + attempt.peer.name() + ")");
            case CLIENT_BLOCKED -> clientTimedOut();
            case BODY, CONNECTING, TUNNEL, DONE -> { }
        }
    }

    private void respondError(int status) {
        if (errorPage(status)) {
            return;
        }
        if (forcedStatus > 0) {
            status = forcedStatus;
        }
        record.status = status;
        boolean ka = client.keepAliveAfter(head, bodyComplete);
        if (location.grpc() && GrpcErrors.isGrpc(head)) {
            // A gRPC client reads its call's outcome from grpc-status, not from an HTML page.
            end(ctx.writeAndFlush(GrpcErrors.trailersOnly(status, head.protocolVersion(), client.http2 == null)), ka);
            return;
        }
        boolean headOnly = head.method().equals(HttpMethod.HEAD);
        ChannelFuture f = ctx.writeAndFlush(ErrorPages.page(ctx.alloc(), head.protocolVersion(), status, ka, headOnly));
        end(f, ka);
    }

    private void end(ChannelFuture written, boolean keepConnection) {
        end(written, keepConnection, System.nanoTime());
    }

    private void end(ChannelFuture written, boolean keepConnection, long now) {
        if (done()) {
            return;
        }
        connHeld.release();
        phase = Phase.DONE;
        deadline.cancel();
        body.release();
        if (balanced != null) {
            runtime.metrics().requestDone(upstream.config().name(), now - firstAttemptNanos);
        }
        client.exchangeDone(this, written, keepConnection, bodyComplete);
    }

    private void releasePeer(Outcome outcome) {
        if (attempt != null) {
            attempt.release(balanced, outcome);
        }
    }

    private void dropBackend() {
        if (backend != null) {
            backend.owner = null;
            backend.channel.close();
            backend = null;
        }
    }

    /** Moves to {@code next} and sets its deadline (null or zero: none). */
    private void enter(Phase next, java.time.Duration timeout) {
        enter(next, timeout, timeout == null || timeout.isZero() ? 0 : System.nanoTime());
    }

    /** @param now the clock's reading for this event */
    private void enter(Phase next, java.time.Duration timeout, long now) {
        phase = next;
        if (timeout == null || timeout.isZero()) {
            deadline.disarm();
        } else {
            deadline.arm(timeout.toNanos(), now);
        }
    }
}
