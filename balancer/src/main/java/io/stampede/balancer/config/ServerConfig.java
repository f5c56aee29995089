package io.stampede.balancer.config;

import java.net.InetSocketAddress;

/**
 * One upstream peer from a {@code server} line: a host name resolving to several addresses gives
 * one of these per address, all with the same {@code server} text and parameters, as in nginx.
 *
 * @param failTimeoutSeconds nginx parses {@code fail_timeout} in whole seconds
 * @param route the sticky route id ({@code route=}), or null for the MD5 of the address
 * @param drain nginx Plus's {@code drain}: only sticky-bound requests reach it
 * @param slowStartMillis nginx Plus's {@code slow_start}: the weight's ramp back after a failure; 0 for none
 */
public record ServerConfig(String server, InetSocketAddress address, int weight, int maxFails,
                           long failTimeoutSeconds, int maxConns, boolean backup, boolean down, String route,
                           boolean drain, long slowStartMillis) {
    public ServerConfig(String server, InetSocketAddress address, int weight, int maxFails, long failTimeoutSeconds,
                        int maxConns, boolean backup, boolean down) {
        this(server, address, weight, maxFails, failTimeoutSeconds, maxConns, backup, down, null, false, 0);
    }
}
