package io.stampede.balancer.tls;

import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.NotSslRecordException;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;
import io.netty.util.NetUtil;
import io.stampede.balancer.config.UpstreamSsl;
import io.stampede.common.tls.TlsEngine;
import java.net.InetSocketAddress;
import java.security.cert.CertificateException;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.X509TrustManager;

/**
 * TLS to upstream servers for one set of {@code proxy_ssl_*} directives and one
 * {@code proxy_ssl_name}: a client context built once, and a handler per connection.
 *
 * <p>Sessions are kept per server address (nginx keeps one per peer), so a new connection to a
 * server resumes its last session; {@code proxy_ssl_session_reuse off} keeps none. Connections made
 * with one UpstreamTls are pooled apart from others ({@link #identity()}): a connection opened
 * with one client certificate, or one name checked, never carries another location's requests.
 */
public final class UpstreamTls {
    private static final AtomicInteger IDS = new AtomicInteger();

    private final SslContext context;
    private final UpstreamSsl settings;
    private final String name;
    private final SNIHostName sni;
    private final String identity;

    private final boolean http2;

    private UpstreamTls(SslContext context, UpstreamSsl settings, String name, SNIHostName sni, boolean http2) {
        this.http2 = http2;
        this.context = context;
        this.settings = settings;
        this.name = name;
        this.sni = sni;
        this.identity = "tls#" + IDS.incrementAndGet();
    }

    /**
     * @param name the name to send (with {@code proxy_ssl_server_name on}) and check (with
     *     {@code proxy_ssl_verify on})
     * @throws IllegalArgumentException naming the directive the TLS library refuses
     */
    public static UpstreamTls build(UpstreamSsl s, String name) {
        return build(s, name, false);
    }

    /**
     * @param http2 offer only h2 by ALPN (HTTP/2 to the servers); otherwise offer nothing, as
     *     nginx's proxy does, and speak HTTP/1.1
     */
    public static UpstreamTls build(UpstreamSsl s, String name, boolean http2) {
        SslProvider provider = TlsEngine.provider();
        SslContextBuilder b = SslContextBuilder.forClient()
                .sslProvider(provider)
                // The name is checked by ServerCertificates, as nginx checks it: not the engine's way.
                .endpointIdentificationAlgorithm(null)
                .trustManager(new ServerCertificates(s, name))
                .protocols(s.protocols());
        if (http2) {
            b.applicationProtocolConfig(new ApplicationProtocolConfig(ApplicationProtocolConfig.Protocol.ALPN,
                    ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
                    ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT, ApplicationProtocolNames.HTTP_2));
        }
        if (s.certificate() != null) {
            b.keyManager(s.certificate().key(), s.certificate().chain().toArray(X509Certificate[]::new));
        }
        try {
            Ciphers.apply(b, s.ciphers(), UpstreamSsl.DEFAULT.ciphers(), s.protocols(), provider);
            SNIHostName sni = s.serverName() && !isAddress(name)
                    ? new SNIHostName(name.getBytes(java.nio.charset.StandardCharsets.US_ASCII)) : null;
            return new UpstreamTls(b.build(), s, name, sni, http2);
        } catch (SSLException | IllegalArgumentException e) {
            throw new IllegalArgumentException("the TLS library refused the proxy_ssl_* settings (proxy_ssl_name "
                    + name + "): " + e.getMessage(), e);
        }
    }

    /** As RFC 6066 says and nginx does: an address is never sent as a server name. */
    private static boolean isAddress(String name) {
        return NetUtil.isValidIpV4Address(name) || NetUtil.isValidIpV6Address(name);
    }

    /**
     * The handler for one new connection to {@code peer}; its handshake must end within
     * {@code handshakeTimeout} (nginx gives it proxy_connect_timeout again).
     */
    public SslHandler newHandler(ByteBufAllocator alloc, InetSocketAddress peer, Duration handshakeTimeout) {
        SslHandler h = settings.sessionReuse()
                ? context.newHandler(alloc, peer.getAddress().getHostAddress(), peer.getPort())
                : context.newHandler(alloc);
        if (sni != null) {
            SSLEngine engine = h.engine();
            SSLParameters p = engine.getSSLParameters();
            p.setServerNames(List.of(sni));
            engine.setSSLParameters(p);
        }
        h.setHandshakeTimeoutMillis(Math.max(1, handshakeTimeout.toMillis()));
        return h;
    }

    /** Whether connections made with this TLS speak HTTP/2 (h2 offered, and required, by ALPN). */
    public boolean http2() {
        return http2;
    }

    /** Tells pooled connections of this TLS apart from others (and from cleartext ones). */
    public String identity() {
        return identity;
    }

    /**
     * The key of {@code upstream}'s idle connections made with this TLS: made once per upstream,
     * not per request (a pool is looked up twice a request).
     */
    public String poolKey(String upstream) {
        return poolKeys.computeIfAbsent(upstream, u -> u + '\0' + identity);
    }

    private final java.util.concurrent.ConcurrentHashMap<String, String> poolKeys = new java.util.concurrent.ConcurrentHashMap<>();

    public String name() {
        return name;
    }

    /**
     * The server's certificate, judged as nginx does with {@code proxy_ssl_verify on}: its chain
     * against {@code proxy_ssl_trusted_certificate} within {@code proxy_ssl_verify_depth}, then the
     * name. With verification off, any certificate is taken (nginx's default).
     */
    private static final class ServerCertificates implements X509TrustManager {
        private final boolean verify;
        private final Set<TrustAnchor> anchors = new HashSet<>();
        private final int depth;
        private final String name;

        ServerCertificates(UpstreamSsl s, String name) {
            this.verify = s.verify();
            this.depth = s.verifyDepth();
            this.name = name;
            for (X509Certificate ca : s.trusted()) {
                anchors.add(new TrustAnchor(ca, null));
            }
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            if (!verify) {
                return;
            }
            String failure = Chains.failure(chain, anchors, depth);
            if (failure != null) {
                throw new CertificateException(VERIFY_ERROR + "(" + failure + ")");
            }
            if (!HostNames.matches(chain[0], name)) {
                throw new CertificateException("upstream SSL certificate does not match \"" + name + "\"");
            }
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            throw new CertificateException("a client-side trust manager");
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
        }
    }

    private static final String VERIFY_ERROR = "upstream SSL certificate verify error: ";

    /**
     * What to log for a failed handshake: our verdict on the certificate when that was the
     * cause (as nginx logs it), else the TLS library's words.
     */
    public static String describe(Throwable handshakeFailure) {
        for (Throwable t = handshakeFailure; t != null; t = t.getCause()) {
            String m = t.getMessage();
            if (m != null && (m.contains(VERIFY_ERROR) || m.contains("upstream SSL certificate does not match"))) {
                int at = m.indexOf("upstream SSL certificate");
                return m.substring(at);
            }
        }
        if (handshakeFailure instanceof NotSslRecordException || handshakeFailure.getCause() instanceof NotSslRecordException) {
            return "SSL_do_handshake() failed (wrong version number: the server does not answer in TLS)";
        }
        String m = String.valueOf(handshakeFailure.getMessage());
        return "SSL_do_handshake() failed (" + (m.length() > 200 ? m.substring(0, 200) + "..." : m) + ")";
    }
}
