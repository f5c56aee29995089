package io.stampede.balancer.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.ssl.SslHandler;
import io.stampede.balancer.config.UpstreamSsl;
import io.stampede.balancer.tls.UpstreamTls;
import io.stampede.common.tls.Certificates;
import io.stampede.common.tls.PemFiles;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** proxy_pass https:// and the proxy_ssl_* directives, against the JDK's HTTPS server. */
class UpstreamTlsTest {
    @TempDir
    Path dir;
    private Certificates.Issued ca;
    private TlsUpstream upstream;
    private final List<AutoCloseable> closing = new ArrayList<>();

    @BeforeEach
    void certificates() throws Exception {
        ca = Certificates.authority("Stampede Upstream CA");
        Files.writeString(dir.resolve("ca.crt"), Certificates.pem(ca.certificate()));
        Certificates.Issued other = Certificates.authority("Someone Else");
        Files.writeString(dir.resolve("other-ca.crt"), Certificates.pem(other.certificate()));
        Certificates.signed(ca, "alice", List.of(), "EC", Duration.ofDays(1)).write(dir.resolve("alice.crt"), dir.resolve("alice.key"));
        Certificates.signed(ca, "bob", List.of(), "RSA", Duration.ofDays(1)).write(dir.resolve("bob.crt"), dir.resolve("bob.key"));
        upstream = new TlsUpstream(Certificates.signed(ca, "api.internal", List.of("api.internal", "*.svc.internal"), "EC",
                Duration.ofDays(1)), ca.certificate());
        closing.add(upstream);
    }

    @AfterEach
    void stop() throws Exception {
        for (AutoCloseable c : closing) {
            c.close();
        }
    }

    private TestProxy proxy(String yaml) throws Exception {
        TestProxy p = new TestProxy(yaml.replace("CA", dir.resolve("ca.crt").toString())
                .replace("OTHER", dir.resolve("other-ca.crt").toString())
                .replace("DIR", dir.toString()));
        closing.add(0, p);
        return p;
    }

    private String pool() {
        return "upstreams:\n  pool:\n    keepalive: 8\n    servers: [\"" + upstream.address() + "\"]\n";
    }

    @Test
    void proxiesOverTlsAndKeepsTheConnectionForTheNextRequest() throws Exception {
        TestProxy p = proxy("locations:\n  /:\n    proxy_pass: https://pool\n" + pool());
        HttpResponse<String> first = p.get("/one");
        HttpResponse<String> second = p.get("/two");
        assertThat(first.statusCode()).isEqualTo(200);
        assertThat(second.statusCode()).isEqualTo(200);
        // nginx's defaults: no verification, no SNI, no client certificate
        assertThat(first.body()).startsWith("sni=- client=- port=");
        assertThat(upstream.requests()).extracting(TlsUpstream.Seen::path).containsExactly("/one", "/two");
        assertThat(upstream.requests()).extracting(TlsUpstream.Seen::clientPort).as("one pooled TLS connection").hasSize(2)
                .containsOnly(upstream.requests().get(0).clientPort());
    }

    @Test
    void verifiesTheChainAndTheNameAgainstTheTrustedCas() throws Exception {
        TestProxy p = proxy("proxy_ssl_verify: on\nproxy_ssl_trusted_certificate: CA\n"
                + "locations:\n"
                + "  /good/:\n    proxy_pass: https://pool\n    proxy_ssl_name: api.internal\n"
                + "  /wildcard/:\n    proxy_pass: https://pool\n    proxy_ssl_name: orders.svc.internal\n"
                + "  /wrong-name/:\n    proxy_pass: https://pool\n    proxy_ssl_name: evil.example\n"
                + "  /deep-wildcard/:\n    proxy_pass: https://pool\n    proxy_ssl_name: a.b.svc.internal\n"
                + "  /wrong-ca/:\n    proxy_pass: https://pool\n    proxy_ssl_name: api.internal\n    proxy_ssl_trusted_certificate: OTHER\n"
                + "  /unchecked/:\n    proxy_pass: https://pool\n    proxy_ssl_verify: off\n"
                + pool());
        assertThat(p.get("/good/x").statusCode()).isEqualTo(200);
        assertThat(p.get("/wildcard/x").statusCode()).isEqualTo(200);
        assertThat(p.get("/wrong-name/x").statusCode()).isEqualTo(502);
        assertThat(p.get("/deep-wildcard/x").statusCode()).as("a * matches one label only").isEqualTo(502);
        assertThat(p.get("/wrong-ca/x").statusCode()).isEqualTo(502);
        assertThat(p.get("/unchecked/x").statusCode()).isEqualTo(200);
        assertThat(upstream.requests()).extracting(TlsUpstream.Seen::path).containsExactly("/good/x", "/wildcard/x", "/unchecked/x");
    }

