package io.stampede.loadgen.web;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.codec.http.multipart.Attribute;
import io.netty.handler.codec.http.multipart.HttpPostRequestDecoder;
import io.netty.handler.codec.http.multipart.InterfaceHttpData;
import io.stampede.common.http.HttpService;
import io.stampede.common.http.Replies;
import io.stampede.common.http.Routes;
import io.stampede.common.web.LocalPageGuard;
import io.stampede.loadgen.metrics.MetricsServer;
import io.stampede.loadgen.metrics.SwarmMetrics;
import io.stampede.loadgen.report.CsvFiles;
import io.stampede.loadgen.report.HtmlReport;
import io.stampede.loadgen.run.RunRequest;
import io.stampede.loadgen.run.RunSession;
import io.stampede.loadgen.stats.StatsSnapshot;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The live web UI, served by the generator on its own event loop: the page, uPlot from its WebJar,
 * Locust's web API (same paths and JSON keys), and {@code GET /events}, a server-sent event
 * stream. A new subscriber first gets the whole run so far ({@code history}), then one
 * {@code tick} per change; the page draws from those alone, so a reload loses nothing. The
 * statistics are aggregated on the generator: an event costs the same at 10 or 10,000 users.
 */
public final class WebUi implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final RunControl control;
    private final String scenarioSource;
    /** The open event streams. */
    private final Set<Channel> subscribers = ConcurrentHashMap.newKeySet();
    private final byte[] page;
    private final byte[] uplotJs;
    private final byte[] uplotCss;
    private volatile String status;
    private HttpService server;
    private final LocalPageGuard guard = new LocalPageGuard("this UI", "127.0.0.1");
    private final SwarmMetrics metrics;

    public WebUi(RunControl control, String scenarioSource) throws IOException {
        this.control = control;
        this.scenarioSource = scenarioSource;
        this.page = pageWithConfig();
        this.uplotJs = HtmlReport.uplotScript().getBytes(StandardCharsets.UTF_8);
        this.uplotCss = HtmlReport.uplotCss().getBytes(StandardCharsets.UTF_8);
        this.status = statusJson();
        this.metrics = new SwarmMetrics(control::run);
        control.addListener((c, newRun) -> broadcast(newRun));
    }

    public InetSocketAddress start(InetSocketAddress address) throws InterruptedException {
        guard.boundTo(address.getHostString());
        // A page that cannot keep up is cut off (it reconnects and gets the history) rather than
        // buffered without end; the mark is above the history of a day-long run, so a page that just
        // connected is not taken for a slow one.
        Handler handler = new Handler();
        server = HttpService.start("swarm-web", address, 1 << 20, 64 << 20, () -> handler);
        return server.address();
    }

    @Override
    public void close() {
        subscribers.forEach(Channel::close);
        if (server != null) {
            server.close();
        }
    }

    /** The status every event carries and {@code GET /stats/requests} answers: Locust's keys, and ours. */
    private String statusJson() {
        RunSession run = control.run();
        StatsSnapshot s = run == null ? null : run.last();
        Map<String, Object> m = LocustJson.requests(s, control.state().label(), run == null ? 0 : run.users());
        RunRequest r = control.current();
        m.put("host", r.host());
        Map<String, Object> form = new LinkedHashMap<>();
        form.put("user_count", r.users());
        form.put("spawn_rate", r.spawnRate());
        form.put("run_time", r.runTime() == null ? null : io.stampede.common.Durations.format(r.runTime()));
        form.put("rate", r.arrivals());
        m.put("form", form);
        m.put("current_rate", control.currentRate());
        if (run != null) {
            m.put("user_classes_count", run.usersPerClass());
            m.put("started", run.startedMillis());
            m.put("elapsed", s == null ? 0 : s.elapsedSeconds());
            m.put("dropped", s == null ? 0 : s.dropped());
            m.put("exceptions", LocustJson.exceptions(s).get("exceptions"));
            Map<String, Object> g = new LinkedHashMap<>();
            g.put("cpu", Math.round(run.health().cpu() * 100));
            g.put("lag_ms", Math.round(run.health().maxLagMs() * 10) / 10.0);
            g.put("saturated", run.health().saturated());
            m.put("generator", g);
            io.stampede.loadgen.stats.Handshakes h = s == null ? null : s.handshakes();
            if (h != null && h.count() > 0) {
                // https:// targets: the handshakes beside the requests, as the console's line after the tables.
                Map<String, Object> tls = new LinkedHashMap<>();
                tls.put("count", h.count());
                tls.put("resumed", h.resumed());
                tls.put("p50_ms", Math.round(h.percentileMs(50) * 10) / 10.0);
                tls.put("p99_ms", Math.round(h.percentileMs(99) * 10) / 10.0);
                tls.put("max_ms", Math.round(h.maxMs() * 10) / 10.0);
                m.put("tls_handshakes", tls);
            }
        }
        return write(m);
    }

    private void broadcast(boolean newRun) {
        status = statusJson();
        if (subscribers.isEmpty()) {
            return;
        }
        String event = newRun ? history() : tick();
        ByteBuf buf = Unpooled.copiedBuffer(event, StandardCharsets.UTF_8);
        try {
            for (Channel ch : subscribers) {
                if (!ch.isWritable()) {
                    ch.close();
                    continue;
                }
                ch.writeAndFlush(new DefaultHttpContent(buf.retainedDuplicate()));
            }
        } finally {
            buf.release(); // each subscriber's write owns its own retained duplicate
        }
    }

    /** The whole run so far: what a page (re)connecting needs to draw everything. */
    private String history() {
        RunSession run = control.run();
        Map<String, Object> timeline = run == null ? null : run.timeline().toMap();
        return "event: history\ndata: {\"run\":" + runId(run) + ",\"status\":" + status + ",\"timeline\":" + write(timeline) + "}\n\n";
    }

    /** The latest point, numbered so a page that missed one asks for the history again. */
    private String tick() {
        RunSession run = control.run();
        Map<String, Object> point = run == null ? null : run.timeline().lastPoint();
        int n = run == null ? 0 : run.timeline().size();
        return "event: tick\ndata: {\"run\":" + runId(run) + ",\"status\":" + status + ",\"n\":" + n + ",\"point\":"
                + write(point) + "}\n\n";
    }

    /** Which run an event belongs to: a page holding another run's points asks for the history again. */
    private static long runId(RunSession run) {
        return run == null ? 0 : run.startedMillis();
    }

    private static String write(Object o) {
        try {
            return JSON.writeValueAsString(o);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e); // maps of strings, numbers and lists always serialize
        }
    }

    private byte[] pageWithConfig() throws IOException {
        try (InputStream in = WebUi.class.getResourceAsStream("index.html")) {
            if (in == null) {
                throw new IOException("the web UI's page is missing from the class path");
            }
            Map<String, Object> config = new LinkedHashMap<>();
            config.put("scenario", scenarioSource);
            config.put("classes", control.spec().scenario().users().stream().map(c -> c.name()).toList());
            String html = new String(in.readAllBytes(), StandardCharsets.UTF_8)
                    .replace("/*CONFIG*/null", write(config).replace("<", "\\u003c"));
            return html.getBytes(StandardCharsets.UTF_8);
        }
    }

    /** One page or API call: answers the request, now or when its work is done. */
    @FunctionalInterface
    private interface Page {
        void serve(ChannelHandlerContext ctx, FullHttpRequest req, QueryStringDecoder q) throws Exception;
    }

    /** Holds no state of a connection's: one instance serves them all. */
    @ChannelHandler.Sharable
    private final class Handler extends SimpleChannelInboundHandler<FullHttpRequest> {
        private final Routes<Page> routes = new Routes<Page>()
                .add("POST", "/swarm", this::swarm)
                .add("GET", "/", (ctx, req, q) -> send(ctx, req, bytes(HttpResponseStatus.OK, "text/html; charset=utf-8", page)))
                .add("GET", "/assets/uPlot.iife.min.js", (ctx, req, q) ->
                        send(ctx, req, cached(bytes(HttpResponseStatus.OK, "text/javascript; charset=utf-8", uplotJs))))
                .add("GET", "/assets/uPlot.min.css", (ctx, req, q) ->
                        send(ctx, req, cached(bytes(HttpResponseStatus.OK, "text/css; charset=utf-8", uplotCss))))
                .add("GET", "/events", (ctx, req, q) -> {
                    if (req.method().equals(HttpMethod.HEAD)) {
                        send(ctx, req, text(HttpResponseStatus.OK, ""));
                    } else {
                        subscribe(ctx);
                    }
                })
                .add("GET", "/stats/requests", (ctx, req, q) -> send(ctx, req, json(HttpResponseStatus.OK, status)))
                .add("GET", "/stop", (ctx, req, q) -> later(ctx, req, control.stop(), () -> json(HttpResponseStatus.OK,
                        "{\"success\":true,\"message\":\"Test stopped\"}")))
                .add("GET", "/stats/reset", (ctx, req, q) -> later(ctx, req, control.reset(), () -> text(HttpResponseStatus.OK, "ok")))
                .add("GET", "/stats/requests/csv", (ctx, req, q) -> csv(ctx, req, "requests", CsvFiles::stats, CsvFiles.STATS_HEADER))
                .add("GET", "/stats/failures/csv", (ctx, req, q) -> csv(ctx, req, "failures", CsvFiles::failures, CsvFiles.FAILURES_HEADER))
                .add("GET", "/exceptions/csv", (ctx, req, q) -> csv(ctx, req, "exceptions", CsvFiles::exceptions, CsvFiles.EXCEPTIONS_HEADER))
                .add("GET", "/exceptions", (ctx, req, q) -> send(ctx, req, json(HttpResponseStatus.OK, write(LocustJson.exceptions(last())))))
                .add("GET", "/tasks", (ctx, req, q) ->
                        send(ctx, req, json(HttpResponseStatus.OK, write(LocustJson.tasks(control.spec().scenario())))))
                .add("GET", "/stats/report", this::report)
                .add("GET", "/metrics", (ctx, req, q) -> send(ctx, req, bytes(HttpResponseStatus.OK, MetricsServer.CONTENT_TYPE,
                        metrics.scrape().getBytes(StandardCharsets.UTF_8))));

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) throws Exception {
            QueryStringDecoder q = new QueryStringDecoder(req.uri());
            String path = q.path();
            String refusal = guard.refusal(req.headers(), path.equals("/swarm") || path.equals("/stop") || path.equals("/stats/reset"));
            if (refusal != null) {
                send(ctx, req, json(HttpResponseStatus.FORBIDDEN, failure(refusal)));
                return;
            }
            Routes.Match<Page> m = routes.match(req.method().name(), path);
            if (m.found()) {
                m.handler().serve(ctx, req, q);
            } else if (m.wrongMethod()) {
                FullHttpResponse res = text(HttpResponseStatus.METHOD_NOT_ALLOWED, path.equals("/swarm")
                        ? "POST /swarm with user_count, spawn_rate, host, run_time, rate\n"
                        : req.method() + " " + path + ": only " + m.allowHeader() + " here\n");
                res.headers().set(HttpHeaderNames.ALLOW, m.allowHeader());
                send(ctx, req, res);
            } else {
                send(ctx, req, text(HttpResponseStatus.NOT_FOUND, "not found: " + path + "\n"));
            }
        }

        private StatsSnapshot last() {
            RunSession run = control.run();
            return run == null ? null : run.last();
        }

        private void swarm(ChannelHandlerContext ctx, FullHttpRequest req, QueryStringDecoder q) {
            Map<String, String> form = new LinkedHashMap<>();
            q.parameters().forEach((k, v) -> form.put(k, v.get(v.size() - 1)));
            HttpPostRequestDecoder decoder = null;
            try {
                decoder = new HttpPostRequestDecoder(req);
                for (InterfaceHttpData d : decoder.getBodyHttpDatas()) {
                    if (d instanceof Attribute a) {
                        form.put(a.getName(), a.getValue());
                    }
                }
            } catch (HttpPostRequestDecoder.ErrorDataDecoderException | IOException e) {
                send(ctx, req, json(HttpResponseStatus.BAD_REQUEST, failure("cannot read the form: " + e.getMessage())));
                return;
            } finally {
                if (decoder != null) {
                    decoder.destroy();
                }
            }
            // Locust's Edit posts to the same path; our page marks its edits, so one that arrives after
            // the test stopped is refused instead of starting a new test.
            boolean edit = "1".equals(form.remove("edit"));
            RunRequest r;
            try {
                r = RunRequest.parse(form, control.live() ? control.current() : control.defaults());
            } catch (IllegalArgumentException e) {
                send(ctx, req, json(HttpResponseStatus.BAD_REQUEST, failure(e.getMessage())));
                return;
            }
            boolean keepAlive = HttpUtil.isKeepAlive(req);
            control.swarm(r, edit).whenComplete((ok, e) -> {
                FullHttpResponse res;
                if (e == null) {
                    Map<String, Object> answer = new LinkedHashMap<>(); // Locust's order
                    answer.put("success", true);
                    answer.put("message", "Swarming started");
                    answer.put("host", ok.host());
                    res = json(HttpResponseStatus.OK, write(answer));
                } else {
                    Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
                    res = json(cause instanceof IllegalStateException ? HttpResponseStatus.CONFLICT : HttpResponseStatus.BAD_REQUEST,
                            failure(cause.getMessage()));
                }
                finish(ctx, keepAlive, res);
            });
        }

        private void subscribe(ChannelHandlerContext ctx) {
            HttpResponse res = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
            res.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/event-stream; charset=utf-8")
                    .set(HttpHeaderNames.CACHE_CONTROL, "no-store");
            HttpUtil.setTransferEncodingChunked(res, true);
            ctx.write(res);
            // Subscribed before the history is built, so no tick can fall between the two
            // (a tick that comes first is older than the history and the page skips it).
            Channel ch = ctx.channel();
            subscribers.add(ch);
            ch.closeFuture().addListener(f -> subscribers.remove(ch));
            ctx.writeAndFlush(new DefaultHttpContent(Unpooled.copiedBuffer("retry: 1000\n" + history(), StandardCharsets.UTF_8)));
        }

        private void report(ChannelHandlerContext ctx, FullHttpRequest req, QueryStringDecoder q) throws IOException {
            RunSession run = control.run();
            if (run == null) {
                send(ctx, req, text(HttpResponseStatus.NOT_FOUND, "no test has run yet: start one first\n"));
                return;
            }
            FullHttpResponse res = bytes(HttpResponseStatus.OK, "text/html; charset=utf-8",
                    run.htmlReport().getBytes(StandardCharsets.UTF_8));
            if (q.parameters().containsKey("download")) {
                res.headers().set(HttpHeaderNames.CONTENT_DISPOSITION,
                        "attachment;filename=report_" + run.startedMillis() / 1000 + ".html");
            }
            send(ctx, req, res);
        }

        private void csv(ChannelHandlerContext ctx, FullHttpRequest req, String name,
                         java.util.function.Function<StatsSnapshot, String> body, String header) {
            StatsSnapshot s = last();
            FullHttpResponse res = bytes(HttpResponseStatus.OK, "text/csv; charset=utf-8",
                    (s == null ? header + "\n" : body.apply(s)).getBytes(StandardCharsets.UTF_8));
            res.headers().set(HttpHeaderNames.CONTENT_DISPOSITION,
                    "attachment;filename=" + name + "_" + System.currentTimeMillis() / 1000 + ".csv");
            send(ctx, req, res);
        }

        private void later(ChannelHandlerContext ctx, FullHttpRequest req, CompletableFuture<Void> work,
                           java.util.function.Supplier<FullHttpResponse> answer) {
            boolean keepAlive = HttpUtil.isKeepAlive(req);
            work.whenComplete((ok, e) -> finish(ctx, keepAlive, e == null ? answer.get()
                    : json(HttpResponseStatus.INTERNAL_SERVER_ERROR, failure(String.valueOf(e.getMessage())))));
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }

    private static String failure(String message) {
        Map<String, Object> answer = new LinkedHashMap<>();
        answer.put("success", false);
        answer.put("message", message);
        return write(answer);
    }

    private static void send(ChannelHandlerContext ctx, FullHttpRequest req, FullHttpResponse res) {
        Replies.send(ctx, req, res);
    }

    private static void finish(ChannelHandlerContext ctx, boolean keepAlive, FullHttpResponse res) {
        Replies.send(ctx, keepAlive, res);
    }

    private static FullHttpResponse cached(FullHttpResponse res) {
        res.headers().set(HttpHeaderNames.CACHE_CONTROL, "max-age=3600");
        return res;
    }

    private static FullHttpResponse json(HttpResponseStatus status, String body) {
        return Replies.json(status, body);
    }

    private static FullHttpResponse text(HttpResponseStatus status, String body) {
        return Replies.text(status, body);
    }

    private static FullHttpResponse bytes(HttpResponseStatus status, String type, byte[] body) {
        return Replies.bytes(status, type, body);
    }
}
