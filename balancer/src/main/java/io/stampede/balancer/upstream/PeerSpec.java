package io.stampede.balancer.upstream;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * What a server is, from its {@code server} line: fixed at load, the same in every
 * configuration that names it, so a reload can tell a server that stayed from a new one.
 *
 * @param name {@code ip:port}, as nginx prints it in {@code $upstream_addr}
 * @param server the server as written in the config (consistent hashing hashes this text)
 * @param failTimeout seconds, as nginx parses {@code fail_timeout}
 * @param drain nginx Plus's drain: no new sessions, only requests bound to it by sticky
 * @param sid the sticky server id: the {@code route=} value, else the lowercase hex MD5 of the address
 * @param slowStartMs how long the weight takes to come back after a failure (0: at once)
 */
public record PeerSpec(String name, String server, InetSocketAddress address, int weight, int maxFails, long failTimeout,
                       int maxConns, boolean backup, boolean down, boolean drain, String sid, long slowStartMs) {

    /** A server line's values; {@code route} null for none. Flags come in {@code ServerConfig}'s order: backup, down. */
    public static PeerSpec of(String server, InetSocketAddress address, int weight, int maxFails, long failTimeout,
                              int maxConns, boolean backup, boolean down, String route, boolean drain, long slowStartMs) {
        String name = printable(address);
        return new PeerSpec(name, server, address, weight, maxFails, failTimeout, maxConns, backup, down, drain,
                route != null ? route : md5(name), slowStartMs);
    }

    /** The usual defaults (weight 1, max_fails 1, fail_timeout 10s), for a plain {@code host:port}. */
    public static PeerSpec plain(InetSocketAddress address) {
        return of(printable(address), address, 1, 1, 10, 0, false, false, null, false, 0);
    }

    static String printable(InetSocketAddress a) {
        String host = a.getAddress() != null ? a.getAddress().getHostAddress() : a.getHostString();
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + a.getPort();
    }

    private static String md5(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("MD5 is always there", e);
        }
    }
}
