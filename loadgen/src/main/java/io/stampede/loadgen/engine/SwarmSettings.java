package io.stampede.loadgen.engine;

import java.time.Duration;
import java.util.Map;

/**
 * How to run a swarm.
 *
 * @param users closed model: users to reach; open model: the most users (connections) available
 * @param spawnRate users started per second
 * @param runTime null to run until stopped
 * @param pacer null for the closed model; the arrival schedule for the open model
 */
public record SwarmSettings(Target target, Map<String, String> headers, long timeoutNanos, int maxBody, int users,
                            double spawnRate, Duration runTime, Duration stopTimeout, Pacer pacer, long seed,
                            int threads) {}
