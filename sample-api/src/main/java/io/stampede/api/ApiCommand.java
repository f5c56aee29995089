package io.stampede.api;

import io.stampede.common.wire.ReadyLine;
import io.stampede.common.Cli;
import io.stampede.common.DurationConverter;
import io.stampede.common.Durations;
import io.stampede.common.Transport;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Clock;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.stampede.common.tls.Certificates;
import io.stampede.common.tls.PemFiles;
import io.stampede.common.tls.TlsEngine;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code stampede api}: runs the Market API. */
@Command(name = "api", mixinStandardHelpOptions = true, sortOptions = false, usageHelpAutoWidth = true,
        description = {
            "Run the Market API: a JWT-protected REST API with a realistic capacity model.",
            "",
            "Products, comments and token auth as in a Django REST Framework app, limited",
            "like a gunicorn app in front of a database: to load test and to balance.",
            "",
            "Capacity: --workers requests are handled at once, each holding its worker for",
            "--db-latency per query (plus the password hash on login), so one instance",
            "serves about workers/db-latency requests per second. Up to --max-queue more",
            "wait; beyond that requests get 503 with Retry-After.",
            ""},
        footer = {"",
            "Accounts: demo@market.test / demo-password, and user<N>@market.test /",
            "password<N> for N in 1..--accounts.",
            "Set MARKET_JWT_SECRET (or --jwt-secret) to the same value for every process",
            "behind one balancer.",
            "Admin (loopback only): GET /healthz, GET /_admin/stats, POST /_admin/stats/reset,",
            "GET|POST|DELETE /_admin/fault {\"latency\": \"50ms\", \"error_rate\": 0.1,",
            "  \"fail_health\": true, \"draining\": true}"})
public final class ApiCommand implements Callable<Integer> {
    static final String SECRET_ENV = "MARKET_JWT_SECRET";

