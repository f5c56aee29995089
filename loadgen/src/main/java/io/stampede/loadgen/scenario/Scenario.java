package io.stampede.loadgen.scenario;

import java.util.List;
import java.util.Map;

/** A whole scenario: the default host, the user classes, and the data feeds they draw from. */
public record Scenario(String source, String host, List<UserClass> users, Map<String, DataFeed> feeds) {}
