package io.stampede.balancer.config;

import java.net.InetSocketAddress;

/**
 * One upstream peer from a {@code server} line: a host name resolving to several addresses gives
 * one of these per address, all with the same {@code server} text and parameters, as in nginx.
 *
 * @param failTimeoutSeconds nginx parses {@code fail_timeout} in whole seconds
 */
public record ServerConfig(String server, InetSocketAddress address, int weight, int maxFails,
                           long failTimeoutSeconds, int maxConns, boolean backup, boolean down) {}
