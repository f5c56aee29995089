package io.stampede.balancer.proxy;

import io.stampede.balancer.log.AccessRecord;
import io.stampede.balancer.config.SslSettings;
import io.stampede.balancer.route.VirtualServer;
import io.stampede.balancer.tls.ServerTls;
import io.stampede.balancer.tls.TlsFacts;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.LastHttpContent;
import io.stampede.balancer.route.ErrorPage;
import io.stampede.balancer.route.ReturnAction;
import io.stampede.balancer.route.Routes;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.handler.codec.http2.DefaultHttp2ResetFrame;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.HttpConversionUtil;
import io.netty.util.ReferenceCountUtil;
import io.stampede.balancer.config.ClientSettings;
import io.stampede.balancer.config.LocationConfig;
import io.stampede.common.Deadline;
import io.stampede.common.DeadlineGroup;
import io.stampede.common.DeadlineSlot;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * One client connection: requests are taken one at a time and answered in order. Anything the
 * decoder produced for later (pipelined) requests waits in {@code backlog}, owned by this
 * connection and released if it closes. The socket is read only when the current request needs
 * more bytes or the connection is idle (AUTO_READ is off).
 *
 * <p>Deadlines, as nginx names them: {@code client_header_timeout} for a whole request head (408),
 * {@code client_body_timeout} between two pieces of a body (408), {@code keepalive_timeout} for an
 * idle connection (closed silently), {@code keepalive_requests} per connection.
 */
final class ClientConnection extends ChannelInboundHandlerAdapter {
    /**
     * The configuration requests run on: the current one as each request starts, so after a reload
     * a keep-alive connection's next request runs on the new configuration. The connection's own
     * limits ({@code limits}) stay those it was accepted with.
     */
    private ProxyRuntime runtime;
    /** The server's current runtime when {@code runtime} was last taken: a reload shows as a change of it. */
    private ProxyRuntime seen;
    private final ProxyServer server;
    private final ClientSettings limits;
    private ChannelHandlerContext ctx;
    private Exchange current;
    private final ArrayDeque<Object> backlog = new ArrayDeque<>(2); // rarely more than a pipelined request or two
    private int requests;
    private boolean closing;
    /** A {@code return}'s answer is still being written: the connection is busy, as with a request in progress. */
    private boolean answering;
    private boolean headStarted;
    /**
     * The connection's timeouts, on one scheduled task for its life (see {@link DeadlineGroup}):
     * made when the first is armed, as is each of the members below. An HTTP/2 stream's are its
     * request's and, when its answer waits on the client's window, the send timeout: one task
     * for both, scheduled once and cancelled once per stream, not one task each.
     */
    private DeadlineGroup timers;
    /** client_header_timeout while a head is awaited or arriving, keepalive_timeout between requests. */
    private Deadline headDeadline;
    /** send_timeout while an answer is on its way to the client, moved per answer. */
    private Deadline sendDeadline;
    /** The timeouts of this connection's exchanges, lent to each in turn (no timer of its own per request). */
    private DeadlineSlot exchangeTimers;
    /** The current request body's pace; the exchange starts, feeds and stops it. Made at the first body. */
    private BodyPace pace;

    /** The listener's TLS, or null for cleartext. */
    /** The listener's TLS, or the server's its client's SNI name chose (set before the handshake ends). */
    private ServerTls serverTls;
    /** What this connection's handshake settled; null until it completes (and for cleartext). */
    TlsFacts tls;
    /** A client sent plain HTTP to a TLS listener: its request is answered with nginx's 400. */
    private boolean plainOnTlsPort;
    /**
     * {@code h2} or {@code h2c} when this serves one HTTP/2 stream (nginx's {@code $http2}), null
     * for an HTTP/1.x connection. A stream carries one request: its response ends the stream,
     * and the session's connection, not this, owns keep-alive and the idle timeouts.
     */
    final String http2;

    /** The client's SNI name chose {@code tls} (a server with TLS settings of its own). */
    void tlsChosen(ServerTls tls) {
        this.serverTls = tls;
    }

    ClientConnection(ProxyRuntime runtime, ProxyServer server, ServerTls serverTls) {
        this(runtime, server, serverTls, null, null);
    }

