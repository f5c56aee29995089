package io.stampede.balancer.config;

import io.stampede.common.Durations;
import io.stampede.common.yaml.YamlNode;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * nginx's {@code resolver}: the DNS servers that servers with {@code resolve} are looked up at,
 * again and again while the proxy runs ({@code resolver: 127.0.0.1:53 [::1]:5353 valid=5s ipv6=off}).
 *
 * @param valid how long an answer holds; null to follow each answer's TTL, as nginx does
 * @param timeout {@code resolver_timeout} (30s by default, as nginx's)
 */
public record ResolverConfig(List<InetSocketAddress> servers, Duration valid, boolean ipv4, boolean ipv6, Duration timeout) {

    static Optional<ResolverConfig> read(YamlNode node, YamlNode timeoutNode) {
        Duration timeout = timeoutNode == null ? Duration.ofSeconds(30) : timeoutNode.duration(false);
        if (node == null) {
            if (timeoutNode != null) {
                throw timeoutNode.error("resolver_timeout without a resolver");
            }
            return Optional.empty();
        }
        List<InetSocketAddress> servers = new ArrayList<>();
        Duration valid = null;
        boolean ipv4 = true;
        boolean ipv6 = true;
        for (String word : node.text().trim().split("\\s+")) {
            int eq = word.indexOf('=');
            String key = eq < 0 ? null : word.substring(0, eq);
            String value = eq < 0 ? null : word.substring(eq + 1);
            if (key == null) {
                try {
                    servers.add(Addresses.resolve(Addresses.split(word, 53)).get(0));
                } catch (IllegalArgumentException | UnknownHostException e) {
                    throw node.error("resolver address '" + word + "' (expected an IP address with an optional port, "
                            + "e.g. 127.0.0.1:53 or [::1]:5353)");
                }
                continue;
            }
            switch (key) {
                case "valid" -> {
                    try {
                        valid = Durations.parse(value);
                    } catch (IllegalArgumentException e) {
                        throw node.error("valid=" + value + " (expected a time, e.g. valid=30s)");
                    }
                    if (valid.toMillis() < 1000) {
                        throw node.error("valid=" + value + " (expected at least 1s)");
                    }
                }
                case "ipv4" -> ipv4 = ServerLines.flag(node, "ipv4", value);
                case "ipv6" -> ipv6 = ServerLines.flag(node, "ipv6", value);
                default -> throw node.error("unknown resolver parameter '" + word + "' (expected valid=TIME, ipv4=on|off or ipv6=on|off)");
            }
        }
        if (servers.isEmpty()) {
            throw node.error("no resolver address (expected e.g. resolver: 127.0.0.1:53 valid=5s)");
        }
        if (!ipv4 && !ipv6) {
            throw node.error("ipv4=off with ipv6=off: nothing to look up");
        }
        return Optional.of(new ResolverConfig(List.copyOf(servers), valid, ipv4, ipv6, timeout));
    }
}
