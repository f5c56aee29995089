package io.stampede.loadgen.scenario;

import java.time.Duration;
import java.util.List;
import java.util.Map;

/** One step of a task: an HTTP request, a pause, a loop of steps, or a WebSocket step. */
public sealed interface Step {

    /**
     * An HTTP request. {@code name} groups requests in the statistics (Locust's {@code name=});
     * without it the path as rendered is the name.
     */
    record Request(String method, Template path, Template name, Map<String, Template> headers, Body body,
                   Map<String, Capture> captures, List<Expect> expects, int line) implements Step {}

    record Sleep(Duration duration) implements Step {}

    /**
     * Opens the user's WebSocket to {@code path} on the target (ws://, or wss:// for an https
     * target), with {@code headers} on the handshake. Recorded as {@code WS} {@code name} (the path
     * without one), its time the handshake's.
     */
    record WsConnect(Template path, Template name, Map<String, Template> headers, int line) implements Step {}

    /** Sends one text message on the user's WebSocket (JSON or text); recorded as {@code WS} {@code name} ("send"). */
    record WsSend(Body body, Template name, int line) implements Step {}

    /**
     * Waits for the next message that passes {@code expects} (messages that do not are skipped),
     * at most {@code timeout}; then applies {@code captures}. Recorded as {@code WS} {@code name}
     * ("recv"), its time from the user's last send (or last match, or the connect) to the message's arrival.
     */
    record WsExpect(List<Expect> expects, Map<String, Capture> captures, Duration timeout, Template name, int line)
            implements Step {}

    /** Closes the user's WebSocket (the end of the user closes it too). */
    record WsClose() implements Step {}

    /** Runs {@code steps} with {@code var} set to each integer from {@code from} to {@code to}. */
    record Repeat(String var, int from, int to, List<Step> steps) implements Step {}

    /** A request body: JSON built from a template tree, or raw text. */
    sealed interface Body {
        String contentType();
    }

    /** JSON whose string leaves are templates. */
    record JsonBody(Object tree) implements Body {
        public String contentType() {
            return "application/json";
        }
    }

    record TextBody(Template text, String contentType) implements Body {}
}
