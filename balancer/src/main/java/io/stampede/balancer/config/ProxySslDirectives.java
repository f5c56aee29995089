package io.stampede.balancer.config;

import io.netty.handler.ssl.SslProvider;
import io.stampede.common.tls.CipherList;
import io.stampede.common.tls.PemFiles;
import io.stampede.common.tls.TlsEngine;
import io.stampede.common.yaml.YamlNode;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads nginx's {@code proxy_ssl_*} directives at the top level or in a location into
 * {@link UpstreamSsl}, each one inherited when a level does not set it.
 */
final class ProxySslDirectives {
    static final Set<String> KEYS = Set.of("proxy_ssl_verify", "proxy_ssl_trusted_certificate", "proxy_ssl_verify_depth",
            "proxy_ssl_server_name", "proxy_ssl_name", "proxy_ssl_certificate", "proxy_ssl_certificate_key",
            "proxy_ssl_protocols", "proxy_ssl_ciphers", "proxy_ssl_session_reuse");

    private ProxySslDirectives() {}

    static UpstreamSsl read(Map<String, YamlNode> m, UpstreamSsl inherited, Path base) {
        boolean verify = flag(m, "proxy_ssl_verify", inherited.verify());
        List<X509Certificate> trusted = inherited.trusted();
        YamlNode t = m.get("proxy_ssl_trusted_certificate");
        if (t != null) {
            try {
                trusted = PemFiles.certificates(SslDirectives.resolve(base, t.text()));
            } catch (IllegalArgumentException e) {
                throw t.error(e.getMessage());
            }
        }
        int depth = m.containsKey("proxy_ssl_verify_depth")
                ? m.get("proxy_ssl_verify_depth").integer(0, 100, "an integer from 0 to 100") : inherited.verifyDepth();
        boolean serverName = flag(m, "proxy_ssl_server_name", inherited.serverName());
        String name = inherited.name();
        YamlNode n = m.get("proxy_ssl_name");
        if (n != null) {
            String v = n.text().trim();
            if (v.equals("$proxy_host")) {
                name = null; // nginx's default: the proxy_pass host, port dropped
            } else if (v.isEmpty() || v.contains("$") || !v.matches("[A-Za-z0-9.*_:\\[\\]-]+")) {
                throw n.invalid("a host name, or $proxy_host (other variables are not supported: the name "
                        + "chooses which pooled connections a request may use, so it is fixed per location)");
            } else {
                name = v;
            }
        }
        SslSettings.CertifiedKey certificate = inherited.certificate();
        YamlNode cert = m.get("proxy_ssl_certificate");
        YamlNode key = m.get("proxy_ssl_certificate_key");
        if (cert != null || key != null) {
            if (cert == null || key == null) {
                YamlNode given = cert != null ? cert : key;
                throw given.error((cert == null ? "proxy_ssl_certificate" : "proxy_ssl_certificate_key")
                        + " is missing: a client certificate for upstreams needs both the certificate and its key");
            }
            certificate = SslDirectives.pair(cert, key, base);
        }
        List<String> protocols = m.containsKey("proxy_ssl_protocols")
                ? SslDirectives.protocols(m.get("proxy_ssl_protocols")) : inherited.protocols();
        String ciphers = inherited.ciphers();
        YamlNode c = m.get("proxy_ssl_ciphers");
        if (c != null) {
            ciphers = c.text().trim();
            try {
                CipherList.forEngine(ciphers, UpstreamSsl.DEFAULT.ciphers(), TlsEngine.provider() == SslProvider.OPENSSL);
            } catch (IllegalArgumentException e) {
                throw c.error("'" + ciphers + "': " + e.getMessage());
            }
        }
        boolean reuse = flag(m, "proxy_ssl_session_reuse", inherited.sessionReuse());
        return new UpstreamSsl(verify, trusted, depth, serverName, name, certificate, protocols, ciphers, reuse);
    }

    private static boolean flag(Map<String, YamlNode> m, String key, boolean inherited) {
        YamlNode n = m.get(key);
        return n == null ? inherited : n.flag("on or off");
    }
}
