package io.stampede.api;

import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.stampede.api.admin.AdminEndpoints;
import io.stampede.api.admin.ApiStats;
import io.stampede.api.admin.Faults;
import io.stampede.api.auth.AuthEndpoints;
import io.stampede.api.capacity.WorkerPool;
import io.stampede.api.catalog.ProductEndpoints;
import io.stampede.api.http.ApiRequest;
import io.stampede.api.http.Dispatcher;
import io.stampede.api.http.Endpoint;
import io.stampede.api.http.Reply;
import io.stampede.api.http.Router;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One Market API instance: its routes, its worker pool and its counters. An API request waits for
 * a worker (or is refused with 503 when the queue is full), is decided by its endpoint, then keeps
 * the worker for its simulated database time on an event-loop timer, so waiting costs no thread
 * and no CPU.
 */
final class ApiInstance implements Dispatcher {
    private static final Logger LOG = LoggerFactory.getLogger(ApiInstance.class);

    private final String name;
    private final ApiSettings settings;
    private final MarketData data;
    private final Executor cpu;
    private final WorkerPool pool;
    private final ApiStats stats = new ApiStats();

    /** The instance's API counters (what /_admin/stats reports). */
    public ApiStats stats() {
        return stats;
    }
    private final AtomicReference<Faults> faults = new AtomicReference<>(Faults.NONE);
    private final Router api = new Router();
    private final Router admin = new Router();
    private final long queryNanos;
    /** The WebSocket feed of live prices ({@code /api/v1/live}). */
    private final io.stampede.api.live.LiveFeed live;

    ApiInstance(String name, ApiSettings settings, MarketData data, Executor cpu) {
        this.name = name;
        this.settings = settings;
        this.data = data;
        this.cpu = cpu;
        this.pool = new WorkerPool(settings.workers(), settings.maxQueue());
        this.queryNanos = settings.dbLatency().toNanos();

        AuthEndpoints auth = new AuthEndpoints(data.accounts(), data.tokens());
        ProductEndpoints products = new ProductEndpoints(data.catalog());
        api.add("POST", "/api/v1/auth/token/", auth::obtain, true)
                .add("POST", "/api/v1/auth/token/refresh/", auth::refresh)
                .add("GET", "/api/v1/products/", authenticated(auth, products::list))
                .add("POST", "/api/v1/products/", authenticated(auth, products::create))
                .add("GET", "/api/v1/products/comments/", authenticated(auth, products::comments))
                .add("GET", "/api/v1/products/{id}/", authenticated(auth, products::detail));

        this.live = new io.stampede.api.live.LiveFeed(name, data.tokens(), data.catalog(), java.time.Duration.ofSeconds(1));
        AdminEndpoints ops = new AdminEndpoints(name, stats, pool, faults, live::open);
        admin.add("GET", "/healthz", ops::health)
                .add("GET", "/_admin/stats", ops::stats)
                .add("POST", "/_admin/stats/reset", ops::resetStats)
                .add("GET", "/_admin/fault", ops::showFaults)
                .add("POST", "/_admin/fault", ops::setFaults)
                .add("DELETE", "/_admin/fault", ops::clearFaults);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public io.stampede.api.http.Upgrade upgrade(String path) {
        return path.equals(io.stampede.api.live.LiveFeed.PATH) ? live : null;
    }

    @Override
    public void dispatch(ApiRequest request, Channel channel, Consumer<Reply> respond) {
        if (request.path().startsWith("/api/")) {
            handleApi(request, channel, respond);
        } else if (request.path().startsWith("/_admin/") && !settings.adminRemote() && !request.local()) {
            // A proxy on this machine connects from loopback too: a request it relays says so
            // in its forwarding headers and is as remote as the client behind it.
            respond.accept(Reply.error(403, "client_error", "permission_denied",
                    "The admin endpoints answer only to direct requests on loopback, not to proxied ones "
                            + "(start with --admin-remote to change that).", null, 0));
        } else {
            respond.accept(run(admin.match(request)));
        }
    }

    private void handleApi(ApiRequest request, Channel channel, Consumer<Reply> respond) {
        EventLoop loop = channel.eventLoop();
        stats.begin();
        WorkerPool.Admission admission = pool.submit(() -> {
            if (loop.inEventLoop()) {
                work(request, channel, respond);
            } else {
                loop.execute(() -> work(request, channel, respond));
            }
        });
        if (admission == WorkerPool.Admission.REJECTED) {
            String key = api.match(request).key();
            Reply throttled = Reply.error(503, "server_error", "throttled",
                    "Request was throttled: all " + pool.workers() + " workers are busy and "
                            + pool.maxQueue() + " requests are waiting.", null, 0)
                    .withHeader("Retry-After", "1");
            stats.answered(key, throttled.status());
            respond.accept(throttled);
        }
    }

    /** Runs on the channel's event loop while holding a worker. */
    private void work(ApiRequest request, Channel channel, Consumer<Reply> respond) {
        if (!channel.isActive()) {
            pool.release();
            stats.abandon();
            return;
        }
        Faults f = faults.get();
        Router.Match match = api.match(request);
        long extra = f.extraLatency().toNanos();
        if (f.errorRate() > 0 && data.random().nextDouble() < f.errorRate()) {
            Reply injected = Reply.error(500, "server_error", "injected_fault",
                    "Injected failure (POST /_admin/fault error_rate).", null, 1);
            finish(match.key(), injected, extra, channel, respond);
        } else if (match.cpuBound()) {
            cpu.execute(() -> {
                Reply reply = run(match);
                channel.eventLoop().execute(() -> finish(match.key(), reply, extra, channel, respond));
            });
        } else {
            finish(match.key(), run(match), extra, channel, respond);
        }
    }

    private void finish(String key, Reply reply, long extraNanos, Channel channel, Consumer<Reply> respond) {
        Runnable done = () -> {
            pool.release();
            stats.answered(key, reply.status());
            respond.accept(reply);
        };
        long hold = reply.queries() * queryNanos + extraNanos;
        if (hold > 0) {
            channel.eventLoop().schedule(done, hold, TimeUnit.NANOSECONDS);
        } else {
            done.run();
        }
    }

    private Reply run(Router.Match match) {
        try {
            return match.endpoint().handle(match.request());
        } catch (RuntimeException e) {
            LOG.warn("{}: {} failed", name, match.key(), e);
            return Reply.error(500, "server_error", "error", "A server error occurred.", null, 0);
        }
    }

    private static Endpoint authenticated(AuthEndpoints auth, Endpoint endpoint) {
        return request -> auth.checkBearer(request).orElseGet(() -> endpoint.handle(request));
    }
}
