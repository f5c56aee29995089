package io.stampede.balancer.config;

import io.stampede.balancer.config.directive.BalanceMethod;
import io.stampede.balancer.config.directive.StickyConfig;
import io.stampede.balancer.config.directive.HealthCheckConfig;
import io.stampede.balancer.config.directive.QueueConfig;
import java.time.Duration;
import java.util.List;

/**
 * An {@code upstream} block. {@code keepalive} idle connections are kept per event loop (nginx: per
 * worker), on by default as in nginx 1.29.7+. An implicit upstream stands for a
 * {@code proxy_pass http://host:port} without a block of its own.
 *
 * @param state nginx Plus's {@code state} file: the servers, as server lines, kept there across
 *     restarts and reloads as the API changes them; null for none
 * @param resolving the server lines with {@code resolve}: their addresses come from the resolver,
 *     which adds them to {@code servers} and takes them out as the DNS answer changes
 */
public record UpstreamConfig(String name, BalanceMethod method, List<ServerConfig> servers, int keepalive,
                             int keepaliveRequests, Duration keepaliveTimeout, Duration keepaliveTime,
                             boolean implicit, QueueConfig queue, List<HealthCheckConfig> healthChecks,
                             StickyConfig sticky, java.nio.file.Path state,
                             List<io.stampede.balancer.config.directive.ServerLine> resolving) {

    /** The same upstream with one more active health check (from a location that proxies to it). */
    public UpstreamConfig withHealthCheck(HealthCheckConfig check) {
        List<HealthCheckConfig> all = new java.util.ArrayList<>(healthChecks);
        all.add(check);
        return new UpstreamConfig(name, method, servers, keepalive, keepaliveRequests, keepaliveTimeout, keepaliveTime,
                implicit, queue, List.copyOf(all), sticky, state, resolving);
    }

    /** The same upstream with other servers (the API changed them). */
    public UpstreamConfig withServers(List<ServerConfig> next) {
        return new UpstreamConfig(name, method, List.copyOf(next), keepalive, keepaliveRequests, keepaliveTimeout, keepaliveTime,
                implicit, queue, healthChecks, sticky, state, resolving);
    }
}
