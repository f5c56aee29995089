package io.stampede.loadgen.engine;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * How to run a swarm.
 *
 * @param users closed model: users to reach; open model: the most users (connections) available
 * @param spawnRate users started per second
 * @param runTime null to run until stopped
 * @param pacer null for the closed model; the arrival schedule for the open model
 * @param sourceAddresses local addresses users connect from, user i from entry i mod size;
 *        empty to let the kernel choose
 * @param tls how to speak TLS to an https:// target (null: the defaults, certificates checked
 *        against the JDK's trusted CAs); unused for http://
 * @param http2Connections 0 for HTTP/1.1 (a keep-alive connection per user); else HTTP/2 (h2 by
 *        ALPN on https://, h2c with prior knowledge on http://) with users sharing this many
 *        connections, each user's requests streams on one of them
 */
public record SwarmSettings(Target target, Map<String, String> headers, long timeoutNanos, int maxBody, int users,
                            double spawnRate, Duration runTime, Duration stopTimeout, Pacer pacer, long seed,
                            int threads, List<InetAddress> sourceAddresses, ClientTls tls, int http2Connections) {
    public SwarmSettings {
        sourceAddresses = List.copyOf(sourceAddresses);
        if (http2Connections < 0) {
            throw new IllegalArgumentException("HTTP/2 connections: " + http2Connections + " (expected 0 for HTTP/1.1, or more)");
        }
        if (target.https() && tls == null) {
            tls = ClientTls.build(ClientTls.Options.DEFAULT);
        }
    }

    public SwarmSettings(Target target, Map<String, String> headers, long timeoutNanos, int maxBody, int users,
                         double spawnRate, Duration runTime, Duration stopTimeout, Pacer pacer, long seed,
                         int threads, List<InetAddress> sourceAddresses) {
        this(target, headers, timeoutNanos, maxBody, users, spawnRate, runTime, stopTimeout, pacer, seed, threads,
                sourceAddresses, null, 0);
    }

    /** The same settings with another stop timeout (a Locust master's {@code stop_timeout}). */
    public SwarmSettings withStopTimeout(Duration timeout) {
        return new SwarmSettings(target, headers, timeoutNanos, maxBody, users, spawnRate, runTime, timeout, pacer, seed,
                threads, sourceAddresses, tls, http2Connections);
    }

    public boolean http2() {
        return http2Connections > 0;
    }

    /** Event loops to run: as asked (0: one per core), never more than the HTTP/2 connections to share. */
    public int eventLoops() {
        int n = threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
        return http2() ? Math.min(n, http2Connections) : n;
    }

    /** Where user {@code index} connects from, or null for the kernel's choice. */
    public InetSocketAddress sourceOf(int index) {
        return sourceAddresses.isEmpty() ? null : new InetSocketAddress(sourceAddresses.get(index % sourceAddresses.size()), 0);
    }
}
