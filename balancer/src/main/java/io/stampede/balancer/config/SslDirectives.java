package io.stampede.balancer.config;

import io.netty.handler.ssl.SslProvider;
import io.stampede.common.tls.CipherList;
import io.stampede.common.tls.PemFiles;
import io.stampede.common.tls.TlsEngine;
import io.stampede.common.yaml.YamlNode;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.RSAPrivateCrtKey;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/** Reads nginx's {@code ssl_*} directives from the top level into {@link SslSettings}. */
final class SslDirectives {
    static final Set<String> KEYS = Set.of("ssl_certificate", "ssl_certificate_key", "ssl_protocols", "ssl_ciphers",
            "ssl_prefer_server_ciphers", "ssl_session_cache", "ssl_session_timeout", "ssl_session_tickets",
            "ssl_client_certificate", "ssl_verify_client", "ssl_verify_depth", "ssl_stapling", "ssl_stapling_file",
            "ssl_stapling_responder", "ssl_stapling_verify", "ssl_trusted_certificate");
    private static final Set<String> PROTOCOLS = Set.of("TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3");
    /** nginx's {@code shared:NAME:SIZE}: one megabyte holds about 4,000 sessions. */
    private static final long SESSIONS_PER_BYTE_DIVISOR = 256;

    private SslDirectives() {}

    /**
     * The settings, or null when no listener is marked {@code ssl}. A listener marked {@code ssl}
     * without a certificate is an error, as in nginx.
     */
    static SslSettings read(Map<String, YamlNode> top, YamlNode listenNode, boolean anySsl, Path base) {
        if (!anySsl) {
            return null; // as nginx: ssl_* without an ssl listener are read by nobody
        }
        YamlNode certs = top.get("ssl_certificate");
        YamlNode keys = top.get("ssl_certificate_key");
        if (certs == null || keys == null) {
            // Servers' top-level lines have no listen line of their own: the line that is there is named.
            YamlNode where = listenNode != null ? listenNode : certs != null ? certs : keys;
            throw where.error("a listener is marked ssl but " + (certs == null ? "ssl_certificate" : "ssl_certificate_key")
                    + " is missing (nginx: no \"ssl_certificate\" is defined for the listen ... ssl directive)");
        }
        List<YamlNode> certList = certs.oneOrMany();
        List<YamlNode> keyList = keys.oneOrMany();
        if (certList.size() != keyList.size()) {
            throw keys.error(certList.size() + " ssl_certificate files but " + keyList.size()
                    + " ssl_certificate_key files: each certificate needs its key, in the same order");
        }
        List<SslSettings.CertifiedKey> pairs = new ArrayList<>();
        Set<String> algorithms = new LinkedHashSet<>();
        for (int i = 0; i < certList.size(); i++) {
            SslSettings.CertifiedKey pair = pair(certList.get(i), keyList.get(i), base);
            if (!algorithms.add(pair.key().getAlgorithm())) {
                throw certList.get(i).error("a second " + pair.key().getAlgorithm()
                        + " certificate: give at most one per key type (RSA, ECDSA)");
            }
            pairs.add(pair);
        }
        List<String> protocols = protocols(top.get("ssl_protocols"));
        String ciphers = top.containsKey("ssl_ciphers") ? top.get("ssl_ciphers").text().trim() : SslSettings.DEFAULT_CIPHERS;
        if (ciphers.isEmpty()) {
            throw top.get("ssl_ciphers").invalid("an OpenSSL cipher string, e.g. " + SslSettings.DEFAULT_CIPHERS);
        }
        if (top.containsKey("ssl_ciphers")) {
            try {
                // Asked of the TLS library now, so a string it cannot use is named with its line.
                CipherList.forEngine(ciphers, SslSettings.DEFAULT_CIPHERS, TlsEngine.provider() == SslProvider.OPENSSL);
            } catch (IllegalArgumentException e) {
                throw top.get("ssl_ciphers").error("'" + ciphers + "': " + e.getMessage());
            }
        }
        boolean prefer = flag(top, "ssl_prefer_server_ciphers", false);
        long cacheSize = sessionCache(top.get("ssl_session_cache"));
        Duration timeout = top.containsKey("ssl_session_timeout") ? top.get("ssl_session_timeout").duration(false) : Duration.ofMinutes(5);
        boolean tickets = flag(top, "ssl_session_tickets", true);
        SslSettings.VerifyClient verify = SslSettings.VerifyClient.OFF;
        YamlNode v = top.get("ssl_verify_client");
        if (v != null) {
            verify = switch (v.text().trim()) {
                case "on" -> SslSettings.VerifyClient.ON;
                case "off" -> SslSettings.VerifyClient.OFF;
                case "optional" -> SslSettings.VerifyClient.OPTIONAL;
                case "optional_no_ca" -> SslSettings.VerifyClient.OPTIONAL_NO_CA;
                default -> throw v.invalid("on, off, optional or optional_no_ca");
            };
        }
        List<X509Certificate> cas = certificates(top.get("ssl_client_certificate"), base);
        List<X509Certificate> trusted = certificates(top.get("ssl_trusted_certificate"), base);
        // As nginx's certificate store, where stapling looks for an issuer and a responder's CA:
        // ssl_trusted_certificate always, ssl_client_certificate only when clients are verified.
        List<X509Certificate> store = new ArrayList<>(verify.asks() ? cas : List.of());
        store.addAll(trusted);
        pairs = OcspStapling.attach(top, pairs, base, List.copyOf(store));
        if ((verify == SslSettings.VerifyClient.ON || verify == SslSettings.VerifyClient.OPTIONAL) && cas.isEmpty()) {
            throw v.error("ssl_verify_client " + v.text().trim() + " needs ssl_client_certificate (the CAs to check client certificates against)");
        }
        int depth = top.containsKey("ssl_verify_depth") ? top.get("ssl_verify_depth").integer(0, 100, "an integer from 0 to 100") : 1;
        return new SslSettings(List.copyOf(pairs), protocols, ciphers, prefer, cacheSize, timeout, tickets, cas, verify, depth,
                trusted);
    }

