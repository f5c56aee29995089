package io.stampede.loadgen.stats;

/** Failures are grouped by endpoint and error text, as Locust's failures table. */
public record ErrorKey(String method, String name, String error) {}
