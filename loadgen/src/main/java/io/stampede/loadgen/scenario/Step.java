package io.stampede.loadgen.scenario;

import java.time.Duration;
import java.util.List;
import java.util.Map;

/** One step of a task: an HTTP request, a pause, or a loop of steps. */
public sealed interface Step {

    /**
     * An HTTP request. {@code name} groups requests in the statistics (Locust's {@code name=});
     * without it the path as rendered is the name.
     */
    record Request(String method, Template path, Template name, Map<String, Template> headers, Body body,
                   Map<String, Capture> captures, List<Expect> expects, int line) implements Step {}

    record Sleep(Duration duration) implements Step {}

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
