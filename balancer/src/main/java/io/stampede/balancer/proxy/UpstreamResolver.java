package io.stampede.balancer.proxy;

import io.netty.channel.AddressedEnvelope;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.handler.codec.dns.DefaultDnsQuestion;
import io.netty.handler.codec.dns.DnsRawRecord;
import io.netty.handler.codec.dns.DnsRecord;
import io.netty.handler.codec.dns.DnsRecordType;
import io.netty.handler.codec.dns.DnsResponse;
import io.netty.handler.codec.dns.DnsResponseCode;
import io.netty.handler.codec.dns.DnsSection;
import io.netty.resolver.dns.DnsNameResolver;
import io.netty.resolver.dns.DnsNameResolverBuilder;
import io.netty.resolver.dns.NoopDnsCache;
import io.netty.resolver.dns.SequentialDnsServerAddressStreamProvider;
import io.netty.util.NetUtil;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.Future;
import io.stampede.balancer.config.ProxyConfig;
import io.stampede.balancer.config.ResolverConfig;
import io.stampede.balancer.config.ServerConfig;
import io.stampede.balancer.config.UpstreamConfig;
import io.stampede.balancer.config.directive.ServerLine;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * nginx Plus's {@code resolve}: each server line with it is looked up at the configuration's
 * {@code resolver}, again when its answer expires ({@code valid=}, else the answer's TTL), and when
 * the addresses change, the upstream's servers change with them, without a reload from the file:
 * a new address is a new server (slow_start applies), a vanished one leaves after its requests in
 * flight. The change is made as the API makes one: a reload of the running configuration with the
 * upstream's servers changed, so every other server keeps its state.
 *
 * <p>A lookup that fails (timeout, SERVFAIL) keeps the addresses known, as nginx keeps its cached
 * answer; a name that does not exist (NXDOMAIN, or no records) has no servers. The lookups run on
 * a thread of their own, never on a proxy event loop, and so do the changes they make.
 */
final class UpstreamResolver implements AutoCloseable {
    /** How soon a failed lookup is tried again (or sooner, with a shorter valid=). */
    private static final long RETRY_MILLIS = 5_000;
    /** Bounds for an answer's TTL, so a TTL of 0 does not make a busy loop, nor a day-long one a stale list. */
    private static final long MIN_MILLIS = 1_000;
    private static final long MAX_MILLIS = 3_600_000;

    /**
     * One name of one upstream: the server line's address ({@code host:port}); its other
     * parameters may change in a reload without a new lookup.
     */
    private record Key(String upstream, String address) {}

    private final ProxyServer proxy;
    private final EventLoopGroup dnsLoop = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("proxy-dns", true),
            NioIoHandler.newFactory());
    /** Applies changes one at a time, off the DNS thread (a change is a reload). */
    private final ExecutorService changes = Executors.newSingleThreadExecutor(new DefaultThreadFactory("proxy-resolve", true));
    /** The addresses last found for each line (guarded by itself for writes; read anywhere). */
    private final Map<Key, List<InetSocketAddress>> known = new ConcurrentHashMap<>();
    private final Map<Key, ScheduledFuture<?>> pending = new HashMap<>();
    /** The names the running configuration has (guarded by this). */
    private java.util.Set<Key> wanted = java.util.Set.of();
    private ResolverConfig config;
    private DnsNameResolver dns;
    private volatile boolean closed;

    UpstreamResolver(ProxyServer proxy) {
        this.proxy = proxy;
    }

    /**
     * {@code next} with the addresses known so far in place of its resolved servers (a reload from
     * the file keeps what the resolver found, rather than starting each such upstream empty).
     */
    ProxyConfig fill(ProxyConfig next) {
        ProxyConfig out = next;
        for (UpstreamConfig u : next.upstreams().values()) {
            if (u.resolving().isEmpty()) {
                continue;
            }
            List<ServerConfig> servers = new ArrayList<>();
            for (ServerConfig s : u.servers()) {
                if (s.resolved() == null) {
                    servers.add(s);
                }
            }
            for (ServerLine line : u.resolving()) {
                for (InetSocketAddress a : known.getOrDefault(new Key(u.name(), line.address()), List.of())) {
                    servers.add(ServerConfig.resolvedAt(line, a));
                }
            }
            if (!servers.equals(u.servers())) {
                out = out.withUpstream(u.withServers(servers));
            }
        }
        return out;
    }

    /** Starts looking up the lines of {@code applied} (now running) and stops for lines it no longer has. */
    synchronized void configure(ProxyConfig applied) {
        if (closed) {
            return;
        }
        ResolverConfig r = applied.resolver().orElse(null);
        if (!Objects.equals(r, config)) {
            if (dns != null) {
                dns.close();
            }
            config = r;
            dns = r == null ? null : build(r);
        }
        java.util.Set<Key> next = new java.util.LinkedHashSet<>();
        for (UpstreamConfig u : applied.upstreams().values()) {
            for (ServerLine line : u.resolving()) {
                next.add(new Key(u.name(), line.address()));
            }
        }
        wanted = next;
        for (Key k : List.copyOf(pending.keySet())) {
            if (!wanted.contains(k)) {
                pending.remove(k).cancel(false);
                known.remove(k);
            }
        }
        for (Key k : wanted) {
            if (!pending.containsKey(k) && dns != null) {
                schedule(k, 0);
            }
        }
    }

    private DnsNameResolver build(ResolverConfig r) {
        return new DnsNameResolverBuilder(dnsLoop.next())
                .datagramChannelType(NioDatagramChannel.class)
                .nameServerProvider(new SequentialDnsServerAddressStreamProvider(r.servers()))
                .queryTimeoutMillis(r.timeout().toMillis())
                .resolveCache(NoopDnsCache.INSTANCE)
                .recursionDesired(true)
                .build();
    }

    private synchronized void schedule(Key key, long delayMillis) {
        if (closed || !wanted.contains(key)) {
            return; // a reload took the name away while it was being looked up
        }
        EventLoop loop = dnsLoop.next();
        pending.put(key, loop.schedule(() -> lookUp(key), delayMillis, TimeUnit.MILLISECONDS));
    }

    /** One lookup of a line's host: A, and AAAA too when ipv6 is on; a surprise is retried, never the end of the name. */
    private void lookUp(Key key) {
        try {
            query(key);
        } catch (RuntimeException e) {
            proxy.runtime().log().warn("resolver: looking up " + key.address() + " failed: " + e);
            schedule(key, RETRY_MILLIS);
        }
    }

    private void query(Key key) {
        DnsNameResolver resolver;
        ResolverConfig r;
        synchronized (this) {
            if (closed || !pending.containsKey(key)) {
                return;
            }
            resolver = dns;
            r = config;
        }
        if (resolver == null) {
            return;
        }
        HostAndPort hp = HostAndPort.of(key.address());
        if (NetUtil.isValidIpV4Address(hp.host) || NetUtil.isValidIpV6Address(hp.host)) {
            // An address needs no lookup: it is its own answer, for good.
            found(key, List.of(new InetSocketAddress(NetUtil.createInetAddressFromIpAddressString(hp.host), hp.port)), MAX_MILLIS, r);
            return;
        }
        List<Future<AddressedEnvelope<DnsResponse, InetSocketAddress>>> queries = new ArrayList<>();
        if (r.ipv4()) {
            queries.add(resolver.query(new DefaultDnsQuestion(hp.host, DnsRecordType.A)));
        }
        if (r.ipv6()) {
            queries.add(resolver.query(new DefaultDnsQuestion(hp.host, DnsRecordType.AAAA)));
        }
        Answers answers = new Answers(queries.size());
        for (Future<AddressedEnvelope<DnsResponse, InetSocketAddress>> q : queries) {
            q.addListener(f -> {
                synchronized (answers) {
                    if (f.isSuccess()) {
                        @SuppressWarnings("unchecked")
                        AddressedEnvelope<DnsResponse, InetSocketAddress> env = (AddressedEnvelope<DnsResponse, InetSocketAddress>) f.getNow();
                        try {
                            answers.read(env.content(), hp.port);
                        } finally {
                            env.release();
                        }
                    } else {
                        answers.failed = true;
                    }
                    if (--answers.outstanding > 0) {
                        return;
                    }
                }
                if (answers.failed) {
                    // A query without an answer (timeout, SERVFAIL), even if the other one had one:
                    // keep what is known (both families), ask again soon.
                    schedule(key, r.valid() == null ? RETRY_MILLIS : Math.min(RETRY_MILLIS, r.valid().toMillis()));
                    return;
                }
                long ttlSeconds = answers.minTtlSeconds == Long.MAX_VALUE ? 10 : answers.minTtlSeconds; // no records: 10 s
                long ttl = r.valid() != null ? r.valid().toMillis() : Math.max(MIN_MILLIS, Math.min(MAX_MILLIS, ttlSeconds * 1000L));
                found(key, answers.addresses, ttl, r);
            });
        }
    }

    /** The addresses of one lookup (each query's records added as it comes back). */
    private static final class Answers {
        int outstanding;
        boolean failed;
        long minTtlSeconds = Long.MAX_VALUE;
        final List<InetSocketAddress> addresses = new ArrayList<>();

        Answers(int outstanding) {
            this.outstanding = outstanding;
        }

        void read(DnsResponse response, int port) {
            if (response.code() != DnsResponseCode.NOERROR && response.code() != DnsResponseCode.NXDOMAIN) {
                failed = true;
                return;
            }
            for (int i = 0; i < response.count(DnsSection.ANSWER); i++) {
                DnsRecord rec = response.recordAt(DnsSection.ANSWER, i);
                if ((rec.type() == DnsRecordType.A || rec.type() == DnsRecordType.AAAA) && rec instanceof DnsRawRecord raw) {
                    byte[] bytes = new byte[raw.content().readableBytes()];
                    raw.content().getBytes(raw.content().readerIndex(), bytes);
                    try {
                        addresses.add(new InetSocketAddress(InetAddress.getByAddress(bytes), port));
                        minTtlSeconds = Math.min(minTtlSeconds, rec.timeToLive());
                    } catch (UnknownHostException e) {
                        // a record of the wrong length: not an address
                    }
                }
            }
        }
    }

    private void found(Key key, List<InetSocketAddress> found, long nextMillis, ResolverConfig r) {
        synchronized (this) {
            if (closed || !wanted.contains(key)) {
                return; // the name left the configuration while it was being looked up
            }
        }
        List<InetSocketAddress> sorted = new ArrayList<>(found);
        sorted.sort(Comparator.comparing((InetSocketAddress a) -> a.getAddress().getHostAddress()));
        List<InetSocketAddress> before = known.put(key, List.copyOf(sorted));
        if (!sorted.equals(before)) {
            changes.execute(() -> apply(key));
        }
        schedule(key, nextMillis);
    }

    /** Applies the addresses now known for {@code key}'s upstream to the running configuration. */
    private void apply(Key key) {
        synchronized (proxy) {
            ProxyConfig running = proxy.runtime().config();
            UpstreamConfig u = running.upstreams().get(key.upstream());
            if (u == null || u.resolving().stream().noneMatch(l -> l.address().equals(key.address()))) {
                return; // a reload took the line away meanwhile
            }
            ProxyConfig next = fill(running);
            if (next == running) {
                return;
            }
            String why = proxy.reload(next);
            String name = key.address();
            if (why != null) {
                proxy.runtime().log().warn("upstream " + key.upstream() + ": the servers resolved for " + name
                        + " could not be applied: " + why);
            } else {
                proxy.runtime().log().warn("upstream " + key.upstream() + ": " + name + " resolves to "
                        + known.getOrDefault(key, List.of()).stream().map(a -> a.getAddress().getHostAddress() + ":" + a.getPort()).toList());
            }
        }
    }

    @Override
    public synchronized void close() {
        closed = true;
        pending.values().forEach(f -> f.cancel(false));
        pending.clear();
        if (dns != null) {
            dns.close();
        }
        changes.shutdownNow();
        dnsLoop.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }

    /** A server line's host and port (80 when it has none, as nginx's). */
    private record HostAndPort(String host, int port) {
        static HostAndPort of(String address) {
            if (address.startsWith("[")) {
                int end = address.indexOf(']');
                String host = address.substring(1, end);
                return new HostAndPort(host, end + 2 <= address.length() - 1 ? Integer.parseInt(address.substring(end + 2)) : 80);
            }
            int colon = address.lastIndexOf(':');
            return colon < 0 ? new HostAndPort(address, 80)
                    : new HostAndPort(address.substring(0, colon), Integer.parseInt(address.substring(colon + 1)));
        }
    }
}
