package io.stampede.loadgen.engine;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.handler.codec.http.cookie.ClientCookieDecoder;
import io.netty.handler.codec.http.cookie.ClientCookieEncoder;
import io.netty.handler.codec.http.cookie.Cookie;
import io.stampede.loadgen.scenario.Capture;
import io.stampede.loadgen.scenario.Expect;
import io.stampede.loadgen.scenario.Step;
import io.stampede.loadgen.scenario.Task;
import io.stampede.loadgen.scenario.Template;
import io.stampede.loadgen.scenario.UserClass;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A virtual user: not a thread but a small state machine on its worker's event loop, running its
 * class's steps one after another. It keeps its own connection, cookies and variables, as a
 * Locust HttpUser keeps its session. Every request is recorded with two times: latency from when
 * the request should have started (the user was ready, or the open model's schedule said so), and
 * service time from when it was actually sent; they differ when the generator falls behind.
 */
final class VirtualUser implements UserConnection.Callback {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private final Worker worker;
    private final UserClass cls;
    private final Map<String, String> vars = new HashMap<>();
    private final Map<String, String> cookies = new LinkedHashMap<>();
    private final UserConnection connection;
    private int nextSequential;
    /** When the next step should start (nanoTime); the intended start of its request. */
    private long readyNanos;
    private boolean stopping;
    private boolean stopped;
    private Runnable afterTask;

    VirtualUser(Worker worker, UserClass cls, Map<String, String> feedRow, java.net.InetSocketAddress source) {
        this.worker = worker;
        this.cls = cls;
        this.connection = worker.settings().http2()
                ? new Http2UserConnection(worker, worker.nextHttp2Connection())
                : new HttpConnection(worker, worker.settings().target().resolved(), source, worker.settings().maxBody());
        if (feedRow != null) {
            feedRow.forEach((k, v) -> vars.put(cls.feed() + "." + k, v));
        }
        cls.vars().forEach((k, v) -> vars.put(k, v.render(this::lookup)));
    }

    private String lookup(String name) {
        return vars.get(name);
    }

    Worker worker() {
        return worker;
    }

    UserClass userClass() {
        return cls;
    }

    /** Closed model: on_start, then tasks with wait_time between them until stopped. */
    void startLooping() {
        readyNanos = System.nanoTime();
        inTask = true;
        runTask(cls.onStart(), this::nextTask);
    }

    /** Open model: on_start only; then the worker hands it arrivals. */
    void startIdle(Runnable ready) {
        readyNanos = System.nanoTime();
        inTask = true;
        runTask(cls.onStart(), () -> {
            inTask = false;
            if (stopping) {
                finishStop();
            } else {
                ready.run();
            }
        });
    }

    /** Open model: one task for an arrival scheduled at {@code intendedNanos}. */
    void runArrival(long intendedNanos, Runnable done) {
        readyNanos = intendedNanos;
        inTask = true;
        Task task = pick();
        runTask(task.steps(), () -> {
            inTask = false;
            if (stopping) {
                finishStop();
            } else {
                done.run();
            }
        });
    }

    /**
     * Stops: a user between tasks stops now; one in a task stops after its current request, or
     * with {@code finishTask} after the task. Then on_stop runs, then {@code stoppedCallback}.
     */
    void stop(boolean finishTask, Runnable stoppedCallback) {
        stopping = true;
        afterTask = stoppedCallback;
        if (!inTask) {
            if (waiting != null) {
                waiting.cancel(false);
                waiting = null;
            }
            finishStop();
            return;
        }
        if (!finishTask) {
            hardStop = true;
        }
    }

    private boolean hardStop;
    private boolean inTask;
    private java.util.concurrent.ScheduledFuture<?> waiting;

    private void nextTask() {
        waiting = null;
        if (stopping) {
            finishStop();
            return;
        }
        inTask = true;
        Task task = pick();
        long started = System.nanoTime();
        runTask(task.steps(), () -> {
            if (stopping) {
                finishStop();
                return;
            }
            inTask = false;
            long wait = cls.waitTime().waitNanos(System.nanoTime() - started, worker.random());
            readyNanos = System.nanoTime() + wait;
            if (wait <= 0) {
                // Every request completes asynchronously, so running on at once cannot recurse deeply.
                nextTask();
            } else {
                waiting = worker.loop().schedule(this::nextTask, wait, TimeUnit.NANOSECONDS);
            }
        });
    }

    private void finishStop() {
        if (stopped) {
            return;
        }
        stopped = true;
        hardStop = false;
        inTask = true;
        Runnable cb = afterTask;
        runTask(cls.onStop(), () -> {
            connection.close();
            if (ws != null) {
                ws.close();
                ws = null;
            }
            if (cb != null) {
                cb.run();
            }
        });
    }

    private Task pick() {
        List<Task> tasks = cls.tasks();
        if (cls.sequential()) {
            return tasks.get(nextSequential++ % tasks.size());
        }
        int total = 0;
        for (Task t : tasks) {
            total += t.weight();
        }
        int r = worker.random().nextInt(total);
        for (Task t : tasks) {
            r -= t.weight();
            if (r < 0) {
                return t;
            }
        }
        return tasks.get(tasks.size() - 1);
    }

    /**
     * Runs a task (or on_start, on_stop) from its first step, then {@code end}. {@code end} is also
     * where the user goes when it must abandon the task, as a Locust task that raises does.
     */
    private void runTask(List<Step> steps, Runnable end) {
        taskEnd = end;
        run(steps, 0, end);
    }

    private Runnable taskEnd;

    /** Runs {@code steps} from {@code index}, then {@code then}. */
    private void run(List<Step> steps, int index, Runnable then) {
        if (hardStop) {
            finishStop();
            return;
        }
        if (index >= steps.size()) {
            then.run();
            return;
        }
        Step step = steps.get(index);
        Runnable next = () -> run(steps, index + 1, then);
        if (step instanceof Step.Request r) {
            request(r, next);
        } else if (step instanceof Step.Sleep s) {
            long nanos = s.duration().toNanos();
            readyNanos = System.nanoTime() + nanos;
            worker.loop().schedule(next, nanos, TimeUnit.NANOSECONDS);
        } else if (step instanceof Step.Repeat rep) {
            repeat(rep, rep.from(), next);
        } else {
            webSocket(step, next);
        }
    }

    /** The user's WebSocket, once a ws_connect made it; closed with the user. */
    private WebSocketSession ws;
    /** What a ws_expect's time counts from: the last send, match or connect (nanoTime). */
    private long wsSince;

    private void webSocket(Step step, Runnable next) {
        long start = System.nanoTime();
        try {
            if (step instanceof Step.WsConnect c) {
                String path = c.path().render(this::lookup);
                String name = c.name() != null ? c.name().render(this::lookup) : path;
                Map<String, String> headers = new LinkedHashMap<>(worker.settings().headers());
                for (Map.Entry<String, Template> h : c.headers().entrySet()) {
                    headers.put(h.getKey(), h.getValue().render(this::lookup));
                }
                if (!cookies.isEmpty()) {
                    headers.put("Cookie", cookieHeader());
                }
                if (ws != null) {
                    ws.close();
                }
                ws = new WebSocketSession(worker);
                Target t = worker.settings().target();
                java.net.URI uri = java.net.URI.create((t.https() ? "wss://" : "ws://") + t.hostHeader() + t.uri(path));
                ws.connect(uri, headers, worker.settings().timeoutNanos(), error -> {
                    long end = System.nanoTime();
                    wsSince = end;
                    worker.recording().record("WS", name, end - Math.min(readyNanos, start), end - start, 0, error);
                    readyNanos = end;
                    next.run();
                });
            } else if (step instanceof Step.WsSend s) {
                String name = s.name() != null ? s.name().render(this::lookup) : "send";
                String text = RequestBuilder.text(s.body(), this::lookup);
                WebSocketSession session = ws != null ? ws : new WebSocketSession(worker);
                session.send(text, error -> {
                    long end = System.nanoTime();
                    wsSince = end;
                    worker.recording().record("WS", name, end - Math.min(readyNanos, start), end - start, text.length(), error);
                    readyNanos = end;
                    next.run();
                });
            } else if (step instanceof Step.WsExpect e) {
                String name = e.name() != null ? e.name().render(this::lookup) : "recv";
                long since = wsSince;
                WebSocketSession session = ws != null ? ws : new WebSocketSession(worker);
                session.await(text -> matches(e, text), e.timeout().toNanos(), (message, error) -> {
                    long end = System.nanoTime();
                    String failure = error;
                    long at = end;
                    long bytes = 0;
                    if (message != null) {
                        at = message.arrivedNanos();
                        bytes = message.text().length();
                        failure = capture(e, message.text());
                    }
                    long took = Math.max(0, at - since);
                    wsSince = at;
                    worker.recording().record("WS", name, took, took, bytes, failure);
                    readyNanos = end;
                    next.run();
                });
            } else if (step instanceof Step.WsClose) {
                if (ws != null) {
                    ws.close();
                    ws = null;
                }
                next.run();
            }
        } catch (Template.MissingVariableException e) {
            worker.recording().exception("MissingVariable: " + e.getMessage() + " (WebSocket step)");
            readyNanos = System.nanoTime();
            worker.loop().execute(taskEnd);
        }
    }

    /** Whether a WebSocket message passes every check of a ws_expect. */
    private boolean matches(Step.WsExpect e, String text) {
        Capture.JsonSupplier json = jsonOf(text);
        for (Expect x : e.expects()) {
            try {
                if (x.check(200, text, json, this::lookup) != null) {
                    return false;
                }
            } catch (Template.MissingVariableException missing) {
                return false;
            }
        }
        return true;
    }

    /** Applies a ws_expect's captures to its message; the failure, or null. */
    private String capture(Step.WsExpect e, String text) {
        Capture.JsonSupplier json = jsonOf(text);
        for (Map.Entry<String, Capture> c : e.captures().entrySet()) {
            String value = c.getValue().extract(200, List.of(), text, json);
            if (value == null) {
                return "capture " + c.getKey() + ": " + describe(c.getValue()) + " not found in the message";
            }
            vars.put(c.getKey(), value);
        }
        return null;
    }

    /** The text parsed as JSON once, when first asked for (null when it is not JSON). */
    private static Capture.JsonSupplier jsonOf(String text) {
        JsonNode[] parsed = new JsonNode[1];
        boolean[] tried = new boolean[1];
        return () -> {
            if (!tried[0]) {
                tried[0] = true;
                try {
                    parsed[0] = MAPPER.readTree(text);
                } catch (java.io.IOException ex) {
                    parsed[0] = null;
                }
            }
            return parsed[0];
        };
    }

    private void repeat(Step.Repeat rep, int value, Runnable then) {
        if (value > rep.to()) {
            then.run();
            return;
        }
        vars.put(rep.var(), Integer.toString(value));
        run(rep.steps(), 0, () -> repeat(rep, value + 1, then));
    }

    private void request(Step.Request step, Runnable next) {
        long intended = Math.min(readyNanos, System.nanoTime());
        String path;
        String name;
        Object request;
        try {
            path = step.path().render(this::lookup);
            name = step.name() != null ? step.name().render(this::lookup) : path;
            if (cookies.isEmpty() && worker.encodable(step)) {
                // The same bytes every time (wrk's trick): encoded once per worker, shared.
                request = worker.settings().http2() ? worker.http2Request(step, path)
                        : worker.encoded(step, path).retainedDuplicate();
            } else {
                String uri = worker.settings().target().uri(path);
                request = RequestBuilder.build(step, this::lookup, worker.settings().target(), uri,
                        worker.settings().headers(), cookieHeader(), worker.alloc());
            }
        } catch (Template.MissingVariableException e) {
            // Like a Locust task that raises (a token never captured because the login failed):
            // no request is made, the exception is counted, and the task is abandoned. The user
            // goes on through the loop, not the stack, so this cannot recurse.
            worker.recording().exception("MissingVariable: " + e.getMessage() + " (" + step.method() + " "
                    + (step.name() != null ? step.name().source() : step.path().source()) + ")");
            readyNanos = System.nanoTime();
            worker.loop().execute(taskEnd);
            return;
        } catch (RuntimeException e) {
            // A value Netty refuses in a header: the request fails without being sent, as requests
            // reports an invalid header as the request's failure.
            String label = step.name() != null ? step.name().source() : step.path().source();
            worker.recording().record(step.method(), label, 0, 0, 0, "InvalidRequest: " + e.getMessage());
            readyNanos = System.nanoTime();
            worker.loop().execute(next);
            return;
        }
        boolean keepBody = !step.captures().isEmpty() || !step.expects().isEmpty();
        boolean keepHeaders = worker.capturesHeaders(step);
        // One request at a time per user: its context lives in fields, and the user is the callback.
        pendingStep = step;
        pendingName = name;
        pendingPath = path;
        pendingIntended = intended;
        pendingNext = next;
        connection.send(request, step.method().equals("HEAD"), keepHeaders, keepBody, worker.settings().timeoutNanos(), this);
    }

    private Step.Request pendingStep;
    private String pendingName;
    private String pendingPath;
    private long pendingIntended;
    private Runnable pendingNext;

    @Override
    public void response(Response response, long sentNanos) {
        long end = System.nanoTime();
        Step.Request step = pendingStep;
        String error = inspect(step, response, pendingPath);
        worker.recording().record(step.method(), pendingName, end - pendingIntended, end - sentNanos, response.size(), error);
        continueAfter(end);
    }

    @Override
    public void failed(String error, long sentNanos) {
        long end = System.nanoTime();
        worker.recording().record(pendingStep.method(), pendingName, end - pendingIntended, end - sentNanos, 0, error);
        continueAfter(end);
    }

    private void continueAfter(long end) {
        Runnable next = pendingNext;
        pendingStep = null;
        pendingNext = null;
        readyNanos = end;
        next.run();
    }

    /** Applies captures and checks; returns the failure, or null. */
    private String inspect(Step.Request step, Response response, String path) {
        int status = response.status();
        boolean plain = step.expects().isEmpty() && step.captures().isEmpty();
        if (plain && status < 400 && response.headers().isEmpty()) {
            return null; // the common case: nothing to check, capture or remember
        }
        for (Map.Entry<String, String> h : response.headers()) {
            if (h.getKey().equalsIgnoreCase("set-cookie")) {
                Cookie c = ClientCookieDecoder.LAX.decode(h.getValue());
                if (c != null) {
                    cookies.put(c.name(), c.value());
                }
            }
        }
        String body = response.body() == null ? "" : new String(response.body(), StandardCharsets.UTF_8);
        Capture.JsonSupplier json = jsonOf(body);
        boolean statusChecked = false;
        for (Expect e : step.expects()) {
            statusChecked |= e instanceof Expect.Status;
            String failure;
            try {
                failure = e.check(status, body, json, this::lookup);
            } catch (Template.MissingVariableException missing) {
                failure = missing.getMessage();
            }
            if (failure != null) {
                return failure;
            }
        }
        if (!statusChecked && status >= 400) {
            return "HTTPError('" + status + (status >= 500 ? " Server Error: " : " Client Error: ")
                    + response.reason() + " for url: " + path + "')";
        }
        if (!step.captures().isEmpty()) {
            List<java.util.Map.Entry<String, String>> headers = response.headers();
            for (Map.Entry<String, Capture> c : step.captures().entrySet()) {
                String value = c.getValue().extract(status, headers, body, json);
                if (value == null) {
                    return "capture " + c.getKey() + ": " + describe(c.getValue()) + " not found in the response";
                }
                vars.put(c.getKey(), value);
            }
        }
        return null;
    }

    private static String describe(Capture c) {
        if (c instanceof Capture.Json j) {
            return j.path().toString();
        }
        if (c instanceof Capture.Header h) {
            return "header " + h.name();
        }
        return "regex " + ((Capture.Regex) c).pattern().pattern();
    }

    private String cookieHeader() {
        if (cookies.isEmpty()) {
            return null;
        }
        List<Cookie> list = new ArrayList<>();
        cookies.forEach((k, v) -> list.add(new io.netty.handler.codec.http.cookie.DefaultCookie(k, v)));
        return ClientCookieEncoder.LAX.encode(list);
    }
}
