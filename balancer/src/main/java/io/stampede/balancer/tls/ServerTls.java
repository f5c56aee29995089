package io.stampede.balancer.tls;

import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.OpenSslSessionContext;
import io.netty.handler.ssl.ReferenceCountedOpenSslContext;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.ssl.SupportedCipherSuiteFilter;
import io.netty.internal.tcnative.SSL;
import io.netty.internal.tcnative.SSLContext;
import io.stampede.balancer.config.SslSettings;
import io.stampede.common.tls.TlsEngine;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;

/**
 * TLS for the listeners marked {@code ssl}: one context built from {@link SslSettings} at start,
 * a handler per accepted connection. Client certificates, when asked for, are taken whatever they
 * are and judged after the handshake by {@link ClientCertificates}, because nginx answers a bad
 * or missing one with an HTTP 400 page, not with a failed handshake.
 */
public final class ServerTls {
    private static final char[] NO_PASSWORD = new char[0];

    private final SslContext context;
    private final SslSettings settings;
    private final ClientCertificates clientCertificates;

    private ServerTls(SslContext context, SslSettings settings, ClientCertificates clientCertificates) {
        this.context = context;
        this.settings = settings;
        this.clientCertificates = clientCertificates;
    }

    /** @throws IllegalArgumentException naming the directive whose value the TLS library refuses */
    public static ServerTls build(SslSettings s) {
        SslProvider provider = TlsEngine.provider();
        SslContextBuilder b = SslContextBuilder.forServer(keyManagers(s)).sslProvider(provider)
                .protocols(s.protocols())
                .sessionTimeout(s.sessionTimeout().toSeconds());
        if (s.sessionCacheSize() > 0) {
            b.sessionCacheSize(s.sessionCacheSize());
        }
        b.ciphers(ciphers(s, provider), SupportedCipherSuiteFilter.INSTANCE);
        ClientCertificates clients = null;
        if (s.verifyClient().asks()) {
            clients = new ClientCertificates(s.clientCas(), s.verifyClient(), s.verifyDepth());
            b.clientAuth(ClientAuth.OPTIONAL).trustManager(clients.trustManager());
        }
        SslContext ctx;
        try {
            ctx = b.build();
        } catch (javax.net.ssl.SSLException | RuntimeException e) {
            throw new IllegalArgumentException("the TLS library refused the ssl_* settings: " + e.getMessage(), e);
        }
        if (ctx instanceof ReferenceCountedOpenSslContext native_) {
            tune(native_, s);
        }
        return new ServerTls(ctx, s, clients);
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

    private static List<String> ciphers(SslSettings s, SslProvider provider) {
        if (provider == SslProvider.OPENSSL) {
            List<String> out = new ArrayList<>();
            try {
                out.addAll(CipherList.expand(s.ciphers()));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("ssl_ciphers '" + s.ciphers() + "': " + e.getMessage(), e);
            }
            if (s.protocols().contains("TLSv1.3")) {
                out.addAll(CipherList.TLS13);
            }
            return out;
        }
        if (s.ciphers().equals(SslSettings.DEFAULT_CIPHERS)) {
            return null; // the JDK's own strong defaults
        }
        List<String> names = List.of(s.ciphers().split(":"));
        for (String n : names) {
            if (!n.startsWith("TLS_")) {
                throw new IllegalArgumentException("ssl_ciphers '" + s.ciphers() + "': the JDK's TLS engine runs here (the "
                        + "native library did not load), and it takes only a ':'-separated list of IANA suite names "
                        + "(TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, ...), not an OpenSSL cipher string");
            }
        }
        return names;
    }

    private static KeyManagerFactory keyManagers(SslSettings s) {
        try {
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(null, null);
            int i = 0;
            for (SslSettings.CertifiedKey k : s.certificates()) {
                ks.setKeyEntry("key" + i++, k.key(), NO_PASSWORD, k.chain().toArray(X509Certificate[]::new));
            }
            // NewSunX509 picks the entry whose key type the handshake can use (RSA or ECDSA).
            KeyManagerFactory kmf = KeyManagerFactory.getInstance("NewSunX509");
            kmf.init(ks, NO_PASSWORD);
            return kmf;
        } catch (GeneralSecurityException | java.io.IOException e) {
            throw new IllegalArgumentException("ssl_certificate: cannot use the certificates and keys: " + e.getMessage(), e);
        }
    }

    /** A handler for one accepted connection; the handshake must end within {@code handshakeTimeout}. */
    public SslHandler newHandler(ByteBufAllocator alloc, Duration handshakeTimeout) {
        SslHandler h = context.newHandler(alloc);
        h.setHandshakeTimeoutMillis(handshakeTimeout.toMillis());
        if (settings.preferServerCiphers() && context.isServer() && !(context instanceof ReferenceCountedOpenSslContext)) {
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
