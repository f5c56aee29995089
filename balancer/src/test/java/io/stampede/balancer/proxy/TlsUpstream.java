package io.stampede.balancer.proxy;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsExchange;
import com.sun.net.httpserver.HttpsParameters;
import com.sun.net.httpserver.HttpsServer;
import io.stampede.common.tls.Certificates;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import javax.net.ssl.ExtendedSSLSession;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SNIServerName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import javax.net.ssl.TrustManagerFactory;

/**
 * An HTTPS server (the JDK's, so nothing of ours is on the other side) on a free loopback port.
 * Every answer says what the server saw of the TLS connection: the server name sent (SNI), the
 * client certificate's subject, and the client's port (one port per connection).
 */
final class TlsUpstream implements AutoCloseable {
    /** One request as the server saw it. */
    record Seen(String path, String sni, String clientSubject, int clientPort, String userAgent) {}

    private final HttpsServer server;
    final Queue<Seen> seen = new ConcurrentLinkedQueue<>();

    /** @param clientCa when given, a client certificate is asked for (not required) and checked against it */
    TlsUpstream(Certificates.Issued identity, X509Certificate clientCa) throws Exception {
        this(identity, List.of(), clientCa);
    }

    /** @param intermediates sent after the server's certificate, as a server sends its chain */
    TlsUpstream(Certificates.Issued identity, List<X509Certificate> intermediates, X509Certificate clientCa) throws Exception {
        SSLContext context = serverContext(identity, intermediates, clientCa);
        server = HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 64);
        server.setHttpsConfigurator(new HttpsConfigurator(context) {
            @Override
            public void configure(HttpsParameters params) {
                SSLParameters p = context.getDefaultSSLParameters();
                p.setWantClientAuth(clientCa != null);
                params.setSSLParameters(p);
            }
        });
        server.createContext("/", exchange -> {
            SSLSession session = ((HttpsExchange) exchange).getSSLSession();
            String sni = "-";
            if (session instanceof ExtendedSSLSession ext) {
                for (SNIServerName n : ext.getRequestedServerNames()) {
                    sni = ((SNIHostName) n).getAsciiName();
                }
            }
            String subject = "-";
            try {
                subject = ((X509Certificate) session.getPeerCertificates()[0]).getSubjectX500Principal().getName();
            } catch (SSLPeerUnverifiedException e) {
                // no client certificate
            }
            Seen s = new Seen(exchange.getRequestURI().toString(), sni, subject, exchange.getRemoteAddress().getPort(),
                    exchange.getRequestHeaders().getFirst("User-Agent"));
            seen.add(s);
            exchange.getRequestBody().readAllBytes();
            byte[] body = ("sni=" + s.sni() + " client=" + s.clientSubject() + " port=" + s.clientPort()
                    + " cipher=" + session.getCipherSuite()).getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.start();
    }

    /** A server-side TLS context for {@code identity} (and its chain), asking for client certificates from {@code clientCa} if given. */
    static SSLContext serverContext(Certificates.Issued identity, List<X509Certificate> intermediates, X509Certificate clientCa)
            throws Exception {
        KeyStore keys = KeyStore.getInstance("PKCS12");
        keys.load(null, null);
        List<Certificate> chain = new java.util.ArrayList<>();
        chain.add(identity.certificate());
        chain.addAll(intermediates);
        keys.setKeyEntry("server", identity.key(), new char[0], chain.toArray(Certificate[]::new));
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(keys, new char[0]);
        TrustManagerFactory tmf = null;
        if (clientCa != null) {
            KeyStore trust = KeyStore.getInstance("PKCS12");
            trust.load(null, null);
            trust.setCertificateEntry("ca", clientCa);
            tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trust);
        }
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(kmf.getKeyManagers(), tmf == null ? null : tmf.getTrustManagers(), null);
        return context;
    }

    String address() {
        return "127.0.0.1:" + server.getAddress().getPort();
    }

    int port() {
        return server.getAddress().getPort();
    }

    List<Seen> requests() {
        return List.copyOf(seen);
    }

    @Override
    public void close() throws IOException {
        server.stop(0);
    }
}
