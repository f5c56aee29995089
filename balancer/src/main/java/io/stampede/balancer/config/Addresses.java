package io.stampede.balancer.config;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;

/** Host and port text as nginx writes it: {@code host:port}, {@code [::1]:port}, {@code host}, {@code *:port}, {@code port}. */
final class Addresses {
    private Addresses() {}

    record HostPort(String host, int port, boolean portGiven) {}

    /** @throws IllegalArgumentException when the text is not a host with an optional port */
    static HostPort split(String text, int defaultPort) {
        return split(text, defaultPort, false);
    }

    /** @param portZero whether port 0 (any free port, for listeners) is allowed */
    static HostPort split(String text, int defaultPort, boolean portZero) {
        String s = text.trim();
        if (s.isEmpty() || s.contains("/") || s.contains(" ")) {
            throw new IllegalArgumentException("not an address");
        }
        if (s.chars().allMatch(Character::isDigit)) {
            return new HostPort("*", port(s, portZero), true);
        }
        String host;
        String port = null;
        if (s.startsWith("[")) {
            int close = s.indexOf(']');
            if (close < 0) {
                throw new IllegalArgumentException("unclosed '['");
            }
            host = s.substring(1, close);
            String rest = s.substring(close + 1);
            if (!rest.isEmpty()) {
                if (!rest.startsWith(":")) {
                    throw new IllegalArgumentException("expected ':' after ']'");
                }
                port = rest.substring(1);
            }
        } else {
            int colon = s.lastIndexOf(':');
            if (colon >= 0 && s.indexOf(':') != colon) {
                throw new IllegalArgumentException("an IPv6 address needs brackets, e.g. [::1]:8080");
            }
            host = colon >= 0 ? s.substring(0, colon) : s;
            port = colon >= 0 ? s.substring(colon + 1) : null;
        }
        if (host.isEmpty()) {
            throw new IllegalArgumentException("no host");
        }
        return port == null ? new HostPort(host, defaultPort, false) : new HostPort(host, port(port, portZero), true);
    }

    /** Every address the host resolves to (once, at load, as nginx does). */
    static List<InetSocketAddress> resolve(HostPort hp) throws UnknownHostException {
        List<InetSocketAddress> out = new ArrayList<>();
        if (hp.host().equals("*")) {
            out.add(new InetSocketAddress(hp.port()));
            return out;
        }
        for (InetAddress a : InetAddress.getAllByName(hp.host())) {
            out.add(new InetSocketAddress(a, hp.port()));
        }
        return out;
    }

    private static int port(String text, boolean zeroAllowed) {
        if (text.isEmpty() || text.length() > 5 || !text.chars().allMatch(Character::isDigit)) {
            throw new IllegalArgumentException("'" + text + "' is not a port");
        }
        int p = Integer.parseInt(text);
        if ((p < 1 && !(zeroAllowed && p == 0)) || p > 65535) {
            throw new IllegalArgumentException("port " + p + " is out of range 1-65535");
        }
        return p;
    }
}
