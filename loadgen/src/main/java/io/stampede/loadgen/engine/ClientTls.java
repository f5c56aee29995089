package io.stampede.loadgen.engine;

import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.ssl.NotSslRecordException;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeTimeoutException;
import io.netty.handler.ssl.ReferenceCountedOpenSslEngine;
import io.netty.handler.ssl.ResumableX509ExtendedTrustManager;
import io.netty.internal.tcnative.SSL;
import java.net.Socket;
import java.security.cert.CertificateException;
import java.util.Set;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509ExtendedTrustManager;
import io.stampede.common.tls.PemFiles;
import io.stampede.common.tls.TlsEngine;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateExpiredException;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.net.ssl.TrustManagerFactory;

/**
 * How the swarm's users speak TLS to an https:// target: certificates checked as a browser or
 * Python's requests checks them (the JDK's trusted CAs, or {@code --ca-cert}; {@code --insecure}
 * checks nothing), an optional client certificate, and TLS sessions resumed per user.
 *
 * <p>Each user resumes only its own sessions, as each browser keeps its own: the session cache is
 * keyed by host and port, and the port a user's engine is told is its own number (the socket's
 * real port is the channel's business, not the engine's). A user's first connection is a full
 * handshake, its reconnections resume.
 */
public final class ClientTls {
    /** The swarm's TLS flags. */
    public record Options(boolean insecure, Path caCert, Path clientCert, Path clientKey) {
        public static final Options DEFAULT = new Options(false, null, null, null);
    }

    private final SslContext context;
    /** The same, offering only h2 by ALPN, for --http2. */
    private final SslContext http2Context;
    private final Options options;
    private final ResumptionWitness witness;

    private ClientTls(SslContext context, SslContext http2Context, Options options, ResumptionWitness witness) {
        this.context = context;
        this.http2Context = http2Context;
        this.options = options;
        this.witness = witness;
    }

    /** @throws IllegalArgumentException naming the flag whose file or value cannot be used */
    public static ClientTls build(Options o) {
        SslContextBuilder b = SslContextBuilder.forClient().sslProvider(TlsEngine.provider())
                .protocols("TLSv1.2", "TLSv1.3")
                .sessionCacheSize(1 << 20);
        ResumptionWitness witness;
        if (o.insecure()) {
            witness = new ResumptionWitness(null);
            b.endpointIdentificationAlgorithm(null);
        } else {
            witness = new ResumptionWitness(checker(o.caCert() == null ? null : trust(o.caCert())));
            b.endpointIdentificationAlgorithm("HTTPS");
        }
        b.trustManager(witness);
        if ((o.clientCert() == null) != (o.clientKey() == null)) {
            throw new IllegalArgumentException(o.clientCert() == null ? "--client-key needs --client-cert" : "--client-cert needs --client-key");
        }
        if (o.clientCert() != null) {
            List<X509Certificate> chain;
            try {
                chain = PemFiles.certificates(o.clientCert());
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("--client-cert: " + e.getMessage(), e);
            }
            try {
                b.keyManager(PemFiles.privateKey(o.clientKey()), chain.toArray(X509Certificate[]::new));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("--client-key: " + e.getMessage(), e);
            }
        }
        try {
            SslContext http1 = b.build();
            b.applicationProtocolConfig(new io.netty.handler.ssl.ApplicationProtocolConfig(
                    io.netty.handler.ssl.ApplicationProtocolConfig.Protocol.ALPN,
                    io.netty.handler.ssl.ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
                    io.netty.handler.ssl.ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT,
                    io.netty.handler.ssl.ApplicationProtocolNames.HTTP_2));
            return new ClientTls(http1, b.build(), o, witness);
        } catch (javax.net.ssl.SSLException | RuntimeException e) {
            throw new IllegalArgumentException("the TLS library refused the TLS flags: " + e.getMessage(), e);
        }
    }

    /** The JDK's checker of chains and names, over {@code trust} (null: the JDK's own CAs). */
    private static X509ExtendedTrustManager checker(TrustManagerFactory trust) {
        try {
            TrustManagerFactory tmf = trust;
            if (tmf == null) {
                tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
                tmf.init((KeyStore) null);
            }
            for (TrustManager tm : tmf.getTrustManagers()) {
                if (tm instanceof X509ExtendedTrustManager x) {
                    return x;
                }
            }
            throw new IllegalStateException("the JDK offers no X509ExtendedTrustManager");
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException("the JDK's trusted CAs: " + e.getMessage(), e);
        }
    }

