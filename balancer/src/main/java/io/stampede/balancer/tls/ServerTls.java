package io.stampede.balancer.tls;

import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelHandler;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.OpenSslSessionContext;
import io.netty.handler.ssl.ReferenceCountedOpenSslContext;
import io.netty.handler.ssl.ReferenceCountedOpenSslEngine;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;
import io.netty.internal.tcnative.SSL;
import io.netty.internal.tcnative.SSLContext;
import io.stampede.balancer.config.SslSettings;
import io.stampede.common.tls.TlsEngine;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;

/**
 * TLS for the listeners marked {@code ssl}: one context built from {@link SslSettings} at start,
 * a handler per accepted connection. Client certificates, when asked for, are taken whatever they
 * are and judged after the handshake by {@link ClientCertificates}, because nginx answers a bad
 * or missing one with an HTTP 400 page, not with a failed handshake.
 */
public final class ServerTls {
    /** The pipeline name of the TLS handler (or of the handler that will choose it). */
    public static final String HANDLER = "tls";

    /** One context per certificate pair: the ECDSA one first when there are two. */
    private final List<SslContext> contexts;
    /** Each context's stapled OCSP response (ssl_stapling_file), or null; in the contexts' order. */
    /** Per context: the OCSP response to staple now (a file's, or the responder's latest), or null for none. */
    private final List<java.util.function.Supplier<byte[]>> staples;
    private final SslSettings settings;
    private final ClientCertificates clientCertificates;

    private ServerTls(List<SslContext> contexts, List<java.util.function.Supplier<byte[]>> staples, SslSettings settings, ClientCertificates clientCertificates) {
        this.contexts = contexts;
        this.staples = staples;
        this.settings = settings;
        this.clientCertificates = clientCertificates;
    }

    /** TLS for HTTP/1.1 only: ALPN offers http/1.1. */
    public static ServerTls build(SslSettings s) {
        return build(s, false);
    }

    /**
     * @param http2 whether ALPN offers h2 (preferred) beside http/1.1
     * @throws IllegalArgumentException naming the directive whose value the TLS library refuses
     */
    public static ServerTls build(SslSettings s, boolean http2) {
        SslProvider provider = TlsEngine.provider();
        ClientCertificates clients = s.verifyClient().asks()
                ? new ClientCertificates(s.clientCas(), s.trustedCas(), s.verifyClient(), s.verifyDepth()) : null;
        List<SslSettings.CertifiedKey> pairs = new ArrayList<>(s.certificates());
        pairs.sort(java.util.Comparator.comparing(k -> k.key().getAlgorithm().equals("EC") ? 0 : 1));
        List<SslContext> contexts = new ArrayList<>();
        List<java.util.function.Supplier<byte[]>> staples = new ArrayList<>();
        for (SslSettings.CertifiedKey pair : pairs) {
            contexts.add(context(s, pair, provider, clients, http2));
            if (pair.ocspFetch() != null) {
                staples.add(new OcspStapler(pair.chain().get(0), pair.ocspFetch(), java.time.Clock.systemUTC())::current);
            } else {
                byte[] der = pair.ocspResponse();
                staples.add(der == null ? null : () -> der);
            }
        }
        return new ServerTls(List.copyOf(contexts), java.util.Collections.unmodifiableList(staples), s, clients);
    }

    private static SslContext context(SslSettings s, SslSettings.CertifiedKey pair, SslProvider provider,
                                      ClientCertificates clients, boolean http2) {
        SslContextBuilder b = SslContextBuilder.forServer(pair.key(), pair.chain().toArray(X509Certificate[]::new))
                .sslProvider(provider)
                // A client that offers none of these gets no ALPN answer and speaks HTTP/1.1, as with nginx.
                .applicationProtocolConfig(new ApplicationProtocolConfig(ApplicationProtocolConfig.Protocol.ALPN,
                        ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
                        ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT,
                        http2 ? List.of(ApplicationProtocolNames.HTTP_2, ApplicationProtocolNames.HTTP_1_1)
                                : List.of(ApplicationProtocolNames.HTTP_1_1)))
                .protocols(s.protocols())
                .enableOcsp(pair.staples())
                .sessionTimeout(s.sessionTimeout().toSeconds());
        if (s.sessionCacheSize() > 0) {
            b.sessionCacheSize(s.sessionCacheSize());
        }
        try {
            Ciphers.apply(b, s.ciphers(), SslSettings.DEFAULT_CIPHERS, s.protocols(), provider);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("ssl_ciphers '" + s.ciphers() + "': " + e.getMessage(), e);
        }
        if (clients != null) {
            b.clientAuth(ClientAuth.OPTIONAL).trustManager(clients.trustManager());
        }
        SslContext ctx;
        try {
            ctx = b.build();
        } catch (javax.net.ssl.SSLException | RuntimeException e) {
            throw new IllegalArgumentException("the TLS library refused the ssl_* settings for " + pair.source() + ": "
                    + e.getMessage(), e);
        }
        if (ctx instanceof ReferenceCountedOpenSslContext native_) {
            tune(native_, s);
        }
        return ctx;
    }