    @Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = {"-p", "--port"}, paramLabel = "PORT", defaultValue = "8000",
            description = "Port of the first instance; further instances take the next ones. 0 picks free ports. Default: ${DEFAULT-VALUE}.")
    int port;

    @Option(names = "--bind", paramLabel = "ADDR", defaultValue = "127.0.0.1",
            description = "Address to listen on. Default: ${DEFAULT-VALUE}.")
    String bind;

    @Option(names = {"-n", "--instances"}, paramLabel = "N", defaultValue = "1",
            description = "Independent instances to start in this process (own port, workers, name; shared data and secret). Default: ${DEFAULT-VALUE}.")
    int instances;

    @Option(names = "--name", paramLabel = "NAME",
            description = "Instance name sent in X-Served-By and /healthz. Default: api-<port>; with several instances, NAME-1, NAME-2, ...")
    String name;

    @Option(names = {"-w", "--workers"}, paramLabel = "W", defaultValue = "8",
            description = "Request workers per instance, like gunicorn's. Default: ${DEFAULT-VALUE}.")
    int workers;

    @Option(names = "--db-latency", paramLabel = "DURATION", defaultValue = "10ms", converter = DurationConverter.class,
            description = "Simulated database time per query, held on the worker (e.g. 10ms, 0). Default: ${DEFAULT-VALUE}.")
    Duration dbLatency;

    @Option(names = "--max-queue", paramLabel = "Q", defaultValue = "64",
            description = "Requests that may wait for a worker; more are refused with 503. Default: ${DEFAULT-VALUE}.")
    int maxQueue;

    @Option(names = "--accounts", paramLabel = "N", defaultValue = "1000",
            description = "Seed accounts user1..userN@market.test. Default: ${DEFAULT-VALUE}.")
    int accounts;

    @Option(names = "--products", paramLabel = "N", defaultValue = "200",
            description = "Seed products, ids 1..N (each with 3 comments). Default: ${DEFAULT-VALUE}.")
    int products;

    @Option(names = "--access-ttl", paramLabel = "DURATION", defaultValue = "5m", converter = DurationConverter.class,
            description = "Access token lifetime. Default: ${DEFAULT-VALUE}.")
    Duration accessTtl;

    @Option(names = "--refresh-ttl", paramLabel = "DURATION", defaultValue = "1d", converter = DurationConverter.class,
            description = "Refresh token lifetime. Default: ${DEFAULT-VALUE}.")
    Duration refreshTtl;

    @Option(names = "--jwt-secret", paramLabel = "SECRET",
            description = "HS256 signing secret (at least 16 characters). Default: $" + SECRET_ENV + ", else random per process. Prefer the variable: flags show in ps.")
    String jwtSecret;

    @Option(names = "--hash-iterations", paramLabel = "N", defaultValue = "10000",
            description = "PBKDF2-SHA256 iterations per password hash (the CPU cost of a login). Default: ${DEFAULT-VALUE}.")
    int hashIterations;

    @Option(names = "--io-threads", paramLabel = "N", defaultValue = "0",
            description = "Network event-loop threads (0 = one per core). Default: ${DEFAULT-VALUE}.")
    int ioThreads;

    @Option(names = "--reuse-port",
            description = "Bind with SO_REUSEPORT, so several 'stampede api' processes serve one port and the kernel spreads"
                    + " connections over them (past one process's open-file limit). Each prints what it answered when it stops.")
    boolean reusePort;

    @Option(names = "--admin-remote",
            description = "Answer /_admin/ requests from any address, not only loopback.")
    boolean adminRemote;

    @Option(names = "--shutdown-grace", paramLabel = "DURATION", defaultValue = "10s",
            converter = io.stampede.common.DurationConverter.class,
            description = "On SIGTERM, how long requests in flight may take to finish. Default: ${DEFAULT-VALUE}.")
    java.time.Duration shutdownGrace;

    @Option(names = "--tls",
            description = "Serve HTTPS. With --tls-cert and --tls-key their certificate; else a self-signed one for"
                    + " localhost and 127.0.0.1, made at start, whose PEM file is named on the console for clients to trust.")
    boolean tls;

    @Option(names = "--tls-port", paramLabel = "PORT",
            description = "Also serve HTTPS on PORT (instance i on PORT+i; 0 picks free ports), beside HTTP on --port: the same"
                    + " instance behind both, as an nginx server with two listen lines. Certificate as for --tls.")
    Integer tlsPort;

    @Option(names = "--tls-cert", paramLabel = "FILE", description = "PEM certificate chain for --tls (the server's first).")
    java.nio.file.Path tlsCert;

    @Option(names = "--tls-key", paramLabel = "FILE", description = "PEM private key of --tls-cert.")
    java.nio.file.Path tlsKey;

    @Option(names = "--seed", paramLabel = "N", defaultValue = "1",
            description = "Seed for the generated products and comments. Default: ${DEFAULT-VALUE}.")
    long seed;

    @Override
    public Integer call() throws Exception {
        validate();
        byte[] secret = secret();
        MarketData.Options options = new MarketData.Options(products, 3, accounts, hashIterations, accessTtl, refreshTtl);
        MarketData data = MarketData.create(options, secret, Clock.systemUTC(), new Random(seed));
        SslContext serverTls = tls || tlsPort != null || tlsCert != null || tlsKey != null ? serverTls() : null;
        // --tls: HTTPS on --port; --tls-port: HTTP on --port and HTTPS on the TLS port.
        SslContext onPort = tlsPort == null ? serverTls : null;
        MarketApi api = new MarketApi(data, ioThreads);
        if (reusePort) {
            try {
                api.reusePort(true);
            } catch (IllegalStateException e) {
                System.err.println("stampede api: " + e.getMessage());
                return 2;
            }
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            // SIGTERM / Ctrl-C: requests in flight are answered first (up to the grace period).
            if (!api.close(shutdownGrace)) {
                System.err.println("stampede api: stopped with requests still in flight after " + Durations.format(shutdownGrace));
            }
            if (reusePort) {
                api.summaries().forEach(line -> System.out.println("stampede api: " + line));
                System.out.flush();
            }
            stopped.countDown();
        }, "market-shutdown"));
        List<MarketApi.Instance> started = new ArrayList<>();
        for (int i = 0; i < instances; i++) {
            int instancePort = port == 0 ? 0 : port + i;
            String instanceName = name == null ? null : instances == 1 ? name : name + "-" + (i + 1);
            try {
                started.add(api.start(new ApiSettings(bind, instancePort, instanceName, workers, dbLatency, maxQueue, adminRemote),
                        onPort));
            } catch (Exception e) {
                System.err.println("stampede api: cannot listen on " + bind + ":" + instancePort + ": " + e.getMessage());
                return 1;
            }
        }
        if (tlsPort != null) {
            for (int i = 0; i < instances; i++) {
                int p = tlsPort == 0 ? 0 : tlsPort + i;
                try {
                    started.add(api.alsoListen(started.get(i), p, serverTls));
                } catch (Exception e) {
                    System.err.println("stampede api: cannot listen on " + bind + ":" + p + " (--tls-port): " + e.getMessage());
                    return 1;
                }
            }
        }
        for (MarketApi.Instance s : started) {
            System.out.printf("Market API %s listening on %s (workers=%d, db-latency=%s, max-queue=%d, %s)%n",
                    s.name(), s.url(), workers, Durations.format(dbLatency), maxQueue, Transport.name());
        }
        if (serverTls != null) {
            System.out.println(tlsNotice);
        }
        System.out.println(secretNotice());
        System.out.flush();
        ReadyLine.of("api", "listening", started.stream().map(MarketApi.Instance::url).toList(), null).announce(System.out);
        stopped.await();
        return 0;
    }

    private void validate() {
        CommandLine cmd = spec.commandLine();
        check(cmd, port >= 0 && port <= 65535 && port + instances - 1 <= 65535, "--port", String.valueOf(port),
                "a port from 0 to 65535 (with room for every instance)");
        check(cmd, instances >= 1 && instances <= 64, "--instances", String.valueOf(instances), "1 to 64");
        if (tlsPort != null) {
            check(cmd, tlsPort >= 0 && tlsPort + instances - 1 <= 65535, "--tls-port", String.valueOf(tlsPort),
                    "a port from 0 to 65535 (with room for every instance)");
            if (tls) {
                throw Cli.badValue(cmd, "give --tls (HTTPS on --port) or --tls-port (HTTPS on its own port beside HTTP), not both");
            }
        }
        check(cmd, workers >= 1 && workers <= 100_000, "--workers", String.valueOf(workers), "1 to 100000");
        check(cmd, maxQueue >= 0, "--max-queue", String.valueOf(maxQueue), "0 or more");
        check(cmd, accounts >= 0, "--accounts", String.valueOf(accounts), "0 or more");
        check(cmd, products >= 0 && products <= 1_000_000, "--products", String.valueOf(products), "0 to 1000000");
        check(cmd, hashIterations >= 1 && hashIterations <= 10_000_000, "--hash-iterations", String.valueOf(hashIterations), "1 to 10000000");
        check(cmd, ioThreads >= 0 && ioThreads <= 256, "--io-threads", String.valueOf(ioThreads), "0 to 256");
        check(cmd, !accessTtl.isZero(), "--access-ttl", Durations.format(accessTtl), "a positive duration");
        check(cmd, !refreshTtl.isZero(), "--refresh-ttl", Durations.format(refreshTtl), "a positive duration");
        check(cmd, dbLatency.compareTo(Duration.ofMinutes(1)) <= 0, "--db-latency", Durations.format(dbLatency), "at most 1m");
        if (jwtSecret != null) {
            // Never echo a secret back, not even a wrong one.
            check(cmd, jwtSecret.length() >= 16, "--jwt-secret", "(hidden, " + jwtSecret.length() + " characters)", "at least 16 characters");
        }
    }

    /** What the console says about the certificate: its file, and for a made one how to trust it. */
    private String tlsNotice;

    /** The server context for --tls: from the files given, or a self-signed certificate made now. */
    private SslContext serverTls() throws java.io.IOException {
        CommandLine cmd = spec.commandLine();
        if ((tlsCert == null) != (tlsKey == null)) {
            throw Cli.badValue(cmd, (tlsCert == null ? "--tls-key" : "--tls-cert") + " was given without "
                    + (tlsCert == null ? "--tls-cert" : "--tls-key") + " (expected both, or neither for a self-signed certificate)");
        }
        java.util.List<java.security.cert.X509Certificate> chain;
        java.security.PrivateKey key;
        if (tlsCert != null) {
            try {
                chain = PemFiles.certificates(tlsCert);
                key = PemFiles.privateKey(tlsKey);
            } catch (IllegalArgumentException e) {
                throw Cli.badValue(cmd, "--tls-cert/--tls-key: " + e.getMessage());
            }
            tlsNotice = TlsEngine.describe() + "; certificate " + tlsCert;
        } else {
            Certificates.Issued made = Certificates.selfSigned(List.of("localhost", "127.0.0.1"));
            java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("stampede-api-tls");
            java.nio.file.Path pem = dir.resolve("localhost.crt");
            java.nio.file.Files.writeString(pem, Certificates.pem(made.certificate()));
            chain = List.of(made.certificate());
            key = made.key();
            tlsNotice = TlsEngine.describe() + "; a self-signed certificate for localhost and 127.0.0.1, made now;"
                    + " trust it with curl --cacert " + pem;
        }
        try {
            return SslContextBuilder.forServer(key, chain.toArray(java.security.cert.X509Certificate[]::new))
                    .sslProvider(TlsEngine.provider()).protocols("TLSv1.2", "TLSv1.3").build();
        } catch (javax.net.ssl.SSLException | IllegalArgumentException e) {
            throw Cli.badValue(cmd, "--tls-cert/--tls-key: the TLS library refused them: " + e.getMessage());
        }
    }

    private static void check(CommandLine cmd, boolean ok, String flag, String value, String expected) {
        if (!ok) {
            throw Cli.badValue(cmd, "invalid value for " + flag + ": " + value + " (expected " + expected + ")");
        }
    }

    private byte[] secret() {
        String s = jwtSecret != null ? jwtSecret : System.getenv(SECRET_ENV);
        if (s != null && !s.isEmpty()) {
            if (s.length() < 16) {
                throw Cli.badValue(spec.commandLine(), SECRET_ENV + " is too short (expected at least 16 characters)");
            }
            return s.getBytes(StandardCharsets.UTF_8);
        }
        byte[] random = new byte[32];
        new SecureRandom().nextBytes(random);
        return random;
    }

    private String secretNotice() {
        if (jwtSecret != null) {
            return "JWT secret: from --jwt-secret (shared by the instances of this process)";
        }
        if (System.getenv(SECRET_ENV) != null && !System.getenv(SECRET_ENV).isEmpty()) {
            return "JWT secret: from $" + SECRET_ENV;
        }
        return "JWT secret: random for this process; set $" + SECRET_ENV + " to share tokens with other processes";
    }
}