    @Test
    void aFailedHandshakeIsLoggedInNginxWords() throws Exception {
        UpstreamSsl strict = new UpstreamSsl(true, PemFiles.certificates(dir.resolve("ca.crt")), 1, false, null, null,
                UpstreamSsl.DEFAULT.protocols(), UpstreamSsl.DEFAULT.ciphers(), true);
        UpstreamSsl stranger = new UpstreamSsl(true, PemFiles.certificates(dir.resolve("other-ca.crt")), 1, false, null, null,
                UpstreamSsl.DEFAULT.protocols(), UpstreamSsl.DEFAULT.ciphers(), true);
        assertThat(handshake(UpstreamTls.build(strict, "api.internal"))).isNull();
        assertThat(handshake(UpstreamTls.build(strict, "evil.example")))
                .isEqualTo("upstream SSL certificate does not match \"evil.example\"");
        assertThat(handshake(UpstreamTls.build(stranger, "api.internal")))
                .isEqualTo("upstream SSL certificate verify error: (unable to get local issuer certificate)");
    }

    @Test
    void verifyDepthCountsTheIntermediatesAsOpenSslDoes() throws Exception {
        Certificates.Issued intermediate = Certificates.intermediate(ca, "Stampede Issuing CA");
        try (TlsUpstream chained = new TlsUpstream(Certificates.signed(intermediate, "api.internal", List.of("api.internal"),
                "EC", Duration.ofDays(1)), List.of(intermediate.certificate()), null)) {
            // depth 0: the trusted CA must have signed the server's certificate itself
            assertThat(handshake(UpstreamTls.build(verifying(0), "api.internal"), upstream.port())).isNull();
            assertThat(handshake(UpstreamTls.build(verifying(0), "api.internal"), chained.port()))
                    .isEqualTo("upstream SSL certificate verify error: (certificate chain too long)");
            // depth 1 (the default): one intermediate between them
            assertThat(handshake(UpstreamTls.build(verifying(1), "api.internal"), chained.port())).isNull();
        }
    }

    private UpstreamSsl verifying(int depth) {
        return new UpstreamSsl(true, PemFiles.certificates(dir.resolve("ca.crt")), depth, false, null, null,
                UpstreamSsl.DEFAULT.protocols(), UpstreamSsl.DEFAULT.ciphers(), true);
    }

    @Test
    void aServerWhoseCertificateFailsIsAnErrorAndTheNextServerAnswers() throws Exception {
        try (TlsUpstream stranger = new TlsUpstream(Certificates.signed(Certificates.authority("Someone Else"), "api.internal",
                List.of("api.internal"), "EC", Duration.ofDays(1)), null)) {
            TestProxy p = proxy("proxy_ssl_verify: on\nproxy_ssl_trusted_certificate: CA\nproxy_ssl_name: api.internal\n"
                    + "locations:\n  /:\n    proxy_pass: https://pool\n"
                    + "upstreams:\n  pool:\n    servers: [\"127.0.0.1:" + stranger.port() + " max_fails=1 fail_timeout=60s\", \""
                    + upstream.address() + "\"]\n");
            for (int i = 0; i < 4; i++) {
                assertThat(p.get("/r" + i).statusCode()).isEqualTo(200);
            }
            assertThat(stranger.requests()).isEmpty();
            assertThat(upstream.requests()).hasSize(4);
        }
    }

    /** A bare handshake with the upstream: null when it succeeds, else what the proxy would log. */
    private String handshake(UpstreamTls tls) throws Exception {
        return handshake(tls, upstream.port());
    }

    private String handshake(UpstreamTls tls, int port) throws Exception {
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        try {
            InetSocketAddress address = new InetSocketAddress("127.0.0.1", port);
            SslHandler[] handler = new SslHandler[1];
            Channel ch = new Bootstrap().group(group).channel(NioSocketChannel.class).handler(new ChannelInitializer<Channel>() {
                @Override
                protected void initChannel(Channel c) {
                    handler[0] = tls.newHandler(c.alloc(), address, Duration.ofSeconds(5));
                    c.pipeline().addLast(handler[0]);
                }
            }).connect(address).sync().channel();
            var done = handler[0].handshakeFuture().await();
            ch.close().sync();
            return done.isSuccess() ? null : UpstreamTls.describe(done.cause());
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }

    @Test
    void proxySslCiphersDecidesWhatTheUpstreamNegotiates() throws Exception {
        TestProxy p = proxy("locations:\n  /:\n    proxy_pass: https://pool\n    proxy_ssl_protocols: TLSv1.2\n"
                + "    proxy_ssl_ciphers: ECDHE-ECDSA-AES128-SHA\n" + pool());
        assertThat(p.get("/").body()).endsWith(" cipher=TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA");
    }

    /**
     * First law over TLS: a server that answers with a second, unasked-for response (in the same
     * TLS record, or in one of its own) on a pooled connection must not have it reach the next
     * request; the connection is closed, not reused.
     */
    @Test
    void surplusBytesOnAPooledTlsConnectionNeverReachTheNextRequest() throws Exception {
        String smuggled = "HTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\nsmuggled";
        javax.net.ssl.SSLContext tls = TlsUpstream.serverContext(Certificates.signed(ca, "api.internal", List.of("api.internal"), "EC",
                Duration.ofDays(1)), List.of(), null);
        try (ScriptedUpstream together = new ScriptedUpstream(line -> line.contains("/first")
                ? ScriptedUpstream.Reply.of("HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nok:/first" + smuggled, ScriptedUpstream.After.KEEP)
                : null, tls);
             ScriptedUpstream apart = new ScriptedUpstream(line -> line.contains("/first")
                ? new ScriptedUpstream.Reply(List.of("HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nok:/first".getBytes(),
                        smuggled.getBytes()), ScriptedUpstream.After.KEEP)
                : null, tls)) {
            for (ScriptedUpstream server : List.of(together, apart)) {
                TestProxy p = proxy("locations:\n  /:\n    proxy_pass: https://smuggler\n"
                        + "upstreams:\n  smuggler:\n    keepalive: 8\n    servers: [\"" + server.address() + "\"]\n");
                assertThat(p.get("/first").body()).isEqualTo("ok:/first");
                // The surplus has to reach the proxy before the next request leaves on that
                // connection: bytes that come after it are its answer to any proxy (nginx too).
                // The server writes the second part on its own, so the test waits until the
                // proxy has seen it and closed the connection (CI once sent the next request first).
                Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> server.openConnections() == 0);
                for (int i = 0; i < 5; i++) {
                    assertThat(p.get("/next" + i).body()).isEqualTo("ok:/next" + i);
                }
            }
        }
    }