    /**
     * Session tickets and server cipher preference have no setter in Netty; tcnative's own calls
     * set them on the context's native handle (Netty's protected {@code ctx}; its public
     * {@code sslCtxPointer()} is the bare SSL_CTX, which tcnative's calls do not take).
     */
    private static void tune(ReferenceCountedOpenSslContext ctx, SslSettings s) {
        long ptr = nativeHandle(ctx);
        if (!s.sessionTickets()) {
            SSLContext.setOptions(ptr, SSL.SSL_OP_NO_TICKET);
        }
        if (s.preferServerCiphers()) {
            SSLContext.setOptions(ptr, SSL.SSL_OP_CIPHER_SERVER_PREFERENCE);
        } else {
            SSLContext.clearOptions(ptr, SSL.SSL_OP_CIPHER_SERVER_PREFERENCE);
        }
        if (s.sessionCacheSize() == 0) {
            // nginx's "none"/"off": no sessions kept by id; tickets, when on, still resume.
            ((OpenSslSessionContext) ctx.sessionContext()).setSessionCacheEnabled(false);
        }
    }

    private static long nativeHandle(ReferenceCountedOpenSslContext ctx) {
        try {
            java.lang.reflect.Field f = ReferenceCountedOpenSslContext.class.getDeclaredField("ctx");
            f.setAccessible(true);
            long handle = f.getLong(ctx);
            if (handle == 0) {
                throw new IllegalStateException("the TLS context has no native handle");
            }
            return handle;
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("this Netty version hides the TLS context's handle: " + e, e);
        }
    }

    /**
     * The handler for one accepted connection, to be added as {@link #HANDLER}: the TLS handler
     * itself, or with two certificate pairs the {@link CertificateChooser} that puts the right one
     * in its place. The handshake must end within {@code handshakeTimeout}.
     */
    public ChannelHandler newHandler(ByteBufAllocator alloc, Duration handshakeTimeout) {
        if (contexts.size() == 1) {
            return sslHandler(0, alloc, handshakeTimeout);
        }
        return new CertificateChooser(ecdsa -> sslHandler(ecdsa ? 0 : 1, alloc, handshakeTimeout));
    }

    private SslHandler sslHandler(int index, ByteBufAllocator alloc, Duration handshakeTimeout) {
        SslHandler h = contexts.get(index).newHandler(alloc);
        java.util.function.Supplier<byte[]> stapling = staples.get(index);
        byte[] staple = stapling == null ? null : stapling.get();
        if (staple != null && h.engine() instanceof ReferenceCountedOpenSslEngine engine) {
            engine.setOcspResponse(staple); // sent to clients that ask (status_request)
        }
        SslContext context = contexts.get(index);
        h.setHandshakeTimeoutMillis(handshakeTimeout.toMillis());
        if (settings.preferServerCiphers() && !(context instanceof ReferenceCountedOpenSslContext)) {
            SSLEngine engine = h.engine();
            SSLParameters p = engine.getSSLParameters();
            p.setUseCipherSuitesOrder(true);
            engine.setSSLParameters(p);
        }
        return h;
    }

    /** What the handshake established, for variables and the client-certificate check. */
    public TlsFacts facts(SslHandler handler) {
        return TlsFacts.of(handler.engine(), clientCertificates);
    }

    public SslSettings settings() {
        return settings;
    }
}
