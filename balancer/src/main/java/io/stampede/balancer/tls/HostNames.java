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
 * decides it for nginx's {@code proxy_ssl_verify}: the subjectAltName DNS names, where a
 * {@code *} in the leftmost label ({@code *.example.com}, {@code api*.example.com}) stands for
 * part or all of exactly one label; the subject's common names only when the certificate has no
 * DNS names at all. An IP address is matched as nginx matches it (as text, against those names)
 * and also against the certificate's IP address entries, which nginx does not look at.
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
        if ((NetUtil.isValidIpV4Address(host) || NetUtil.isValidIpV6Address(host)) && alt != null
                && alt.stream().anyMatch(e -> (Integer) e.get(0) == IP && sameAddress((String) e.get(1), host))) {
            return true;
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
        for (String cn : commonNames(cert)) {
            if (matchesPattern(normalize(cn), host)) {
                return true;
            }
        }
        return false;
    }

    private static String normalize(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        return n.endsWith(".") ? n.substring(0, n.length() - 1) : n;
    }

    private static boolean matchesPattern(String pattern, String host) {
        int star = pattern.indexOf('*');
        if (star < 0) {
            return pattern.equals(host);
        }
        int patternDot = pattern.indexOf('.');
        int hostDot = host.indexOf('.');
        // One '*', in the leftmost label, with at least two labels after it ("*.com" is refused),
        // and never inside an IDNA label.
        if (patternDot < star || pattern.indexOf('*', star + 1) >= 0 || pattern.indexOf('.', patternDot + 1) < 0
                || hostDot <= 0 || host.startsWith("xn--") || !pattern.substring(patternDot).equals(host.substring(hostDot))) {
            return false;
        }
        String prefix = pattern.substring(0, star);
        String suffix = pattern.substring(star + 1, patternDot);
        String label = host.substring(0, hostDot);
        return label.length() >= prefix.length() + suffix.length() && label.startsWith(prefix) && label.endsWith(suffix);
    }

    private static boolean sameAddress(String a, String b) {
        try {
            return InetAddress.getByName(a).equals(InetAddress.getByName(b)); // literals only: no lookup
        } catch (UnknownHostException e) {
            return false;
        }
    }

    private static List<String> commonNames(X509Certificate cert) {
        List<String> out = new java.util.ArrayList<>();
        try {
            for (Rdn rdn : new LdapName(cert.getSubjectX500Principal().getName()).getRdns()) {
                if (rdn.getType().equalsIgnoreCase("CN")) {
                    out.add(String.valueOf(rdn.getValue()));
                }
            }
        } catch (InvalidNameException e) {
            return List.of();
        }
        return out;
    }
}