    @Test
    void sendsTheServerNameOnlyWhenAsked() throws Exception {
        TestProxy p = proxy("locations:\n"
                + "  /quiet/:\n    proxy_pass: https://pool\n    proxy_ssl_name: api.internal\n"
                + "  /named/:\n    proxy_pass: https://pool\n    proxy_ssl_server_name: on\n    proxy_ssl_name: api.internal\n"
                + "  /default-name/:\n    proxy_pass: https://pool\n    proxy_ssl_server_name: on\n"
                + pool());
        assertThat(p.get("/quiet/").body()).startsWith("sni=- ");
        assertThat(p.get("/named/").body()).startsWith("sni=api.internal ");
        assertThat(p.get("/default-name/").body()).as("$proxy_host, the upstream's name").startsWith("sni=pool ");
    }

    @Test
    void eachClientCertificateHasItsOwnPooledConnections() throws Exception {
        TestProxy p = proxy("locations:\n"
                + "  /alice/:\n    proxy_pass: https://pool\n    proxy_ssl_certificate: DIR/alice.crt\n    proxy_ssl_certificate_key: DIR/alice.key\n"
                + "  /bob/:\n    proxy_pass: https://pool\n    proxy_ssl_certificate: DIR/bob.crt\n    proxy_ssl_certificate_key: DIR/bob.key\n"
                + "  /anonymous/:\n    proxy_pass: https://pool\n"
                + pool());
        for (int i = 0; i < 3; i++) {
            assertThat(p.get("/alice/" + i).body()).contains("client=CN=alice ");
            assertThat(p.get("/bob/" + i).body()).contains("client=CN=bob ");
            assertThat(p.get("/anonymous/" + i).body()).contains("client=- ");
        }
        // Three identities, three connections, each reused: a pooled connection never changes hands.
        assertThat(upstream.requests().stream().map(TlsUpstream.Seen::clientPort).distinct()).hasSize(3);
    }

    @Test
    void aHandshakeThatNeverEndsTimesOutAtTheConnectTimeout() throws Exception {
        try (ServerSocket silent = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
            List<Socket> accepted = new ArrayList<>();
            Thread acceptor = new Thread(() -> {
                try {
                    while (true) {
                        accepted.add(silent.accept()); // and never a byte back
                    }
                } catch (Exception e) {
                    // closed
                }
            });
            acceptor.start();
            TestProxy p = proxy("proxy_connect_timeout: 300ms\nlocations:\n  /:\n    proxy_pass: https://127.0.0.1:" + silent.getLocalPort() + "\n");
            long started = System.nanoTime();
            assertThat(p.get("/").statusCode()).isEqualTo(504);
            // one proxy_connect_timeout for the connect and the handshake together, as nginx
            assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(2));
            silent.close();
            acceptor.join(5_000);
            for (Socket s : accepted) {
                s.close();
            }
        }
    }

    @Test
    void tlsToAServerThatSpeaksPlainHttpIsABadGateway() throws Exception {
        TestBackends plain = new TestBackends("a");
        closing.add(plain);
        TestProxy p = proxy("locations:\n  /:\n    proxy_pass: https://plain\n"
                + "upstreams:\n  plain:\n    servers: [\"" + plain.address("a") + "\"]\n");
        assertThat(p.get("/").statusCode()).isEqualTo(502);
    }

    @Test
    void healthChecksSpeakTlsAsTheLocationDoes() throws Exception {
        proxy("locations:\n  /:\n    proxy_pass: https://pool\n    proxy_ssl_verify: on\n    proxy_ssl_trusted_certificate: CA\n"
                + "    proxy_ssl_name: api.internal\n    health_check: interval=100ms uri=/health\n" + pool());
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> upstream.requests().stream()
                .anyMatch(s -> s.path().equals("/health") && "stampede-health-check".equals(s.userAgent())));
    }
}
