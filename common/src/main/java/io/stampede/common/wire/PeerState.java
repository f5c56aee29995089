package io.stampede.common.wire;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;

/** A server's state, with nginx Plus's names ({@code up}, {@code unavail}, ...), as /status and /metrics show it. */
public enum PeerState {
    UP, DOWN, DRAINING, UNAVAIL, UNHEALTHY, CHECKING;

    /** The name in documents and logs: lowercase. */
    @JsonValue
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    @JsonCreator
    public static PeerState of(String label) {
        return valueOf(label.toUpperCase(Locale.ROOT));
    }

    @Override
    public String toString() {
        return label();
    }
}
