package io.stampede.balancer.tls;

import io.netty.util.NetUtil;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;

/**
 * Whether a server's certificate is for the name we asked for, as OpenSSL's X509_check_host
 * decides it for nginx's {@code proxy_ssl_verify}: the subjectAltName DNS names, a {@code *} as
 * the whole leftmost label matching exactly one label; the subject's common name only when the
 * certificate has no DNS names at all. An IP address is matched against IP address entries.
 */
final class HostNames {
    private static final int DNS = 2;
    private static final int IP = 7;

    private HostNames() {}

    static boolean matches(X509Certificate cert, String name) {
        String host = normalize(name);
        Collection<List<?>> alt;
        try {
            alt = cert.getSubjectAlternativeNames();
        } catch (CertificateParsingException e) {
            return false;
        }
        if (NetUtil.isValidIpV4Address(host) || NetUtil.isValidIpV6Address(host)) {
            return alt != null && alt.stream().anyMatch(e -> (Integer) e.get(0) == IP && sameAddress((String) e.get(1), host));
        }
        boolean anyDns = false;
        if (alt != null) {
            for (List<?> e : alt) {
                if ((Integer) e.get(0) == DNS) {
                    anyDns = true;
                    if (matchesPattern(normalize((String) e.get(1)), host)) {
                        return true;
                    }
                }
            }
        }
        if (anyDns) {
            return false;
        }
        String cn = commonName(cert);
        return cn != null && matchesPattern(normalize(cn), host);
    }

    private static String normalize(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        return n.endsWith(".") ? n.substring(0, n.length() - 1) : n;
    }

    private static boolean matchesPattern(String pattern, String host) {
        if (!pattern.startsWith("*.")) {
            return pattern.equals(host);
        }
        String suffix = pattern.substring(1); // ".example.com"
        // One label only, and not for a bare public suffix: "*.com" is refused by X509_check_host.
        int dot = host.indexOf('.');
        return dot > 0 && host.substring(dot).equals(suffix) && suffix.indexOf('.', 1) > 0;
    }

    private static boolean sameAddress(String a, String b) {
        try {
            return InetAddress.getByName(a).equals(InetAddress.getByName(b)); // literals only: no lookup
        } catch (UnknownHostException e) {
            return false;
        }
    }

    private static String commonName(X509Certificate cert) {
        try {
            for (Rdn rdn : new LdapName(cert.getSubjectX500Principal().getName()).getRdns()) {
                if (rdn.getType().equalsIgnoreCase("CN")) {
                    return String.valueOf(rdn.getValue());
                }
            }
        } catch (InvalidNameException e) {
            return null;
        }
        return null;
    }
}
