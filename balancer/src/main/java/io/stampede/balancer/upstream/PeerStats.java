package io.stampede.balancer.upstream;

/**
 * What happened to a server, for people and dashboards ({@code /status}, {@code /metrics}, the
 * bench): counted under the owning group's lock, never read by a balancing decision.
 */
final class PeerStats {
    /** Attempts sent to this server since start. */
    long requests;
    /** Responses passed on, by class: 1xx..5xx at [0]..[4]. */
    final long[] responses = new long[5];
    /** Failed attempts in all (nginx Plus's {@code fails}; the peer's {@code fails} is the current window's). */
    long failedAttempts;
    /** Times the passive rules made it unavailable. */
    long unavailCount;
    /** When it was last chosen (the group clock's seconds), 0 never. */
    long selectedAt;
    /** Active health checks run and failed, and times they made it unhealthy. */
    long checks;
    long checkFails;
    long unhealthyCount;
    /** Wall-clock millis of the last passed check, 0 never. */
    long lastPassedMillis;
    /** Time spent unhealthy or checking, in ms, and since when it is now (0 when up). */
    long downtimeMs;
    long downSinceMillis;
}
