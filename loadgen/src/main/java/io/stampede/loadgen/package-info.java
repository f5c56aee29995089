/**
 * The load generator ({@code stampede swarm}): Locust's user/task model on an event-driven engine.
 * Features live in sub-packages: {@code scenario} (the YAML scenario), {@code engine} (a worker per
 * event loop, the pacer), {@code stats} (HdrHistogram recorders), {@code report} (console, CSV,
 * JSON, HTML). Built by the load generator issue.
 */
package io.stampede.loadgen;
