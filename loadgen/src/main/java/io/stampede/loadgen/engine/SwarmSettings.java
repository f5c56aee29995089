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
 */
public record SwarmSettings(Target target, Map<String, String> headers, long timeoutNanos, int maxBody, int users,
                            double spawnRate, Duration runTime, Duration stopTimeout, Pacer pacer, long seed,
                            int threads, List<InetAddress> sourceAddresses, ClientTls tls) {
    public SwarmSettings {
        sourceAddresses = List.copyOf(sourceAddresses);
        if (target.https() && tls == null) {
            tls = ClientTls.build(ClientTls.Options.DEFAULT);
        }
    }

    public SwarmSettings(Target target, Map<String, String> headers, long timeoutNanos, int maxBody, int users,
                         double spawnRate, Duration runTime, Duration stopTimeout, Pacer pacer, long seed,
                         int threads, List<InetAddress> sourceAddresses) {
        this(target, headers, timeoutNanos, maxBody, users, spawnRate, runTime, stopTimeout, pacer, seed, threads,
                sourceAddresses, null);
    }

    /** Where user {@code index} connects from, or null for the kernel's choice. */
    public InetSocketAddress sourceOf(int index) {
        return sourceAddresses.isEmpty() ? null : new InetSocketAddress(sourceAddresses.get(index % sourceAddresses.size()), 0);
    }
}