    private ClientConnection(ProxyRuntime runtime, ProxyServer server, ServerTls serverTls, TlsFacts tls, String http2) {
        this.runtime = runtime;
        // The runtime given is the server's current one (or, in tests, a variant of it with the same
        // configuration); a reload between the two reads shows as a change at the next request.
        this.seen = server == null || server.runtime().config() != runtime.config() ? runtime : server.runtime();
        this.server = server;
        this.limits = runtime.config().client();
        this.serverTls = serverTls;
        this.tls = tls;
        this.http2 = http2;
    }

    /** One HTTP/2 stream's request, on the stream's own channel. */
    static ClientConnection forStream(ProxyRuntime runtime, ProxyServer server, TlsFacts tls, String protocol) {
        return new ClientConnection(runtime, server, null, tls, protocol);
    }

    /** The request line's protocol, as the access log and {@code $server_protocol} show it. */
    String protocol(HttpRequest request) {
        return http2 != null ? "HTTP/2.0" : request.protocolVersion().text();
    }

    void plainHttpOnTlsPort() {
        plainOnTlsPort = true;
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof SslHandshakeCompletionEvent done) {
            if (plainOnTlsPort) {
                // The TLS handler stepped aside for a plain HTTP request: no handshake to speak of.
            } else if (done.isSuccess()) {
                SslHandler handler = ctx.pipeline().get(SslHandler.class);
                tls = serverTls.facts(handler);
                if (ApplicationProtocolNames.HTTP_2.equals(handler.applicationProtocol())) {
                    // ALPN chose h2 (offered only on listeners with http2): this handler steps aside.
                    Http2Session.install(ctx.pipeline(), runtime, server, tls, "h2");
                    return;
                }
            } else {
                // The handler closes the connection; nginx logs this at info level only.
                runtime.log().clientInfo("SSL handshake failed: " + String.valueOf(done.cause()),
                        ((InetSocketAddress) ctx.channel().remoteAddress()).getAddress().getHostAddress());
            }
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    private DeadlineGroup timers() {
        if (timers == null) {
            timers = new DeadlineGroup(ctx.executor());
        }
        return timers;
    }

    /** The current request body's pace, made at the first body. */
    BodyPace pace() {
        if (pace == null) {
            pace = new BodyPace(ctx.executor(), limits, () -> {
                if (current != null) {
                    refuse(current, 408);
                }
            });
        }
        return pace;
    }

    void stopPace() {
        if (pace != null) {
            pace.stop();
        }
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        if (server.stopping() && http2 == null) {
            ctx.close();
            return;
        }
        if (http2 == null) {
            armHeadTimer(limits.headerTimeout().toMillis());
        }
        ctx.read(); // a stream's HEADERS frame is there already
    }

    /** Taken out of the pipeline: the connection turned out to speak HTTP/2. */
    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        stopPace();
        stopTimers();
    }

    private void stopTimers() {
        if (exchangeTimers != null) {
            exchangeTimers.close();
        }
        if (timers != null) {
            timers.cancel();
        }
    }

    /** The deadline of the exchange starting now, whose timeouts end the previous one's. */
    Deadline exchangeDeadline(Runnable onExpiry) {
        if (exchangeTimers == null) {
            exchangeTimers = new DeadlineSlot(timers());
        }
        return exchangeTimers.lend(onExpiry);
    }

    /** The request being served, or null between requests. */
    Exchange current() {
        return current;
    }

    boolean isIdle() {
        return current == null && backlog.isEmpty();
    }

    /** Graceful stop: an idle connection closes now, a busy one after its current response. */
    void shutdown() {
        if (isIdle()) {
            ctx.close();
        }
    }

