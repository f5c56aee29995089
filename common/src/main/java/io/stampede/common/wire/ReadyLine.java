package io.stampede.common.wire;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Optional;

/**
 * The line a part prints when it reaches a point its parent waits for, so the bench reads a record
 * instead of matching human text: {@code stampede-ready {"version":1,"part":"proxy","event":
 * "listening","urls":["http://127.0.0.1:8080"],"admin":"http://127.0.0.1:9090"}}.
 *
 * <p>Printed only when the environment has {@code STAMPEDE_READY} (the bench sets it for the parts
 * it starts), so people running a part see only its human lines. Events: {@code listening} (the
 * Market API and the proxy: their URLs, and the proxy's admin URL), {@code started} (the swarm's
 * users start), {@code measuring} (the swarm reset its statistics after the warm-up).
 * Version history: 1, the first.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ReadyLine(int version, String part, String event, List<String> urls, String admin) {
    public static final int VERSION = 1;
    public static final String PREFIX = "stampede-ready ";
    public static final String ENV = "STAMPEDE_READY";
    private static final ObjectMapper JSON = new ObjectMapper().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    public static ReadyLine of(String part, String event, List<String> urls, String admin) {
        return new ReadyLine(VERSION, part, event, urls, admin);
    }

    public String line() {
        try {
            return PREFIX + JSON.writeValueAsString(this);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Prints the line (and flushes) when the parent asked for ready lines. */
    public void announce(PrintStream out) {
        if (System.getenv(ENV) != null) {
            out.println(line());
            out.flush();
        }
    }

    /** The same, for a command's writer. */
    public void announce(PrintWriter out) {
        if (System.getenv(ENV) != null) {
            out.println(line());
            out.flush();
        }
    }

    /** The ready line in {@code line}, if it is one. */
    public static Optional<ReadyLine> parse(String line) {
        int at = line.indexOf(PREFIX);
        if (at < 0) {
            return Optional.empty();
        }
        try {
            return Optional.of(JSON.readValue(line.substring(at + PREFIX.length()).trim(), ReadyLine.class));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** The first ready line of {@code part} with {@code event} in a part's output. */
    public static Optional<ReadyLine> find(String output, String part, String event) {
        return output.lines().map(ReadyLine::parse).flatMap(Optional::stream)
                .filter(r -> r.part().equals(part) && r.event().equals(event)).findFirst();
    }
}
