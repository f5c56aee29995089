package io.stampede.loadgen.scenario;

import java.util.List;
import java.util.Map;

/**
 * A whole scenario: the default host, the user classes, the data feeds they draw from, and
 * whether its users speak HTTP/2 ({@code http2: true}).
 */
public record Scenario(String source, String host, List<UserClass> users, Map<String, DataFeed> feeds, boolean http2) {
    public Scenario(String source, String host, List<UserClass> users, Map<String, DataFeed> feeds) {
        this(source, host, users, feeds, false);
    }
}