    /** Bytes came from the client (the decoder says so before it reads them): a head may be starting. */
    void bytesArrived() {
        if (current == null && !headStarted) {
            headStarted = true;
            armHeadTimer(limits.headerTimeout().toMillis());
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (closing) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (current != null && current.tunnel() != null) {
            current.tunnel().fromClient(msg);
            return;
        }
        if (answering && current == null) {
            backlog.addLast(msg);
            return;
        }
        if (current != null) {
            if (msg instanceof HttpContent content && !(msg instanceof HttpRequest)
                    && content.decoderResult().isFailure() && backlog.isEmpty()) {
                // A framing error in the body (bad chunk): the request can't be forwarded faithfully.
                content.release();
                refuse(current, 400);
                return;
            }
            if (msg instanceof HttpContent content && current.wantsBody() && backlog.isEmpty()) {
                current.onBody(content);
            } else if (msg instanceof HttpContent && !(msg instanceof HttpRequest) && backlog.isEmpty()) {
                // The end marker of the current request, whose body (if any) is already complete:
                // a next request would start with its head.
                ReferenceCountUtil.release(msg);
            } else {
                backlog.addLast(msg);
            }
            return;
        }
        dispatch(msg);
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (closing || answering || !backlog.isEmpty()
                || (current != null && (current.tunnel() != null || current.awaitingUpgrade()))) {
            // A tunnel paces its own reads; a request waiting to switch protocols is not read past.
            return;
        }
        // Idle, or a whole request is waiting for its response: read on. In the second case the
        // socket stays armed for reading (no epoll_ctl pair per request); what comes meanwhile is
        // a pipelined request, which waits in the backlog and stops the reading there, or the
        // client's close, which ends the exchange as nginx's check for a broken connection does.
        // A body still being read is paced by the exchange instead.
        if (current == null || !current.wantsBody()) {
            ctx.read();
        }
    }

    private void dispatch(Object msg) {
        if (!(msg instanceof HttpRequest request)) {
            // The tail of a request that was refused: nothing more is read from this connection.
            ReferenceCountUtil.release(msg);
            return;
        }
        if (headDeadline != null) {
            headDeadline.disarm();
        }
        headStarted = false;
        requests++;
        ProxyRuntime latest = server.runtime();
        if (latest != seen) {
            runtime = latest;
            seen = latest;
        }
        AccessRecord record = new AccessRecord();
        record.keep = runtime.logsAccess();
        InetSocketAddress remote = (InetSocketAddress) ctx.channel().remoteAddress();
        if (runtime.logsAccess()) {
            record.remoteAddr = remote.getAddress().getHostAddress();
        }
        if (request.decoderResult().isFailure()) {
            ReferenceCountUtil.release(request);
            refuse(record, statusFor(request.decoderResult().cause()), HttpVersion.HTTP_1_1, false);
            return;
        }
        boolean headOnly = request.method().equals(HttpMethod.HEAD);
        if (http2 != null) {
            fromHttp2(request);
        }
        if (runtime.logsAccess()) {
            record.requestLine = request.method().name() + " " + request.uri() + " " + protocol(request);
            record.referer = request.headers().get(HttpHeaderNames.REFERER);
            record.userAgent = request.headers().get(HttpHeaderNames.USER_AGENT);
        }
        if (plainOnTlsPort) {
            runtime.log().clientError("client sent plain HTTP request to HTTPS port", record.remoteAddr);
            refuse(record, 400, request.protocolVersion(), headOnly, "The plain HTTP request was sent to HTTPS port");
            return;
        }
        RequestGuard.Refusal refusal = RequestGuard.check(request, http2 == null);
        if (refusal != null) {
            refuse(record, refusal.status(), request.protocolVersion(), headOnly);
            return;
        }
        RequestGuard.Target target = RequestGuard.target(request);
        if (tls != null && !certificateAllows(target, record, request, headOnly)) {
            return;
        }
        RequestPath path = RequestPath.parse(target.uri(), limits.mergeSlashes());
        if (path.invalid() != null) {
            runtime.log().clientError("client sent an invalid request target: " + path.invalid(), record.remoteAddr);
            refuse(record, 400, request.protocolVersion(), headOnly);
            return;
        }
        HeaderNames.dropInvalid(request.headers(), limits.underscoresInHeaders(), limits.ignoreInvalidHeaders());
        route(request, record, target, path, null, 0);
    }

    /**
     * Client certificates are judged by the server the request's Host chooses, as nginx does: a
     * request whose SNI name chose another server and that asks for one that verifies clients is
     * misdirected (421), and otherwise the Host's server's ssl_verify_client decides (so a
     * handshake without a certificate cannot reach a server that requires one through its Host).
     */
    private boolean certificateAllows(RequestGuard.Target target, AccessRecord record, HttpRequest request, boolean headOnly) {
        Routes routes = runtime.config().routes();
        if (!routes.ownTls()) {
            // One TLS setting for every server (the usual case): judged as the handshake was, no lookups per request.
            return certificateAccepted(tls, record, request, headOnly);
        }
        VirtualServer byHost = routes.server(listenAddress(), target.host());
        SslSettings.VerifyClient mode = byHost.ssl() != null ? byHost.ssl().verifyClient()
                : runtime.config().ssl().map(SslSettings::verifyClient).orElse(tls.verifyMode());
        if (mode != SslSettings.VerifyClient.OFF && tls.serverName() != null && !tls.serverName().isEmpty()
                && routes.tlsServer(listenAddress(), tls.serverName()) != byHost) {
            runtime.log().clientError("client attempted to request the server name different from the one that was negotiated",
                    record.remoteAddr);
            refuse(record, 421, request.protocolVersion(), headOnly);
            return false;
        }
        return certificateAccepted(tls.judgedAs(mode), record, request, headOnly);
    }

    /** Answers 400 when {@code facts} refuse the client's certificate; whether the request may go on. */
    private boolean certificateAccepted(TlsFacts facts, AccessRecord record, HttpRequest request, boolean headOnly) {
        String certificateRefusal = facts.refusal();
        if (certificateRefusal != null) {
            runtime.log().clientError("client SSL certificate verify error: " + facts.clientVerify(), record.remoteAddr);
            refuse(record, 400, request.protocolVersion(), headOnly, certificateRefusal);
            return false;
        }
        return true;
    }

    /**
     * Runs a request through its server's and location's phases ({@link Routes#decide}) and does
     * what they decide: proxy it, answer it, or refuse it (with the {@code error_page} for that
     * code, if any).
     *
     * @param page the {@code error_page} this request is the internal redirect of; null for a client's own
     * @param status the code of the answer the page replaces
     */
    private void route(HttpRequest request, AccessRecord record, RequestGuard.Target target, RequestPath path, ErrorPage page,
                       int status) {
        boolean headOnly = request.method().equals(HttpMethod.HEAD);
        Routes routes = runtime.config().routes();
        // Built only if a rewrite or return reads a variable: most requests go straight to a pass.
        io.stampede.balancer.vars.Variables vars = new io.stampede.balancer.vars.Variables() {
            private RequestVariables made;

            @Override
            public String get(String name) {
                if (made == null) {
                    made = variables(request, target, path);
                }
                return made.get(name);
            }
        };
        record.vars = vars;
        Routes.Decision d = page != null && page.named()
                ? routes.named(routes.server(listenAddress(), target.host()), page.uri(), path.normalized(), path.query(), vars)
                : routes.decide(listenAddress(), target.host(), path.normalized(), path.query(), vars, page != null);
        // The answer's code: the replaced one's, the page's =CODE, or (0) the new answer's own.
        int forced = page == null ? 0 : page.status() == -1 ? status : page.status();
        if (d.answer() != null) {
            ReturnAction a = d.answer();
            // A bare error code (return 403) is answered as any error is: through error_page first.
            ErrorPage own = page == null && a.text() == null && a.status() >= 300 && !a.redirect()
                    ? ErrorPage.find(d.location() != null ? d.location().errorPages() : d.server().errorPages(), a.status()) : null;
            if (own != null) {
                errorPage(request, record, target, own, a.status());
                return;
            }
            answer(record, request, a, d.vars(), forced);
            return;
        }
        if (d.refuse() != 0) {
            ErrorPage own = page == null ? ErrorPage.find(d.server().errorPages(), d.refuse()) : null;
            if (own != null) {
                errorPage(request, record, target, own, d.refuse());
                return;
            }
            refuse(record, forced > 0 ? forced : d.refuse(), request.protocolVersion(), headOnly);
            return;
        }
        LocationConfig location = d.location();
        RequestGuard.Target t = target;
        RequestPath p = path;
        if (d.rewritten()) {
            t = new RequestGuard.Target(RequestPath.escape(d.path()) + (d.args() == null ? "" : "?" + d.args()), target.host());
            p = new RequestPath(d.path(), d.args(), null);
        }
        current = new Exchange(this, ctx, runtime, request, t, p, location, record, page != null, forced, d.whole());
        current.variables().serverName = d.server().name();
        current.start();
    }

    private RequestVariables variables(HttpRequest request, RequestGuard.Target target, RequestPath path) {
        return new RequestVariables(request, target.uri(), path.normalized(), target.host(),
                (InetSocketAddress) connection().remoteAddress(), (InetSocketAddress) connection().localAddress(), "", tls, http2,
                runtime.config().maps());
    }

    /**
     * nginx's {@code error_page}: an answer with {@code status} is replaced by what the page's URI
     * answers (a GET, or HEAD for a HEAD), or by a redirect to its URL. The exchange that had the
     * answer is over, with nothing written; its access record goes on with the new request.
     *
     * @return false when the page can't be used (the exchange is not the current one)
     */
    boolean redirectInternally(Exchange from, ErrorPage page, int status) {
        if (from != current) {
            return false;
        }
        current = null;
        errorPage(from.head(), from.record, from.target(), page, status);
        return true;
    }

    private void errorPage(HttpRequest original, AccessRecord record, RequestGuard.Target target, ErrorPage page, int status) {
        if (page.redirect()) {
            RequestPath here = RequestPath.parse(target.uri(), limits.mergeSlashes());
            answer(record, original, new ReturnAction(page.status(), io.stampede.balancer.vars.Template.literal(page.uri())),
                    variables(original, target, here), 0);
            return;
        }
        io.netty.handler.codec.http.HttpHeaders headers = original.headers().copy();
        headers.remove(io.netty.handler.codec.http.HttpHeaderNames.CONTENT_LENGTH);
        headers.remove(io.netty.handler.codec.http.HttpHeaderNames.TRANSFER_ENCODING);
        String uri = page.named() ? target.uri() : page.uri();
        // The request line stays the client's ($request_uri); the page's URI is the target.
        HttpRequest get = new io.netty.handler.codec.http.DefaultHttpRequest(original.protocolVersion(),
                original.method().equals(HttpMethod.HEAD) ? HttpMethod.HEAD : HttpMethod.GET, original.uri(), headers);
        record.newRound(); // the page's own upstream attempts follow a " : " in $upstream_addr
        RequestGuard.Target t = new RequestGuard.Target(uri, target.host());
        route(get, record, t, RequestPath.parse(uri, limits.mergeSlashes()), page, status);
    }

    /**
     * A head converted from HTTP/2 as an HTTP/1.1 one would have come: without the converter's
     * own {@code x-http2-*} headers, and with one Host, from {@code :authority} when both came
     * (RFC 9113, 8.3.1).
     */
    private static void fromHttp2(HttpRequest request) {
        for (HttpConversionUtil.ExtensionHeaderNames n : HttpConversionUtil.ExtensionHeaderNames.values()) {
            request.headers().remove(n.text());
        }
        java.util.List<String> hosts = request.headers().getAll(HttpHeaderNames.HOST);
        if (hosts.size() > 1) {
            request.headers().set(HttpHeaderNames.HOST, hosts.get(0));
        }
    }

    private static int statusFor(Throwable cause) {
        if (cause instanceof RequestDecoder.Refused r) {
            return r.status;
        }
        if (cause instanceof TooLongHttpLineException) {
            return 414;
        }
        return 400; // too long a head (nginx's 400, not 431), or any other malformation
    }

    /** The listening address this connection came in on, as the configuration writes it (servers are chosen by it). */
    private java.net.InetSocketAddress listenAddress() {
        return connection().attr(LISTEN).get();
    }

    /** The client's TCP connection: this channel, or for an HTTP/2 stream, the connection it is on. */
    private io.netty.channel.Channel connection() {
        return http2 != null ? ctx.channel().parent() : ctx.channel();
    }

    /** Set on each accepted connection: the configured address of its listener. */
    static final io.netty.util.AttributeKey<java.net.InetSocketAddress> LISTEN = io.netty.util.AttributeKey.valueOf("stampede.listen");

    /**
     * nginx's {@code return}: the proxy answers itself. 444 closes without a word. The connection
     * stays open for the next request unless this one has a body (not read: closing is simpler
     * than draining it, and what nginx does past its discard limits).
     */
    private void answer(AccessRecord record, HttpRequest request, ReturnAction ret, io.stampede.balancer.vars.Variables vars,
                        int forced) {
        if (forced > 0 && !ret.redirect() && ret.status() != 444) {
            ret = new ReturnAction(forced, ret.text()); // an error page's code over the page's own
        }
        record.status = ret.status();
        if (ret.status() == 444) {
            runtime.access(record);
            closing = true;
            releaseBacklog();
            ctx.close();
            return;
        }
        boolean hasBody = HttpUtil.getContentLength(request, 0L) > 0 || HttpUtil.isTransferEncodingChunked(request);
        boolean keepAlive = !hasBody && keepAliveAfter(request, true);
        InetSocketAddress local = (InetSocketAddress) connection().localAddress();
        ChannelFuture written = ctx.writeAndFlush(Returns.response(ctx.alloc(), request.protocolVersion(), ret, vars,
                local.getPort(), keepAlive, request.method().equals(HttpMethod.HEAD)));
        runtime.access(record);
        // Until the socket took it, this answer counts as a request in progress: pipelined requests
        // wait in the backlog and nothing more is read, as after a proxied response.
        answering = !written.isDone();
        if (!keepAlive) {
            closing = true;
            releaseBacklog();
            closeAfter(written);
        } else if (written.isDone()) {
            afterWritten(written);
        } else {
            armSendTimer();
            written.addListener(this::afterWritten);
        }
    }

    /** Answers a request the proxy refused itself, then closes: nothing after it is read. */
    private void refuse(AccessRecord record, int status, HttpVersion version, boolean headOnly) {
        refuse(record, status, version, headOnly, null);
    }

    /** @param detail nginx's second line on a 400 page (a client-certificate refusal), or null */
    private void refuse(AccessRecord record, int status, HttpVersion version, boolean headOnly, String detail) {
        record.status = status;
        runtime.access(record);
        closing = true;
        releaseBacklog();
        closeAfter(ctx.writeAndFlush(ErrorPages.page(ctx.alloc(), version, status, false, headOnly, detail)));
    }

    /** The exchange's request is refused (413): answer, and close without reading further. */
    void refuse(Exchange exchange, int status) {
        if (exchange == current) {
            current = null;
            stopPace();
            boolean started = exchange.responseStarted();
            exchange.discard();
            if (started) {
                // A response is already on its way: an error page can't follow it; just close.
                closing = true;
                releaseBacklog();
                runtime.access(exchange.record);
                ctx.close();
                return;
            }
            refuse(exchange.record, status, HttpVersion.HTTP_1_1, false);
        }
    }

    /** Whether the connection may serve another request after this one. */
    boolean keepAliveAfter(HttpRequest request, boolean bodyRead) {
        // keepalive_timeout 0 turns client keep-alive off, as in nginx. A stream is never reused.
        return http2 == null && bodyRead && HttpUtil.isKeepAlive(request) && !closing && !server.stopping()
                && !limits.keepaliveTimeout().isZero()
                && (limits.keepaliveRequests() == 0 || requests < limits.keepaliveRequests());
    }

    /**
     * The exchange is over and {@code written} carries its last bytes. Nothing more is read from
     * the client, and no pipelined request waiting in the backlog is started, until those bytes
     * were taken by the socket: a client that pipelines and never reads gets at most one response
     * fetched for it beyond what its socket buffers hold (nginx behaves the same). Until then
     * {@code send_timeout} runs, and a client that takes nothing for that long is closed.
     */
    void exchangeDone(Exchange exchange, ChannelFuture written, boolean keepAlive, boolean bodyRead) {
        if (exchange != current) {
            return;
        }
        current = null;
        stopPace();
        runtime.access(exchange.record);
        if (!keepAlive || !ctx.channel().isActive()) {
            closing = true;
            releaseBacklog();
            closeAfter(written);
            return;
        }
        // As after an answer of the proxy's own (and as nginx): until the socket took this
        // response, pipelined requests wait in the backlog, so the next response's send timer is
        // never disarmed by this one's end.
        answering = !written.isDone();
        if (written.isDone()) {
            afterWritten(written);
        } else {
            armSendTimer();
            written.addListener(this::afterWritten);
        }
    }

    private void afterWritten(io.netty.util.concurrent.Future<?> written) {
        answering = false;
        if (sendDeadline != null) {
            sendDeadline.disarm();
        }
        if (!written.isSuccess()) {
            ctx.close();
            return;
        }
        if (closing || current != null) {
            return;
        }
        if (backlog.isEmpty()) {
            armHeadTimer(limits.keepaliveTimeout().toMillis());
            ctx.read();
        } else {
            // Started as a task of its own, never from inside the upstream read that ended the
            // last response: that read's connection must be settled (pooled or closed) first.
            ctx.executor().execute(this::nextFromBacklog);
        }
    }

    /**
     * The server agreed to switch protocols: the 101 goes out, and the HTTP codecs leave the
     * pipeline, so every later byte (including any the decoder still held) reaches the current
     * exchange's tunnel as it came. Refused when the client already sent a further request: those
     * bytes were parsed as HTTP and cannot be relayed as they were.
     */
    boolean switchProtocols(HttpResponse head) {
        // The empty end of the upgrade request itself may wait here (a pipelined request's); anything else is the client's.
        while (backlog.peekFirst() instanceof LastHttpContent end && !(end instanceof HttpRequest) && !end.content().isReadable()) {
            backlog.pollFirst();
            end.release();
        }
        if (!backlog.isEmpty()) {
            return false;
        }
        ctx.writeAndFlush(head);
        ctx.pipeline().remove("http-encoder");
        ctx.pipeline().remove("http-decoder");
        return true;
    }

    /** Starts the next pipelined request already read; its end starts the one after. */
    private void nextFromBacklog() {
        while (current == null && !answering && !closing) {
            Object next = backlog.pollFirst();
            if (next == null) {
                armHeadTimer(limits.keepaliveTimeout().toMillis());
                ctx.read();
                return;
            }
            boolean request = next instanceof HttpRequest;
            dispatch(next);
            if (request) {
                while (current != null && current.wantsBody() && backlog.peekFirst() instanceof HttpContent c) {
                    backlog.pollFirst();
                    current.onBody(c);
                }
                return;
            }
        }
    }

    /** Closes once {@code written} is on the wire, or after send_timeout if the client takes nothing. */
    private void closeAfter(ChannelFuture written) {
        if (written.isDone()) {
            endStreamOrConnection();
            return;
        }
        armSendTimer();
        written.addListener(f -> endStreamOrConnection());
    }

    /**
     * Closes the connection, or the stream. A stream answered before its request's end came (an
     * early 413, say) is ended with RST_STREAM NO_ERROR, as RFC 9113 (8.1) and nginx do: the
     * client keeps the answer and stops sending. Closing the stream's channel alone would say CANCEL.
     */
    private void endStreamOrConnection() {
        if (ctx.channel() instanceof Http2StreamChannel stream && stream.isActive()
                && stream.stream().state().remoteSideOpen()) {
            ctx.writeAndFlush(new DefaultHttp2ResetFrame(Http2Error.NO_ERROR));
        }
        ctx.close();
    }

    private void armSendTimer() {
        if (sendDeadline == null) {
            sendDeadline = timers().add(this::sendTimedOut);
        }
        sendDeadline.arm(limits.sendTimeout().toNanos());
    }

    private void sendTimedOut() {
        runtime.log().clientError("client timed out while the response was sent to it", remoteAddress());
        ctx.close();
    }

    private String remoteAddress() {
        return ctx.channel().remoteAddress() instanceof InetSocketAddress a ? a.getAddress().getHostAddress() : "?";
    }

    /** Sets the deadline for the next request head (lazy: keep-alive requests cost no timer each). */
    private void armHeadTimer(long millis) {
        if (headDeadline == null) {
            headDeadline = timers().add(this::headTimedOut);
        }
        headDeadline.arm(TimeUnit.MILLISECONDS.toNanos(millis));
    }

    private void headTimedOut() {
        if (current != null || closing) {
            return;
        }
        if (headStarted) {
            AccessRecord r = new AccessRecord();
            r.remoteAddr = remoteAddress();
            refuse(r, 408, HttpVersion.HTTP_1_1, false);
        } else {
            ctx.close();
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        stopPace();
        if (current != null) {
            Exchange e = current;
            e.clientClosed();
        }
        stopTimers();
        releaseBacklog();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof io.netty.handler.codec.DecoderException && cause.getCause() instanceof javax.net.ssl.SSLException tls) {
            // A client whose TLS fails (a scanner, an old client, garbage on the port) is the
            // client's doing: nginx logs "SSL_do_handshake() failed" at info.
            runtime.log().clientInfo("SSL_do_handshake() failed (" + tls.getMessage() + ") while SSL handshaking", remoteAddress());
        } else {
            runtime.log().connectionError("client " + remoteAddress(), cause);
        }
        ctx.close();
    }

    private void releaseBacklog() {
        Object o;
        while ((o = backlog.pollFirst()) != null) {
            ReferenceCountUtil.release(o);
        }
    }
}