    /** The PEM certificates a file directive names, none when it is absent. */
    private static List<X509Certificate> certificates(YamlNode file, Path base) {
        if (file == null) {
            return List.of();
        }
        try {
            return PemFiles.certificates(resolve(base, file.text()));
        } catch (IllegalArgumentException e) {
            throw file.error(e.getMessage());
        }
    }

    static SslSettings.CertifiedKey pair(YamlNode certNode, YamlNode keyNode, Path base) {
        List<X509Certificate> chain;
        PrivateKey key;
        try {
            chain = PemFiles.certificates(resolve(base, certNode.text()));
        } catch (IllegalArgumentException e) {
            throw certNode.error(e.getMessage());
        }
        try {
            key = PemFiles.privateKey(resolve(base, keyNode.text()));
        } catch (IllegalArgumentException e) {
            throw keyNode.error(e.getMessage());
        }
        if (!matches(chain.get(0), key)) {
            throw keyNode.error(keyNode.text() + " is not the key of " + certNode.text()
                    + " (nginx: key values mismatch)");
        }
        return new SslSettings.CertifiedKey(chain, key, certNode.text());
    }

    /** Whether the private key belongs to the certificate's public key. */
    private static boolean matches(X509Certificate cert, PrivateKey key) {
        if (cert.getPublicKey() instanceof RSAPublicKey pub && key instanceof RSAPrivateCrtKey priv) {
            return pub.getModulus().equals(priv.getModulus());
        }
        if (cert.getPublicKey() instanceof ECPublicKey pub && key instanceof ECPrivateKey priv) {
            // Q = d·G; comparing the curve and a signature check is the portable test.
            return pub.getParams().getCurve().equals(priv.getParams().getCurve()) && signsFor(cert, key);
        }
        return cert.getPublicKey().getAlgorithm().equals(key.getAlgorithm()) && signsFor(cert, key);
    }

    private static boolean signsFor(X509Certificate cert, PrivateKey key) {
        try {
            String alg = key.getAlgorithm().equals("EC") ? "SHA256withECDSA" : key.getAlgorithm().equals("RSA") ? "SHA256withRSA" : key.getAlgorithm();
            java.security.Signature s = java.security.Signature.getInstance(alg);
            s.initSign(key);
            byte[] probe = {1, 2, 3};
            s.update(probe);
            byte[] sig = s.sign();
            java.security.Signature check = java.security.Signature.getInstance(alg);
            check.initVerify(cert.getPublicKey());
            check.update(probe);
            return check.verify(sig);
        } catch (java.security.GeneralSecurityException e) {
            return false;
        }
    }

    static List<String> protocols(YamlNode n) {
        if (n == null) {
            return List.of("TLSv1.2", "TLSv1.3");
        }
        List<String> out = new ArrayList<>();
        for (String p : n.text().trim().split("\\s+")) {
            if (p.equals("SSLv2") || p.equals("SSLv3")) {
                throw n.error("'" + p + "' is broken and not supported (expected TLSv1.2 and TLSv1.3, or also TLSv1 TLSv1.1)");
            }
            if (!PROTOCOLS.contains(p)) {
                throw n.invalid("protocols among TLSv1 TLSv1.1 TLSv1.2 TLSv1.3, e.g. TLSv1.2 TLSv1.3");
            }
            out.add(p);
        }
        return List.copyOf(out);
    }

    /**
     * {@code ssl_session_cache}: {@code off} and {@code none} (nginx's default) keep no sessions by
     * id (tickets still resume); {@code builtin[:N]} keeps N; {@code shared:NAME:SIZE} keeps about
     * 4,000 per megabyte. Several may be given, as in nginx: their sizes add up.
     */
    private static long sessionCache(YamlNode n) {
        if (n == null) {
            return 0;
        }
        String expected = "off, none, builtin[:SESSIONS] or shared:NAME:SIZE, e.g. shared:SSL:10m";
        long total = 0;
        for (String part : n.text().trim().split("\\s+")) {
            String[] w = part.split(":");
            try {
                switch (w[0].toLowerCase(Locale.ROOT)) {
                    case "off", "none" -> {
                        if (w.length != 1) {
                            throw n.invalid(expected);
                        }
                    }
                    case "builtin" -> total += w.length == 1 ? 20480 : Long.parseLong(w[1]);
                    case "shared" -> {
                        if (w.length != 3 || w[1].isEmpty()) {
                            throw n.invalid(expected);
                        }
                        total += Math.max(1, io.stampede.common.Sizes.parse(w[2]) / SESSIONS_PER_BYTE_DIVISOR);
                    }
                    default -> throw n.invalid(expected);
                }
            } catch (IllegalArgumentException e) { // a number or size that does not parse
                throw n.invalid(expected);
            }
        }
        return total;
    }

    private static boolean flag(Map<String, YamlNode> top, String key, boolean fallback) {
        YamlNode n = top.get(key);
        return n == null ? fallback : n.flag("on or off");
    }

    static Path resolve(Path base, String file) {
        Path p = Path.of(file.trim());
        return p.isAbsolute() || base == null ? p : base.resolve(p);
    }
}