    /**
     * Whether the handshake just ended on {@code engine} resumed a session (asked once per
     * handshake). BoringSSL says so itself; the JDK's engine has no such call, so its answer is
     * the witness's (no certificate was checked: the session was resumed).
     */
    boolean resumed(SSLEngine engine) {
        boolean witnessed = witness.resumed.remove(engine);
        if (engine instanceof ReferenceCountedOpenSslEngine boring) {
            synchronized (boring) {
                long ssl = boring.sslPointer();
                return ssl != 0 && SSL.isSessionReused(ssl);
            }
        }
        return witnessed;
    }

    /**
     * Checks server certificates with the JDK's checker (or takes any, for --insecure), and
     * learns which handshakes resumed a session: Netty asks {@code resumeServerTrusted} instead of
     * {@code checkServerTrusted} when a handshake skipped the certificate (both TLS engines).
     */
    private static final class ResumptionWitness extends X509ExtendedTrustManager implements ResumableX509ExtendedTrustManager {
        /**
         * Engines whose handshake resumed a session, not yet asked about. Keyed by engine, as
         * Netty keys its own: the engine's session object may be replaced (a TLS 1.3 ticket
         * arriving) before the handshake's listener asks. Weak, so a connection given up during
         * its handshake leaves nothing behind.
         */
        final Set<SSLEngine> resumed = java.util.Collections.synchronizedSet(
                java.util.Collections.newSetFromMap(new java.util.WeakHashMap<>()));
        /** Null for --insecure. */
        private final X509ExtendedTrustManager checker;

        ResumptionWitness(X509ExtendedTrustManager checker) {
            this.checker = checker;
        }

        @Override
        public void resumeServerTrusted(X509Certificate[] chain, SSLEngine engine) {
            resumed.add(engine);
        }

        @Override
        public void resumeClientTrusted(X509Certificate[] chain, SSLEngine engine) {
            // a client's trust manager: never asked
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
            if (checker != null) {
                checker.checkServerTrusted(chain, authType, engine);
            }
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
            if (checker != null) {
                checker.checkServerTrusted(chain, authType, socket);
            }
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            if (checker != null) {
                checker.checkServerTrusted(chain, authType);
            }
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
            throw new CertificateException("a client's trust manager");
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
            throw new CertificateException("a client's trust manager");
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            throw new CertificateException("a client's trust manager");
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return checker == null ? new X509Certificate[0] : checker.getAcceptedIssuers();
        }
    }

    private static TrustManagerFactory trust(Path caFile) {
        try {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            int i = 0;
            for (X509Certificate ca : PemFiles.certificates(caFile)) {
                store.setCertificateEntry("ca" + i++, ca);
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(store);
            return tmf;
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--ca-cert: " + e.getMessage(), e);
        } catch (java.io.IOException | java.security.GeneralSecurityException e) {
            throw new IllegalArgumentException("--ca-cert " + caFile + ": " + e.getMessage(), e);
        }
    }

    /** The handler for one new connection of user {@code user}; its handshake must end within the timeout. */
    SslHandler newHandler(ByteBufAllocator alloc, Target target, int user, long handshakeTimeoutMillis) {
        SslHandler h = context.newHandler(alloc, target.host(), 1 + Math.floorMod(user, 1 << 30));
        h.setHandshakeTimeoutMillis(Math.max(1, handshakeTimeoutMillis));
        return h;
    }

    /** The handler for a new HTTP/2 connection: the same checks, and h2 offered by ALPN. */
    SslHandler newHttp2Handler(ByteBufAllocator alloc, Target target, int key, long handshakeTimeoutMillis) {
        SslHandler h = http2Context.newHandler(alloc, target.host(), 1 + Math.floorMod(key, 1 << 30));
        h.setHandshakeTimeoutMillis(Math.max(1, handshakeTimeoutMillis));
        return h;
    }

    public Options options() {
        return options;
    }

    /**
     * A failed handshake as the failures table shows it: the cause in words close to Python's
     * ssl module's (what Locust users read), so failures group by cause.
     */
    static String describe(Throwable failure, String host) {
        if (failure instanceof SslHandshakeTimeoutException) {
            return "SSLError: the TLS handshake timed out";
        }
        String all = "";
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof NotSslRecordException) {
                return "SSLError: wrong version number (the server does not speak TLS)";
            }
            if (t instanceof CertificateExpiredException) {
                return "SSLError: certificate verify failed: certificate has expired";
            }
            all += " " + t.getMessage();
        }
        if (all.contains("No subject alternative") || all.contains("No name matching")) {
            return "SSLError: certificate verify failed: Hostname mismatch, certificate is not valid for '" + host + "'";
        }
        if (all.contains("unable to find valid certification path") || all.contains("PKIX path")) {
            return "SSLError: certificate verify failed: unable to get local issuer certificate";
        }
        String m = String.valueOf(failure.getMessage()).lines().findFirst().orElse("");
        return "SSLError: " + (m.length() > 160 ? m.substring(0, 160) + "..." : m);
    }
}
