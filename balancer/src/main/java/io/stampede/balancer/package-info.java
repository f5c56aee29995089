/**
 * The balancer ({@code stampede proxy}): an nginx-compatible load-balancing reverse proxy.
 * Features live in sub-packages: {@code config} (YAML that mirrors nginx directives),
 * {@code upstream} (peer selectors and passive health), {@code proxy} (the Netty data path),
 * {@code health} (active checks). Built by the balancer issue.
 */
package io.stampede.balancer;
