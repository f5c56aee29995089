package io.stampede.balancer.upstream;

import java.net.InetSocketAddress;

/**
 * One upstream server address and its balancing state, as nginx keeps it per peer. The settings
 * are fixed at load; the counters change only under the owning {@link PeerGroup}'s lock.
 */
public final class Peer {
    /** {@code ip:port}, as nginx prints it in {@code $upstream_addr}. */
    final String name;
    /** The server as written in the config (consistent hashing hashes this text). */
    final String server;
    final InetSocketAddress address;
    final int weight;
    final int maxFails;
    final long failTimeout;
    final int maxConns;
    final boolean down;
    final boolean backup;

    long currentWeight;
    long effectiveWeight;
    int conns;
    int fails;
    long accessed;
    long checked;
    /** Attempts sent to this peer since start (status pages and the bench's share column). */
    long requests;

    /** @param failTimeout seconds, as nginx parses {@code fail_timeout} */
    public Peer(String server, InetSocketAddress address, int weight, int maxFails, long failTimeout,
                int maxConns, boolean down, boolean backup) {
        this.name = printable(address);
        this.server = server;
        this.address = address;
        this.weight = weight;
        this.maxFails = maxFails;
        this.failTimeout = failTimeout;
        this.maxConns = maxConns;
        this.down = down;
        this.backup = backup;
        this.effectiveWeight = weight;
    }

    public String name() {
        return name;
    }

    public String server() {
        return server;
    }

    public InetSocketAddress address() {
        return address;
    }

    public int weight() {
        return weight;
    }

    public boolean isBackup() {
        return backup;
    }

    public boolean isDown() {
        return down;
    }

    /** Whether the passive rules exclude it now: {@code max_fails} failures within {@code fail_timeout}. */
    boolean failedRecently(long now) {
        return maxFails > 0 && fails >= maxFails && now - checked <= failTimeout;
    }

    boolean full() {
        return maxConns > 0 && conns >= maxConns;
    }

    static String printable(InetSocketAddress a) {
        String host = a.getAddress() != null ? a.getAddress().getHostAddress() : a.getHostString();
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + a.getPort();
    }

    @Override
    public String toString() {
        return name;
    }
}
