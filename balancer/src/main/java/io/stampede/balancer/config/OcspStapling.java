package io.stampede.balancer.config;

import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslProvider;
import io.stampede.common.tls.TlsEngine;
import io.stampede.common.yaml.YamlNode;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.bouncycastle.cert.ocsp.BasicOCSPResp;
import org.bouncycastle.cert.ocsp.OCSPResp;
import org.bouncycastle.cert.ocsp.SingleResp;

/**
 * nginx's {@code ssl_stapling on}: with {@code ssl_stapling_file}, a DER OCSP response read when
 * the configuration is, stapled to every handshake of the certificate it answers for (matched by
 * serial number); without one, the certificate's responder is asked, as nginx does
 * ({@link io.stampede.balancer.tls.OcspStapler}).
 */
final class OcspStapling {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger("stampede.proxy");
    private static final int SUCCESSFUL = 0;

    private OcspStapling() {}

    /** @param store {@code ssl_client_certificate} and {@code ssl_trusted_certificate}, nginx's certificate store */
    static List<SslSettings.CertifiedKey> attach(Map<String, YamlNode> top, List<SslSettings.CertifiedKey> pairs, Path base,
                                                 List<X509Certificate> store) {
        YamlNode on = top.get("ssl_stapling");
        YamlNode file = top.get("ssl_stapling_file");
        YamlNode responder = top.get("ssl_stapling_responder");
        YamlNode verify = top.get("ssl_stapling_verify");
        boolean verifying = verify != null && verify.flag("on or off");
        if (on == null || !on.flag("on or off")) {
            return pairs; // as nginx: a file without ssl_stapling on is not used
        }
        if (TlsEngine.provider() != SslProvider.OPENSSL || !OpenSsl.isOcspSupported()) {
            throw on.error("ssl_stapling needs the native TLS engine (BoringSSL), which is not running here ("
                    + TlsEngine.describe() + ")");
        }
        if (file == null) {
            return fetching(on, responder, verifying, pairs, store);
        }
        Path path = SslDirectives.resolve(base, file.text());
        byte[] der;
        List<BigInteger> serials = new ArrayList<>();
        try {
            der = Files.readAllBytes(path);
            OCSPResp response = new OCSPResp(der);
            if (response.getStatus() != SUCCESSFUL) {
                throw file.error(file.text() + ": the OCSP response's status is " + response.getStatus() + ", not successful (0)");
            }
            if (!(response.getResponseObject() instanceof BasicOCSPResp basic)) {
                throw file.error(file.text() + ": not a basic OCSP response");
            }
            for (SingleResp single : basic.getResponses()) {
                serials.add(single.getCertID().getSerialNumber());
            }
        } catch (IOException | RuntimeException e) {
            if (e instanceof io.stampede.common.yaml.ConfigException c) {
                throw c;
            }
            throw file.error(file.text() + ": not a DER OCSP response (" + e.getMessage() + ")");
        } catch (org.bouncycastle.cert.ocsp.OCSPException e) {
            throw file.error(file.text() + ": not a DER OCSP response (" + e.getMessage() + ")");
        }
        List<SslSettings.CertifiedKey> out = new ArrayList<>();
        boolean used = false;
        for (SslSettings.CertifiedKey pair : pairs) {
            if (serials.contains(pair.chain().get(0).getSerialNumber())) {
                out.add(pair.stapling(der));
                used = true;
            } else {
                out.add(pair);
            }
        }
        if (!used) {
            throw file.error(file.text() + " answers for serial number(s) " + serials.stream().map(b -> b.toString(16)).toList()
                    + ", not for any ssl_certificate's");
        }
        return List.copyOf(out);
    }

    /**
     * nginx's {@code ssl_stapling on} without a file: each certificate's responses are asked of
     * its responder (the certificate's OCSP address, or {@code ssl_stapling_responder}), naming
     * its issuer, which must follow it in the {@code ssl_certificate} file or be in
     * {@code ssl_trusted_certificate} (or {@code ssl_client_certificate}), where nginx looks too.
     */
    private static List<SslSettings.CertifiedKey> fetching(YamlNode on, YamlNode responder, boolean verify,
                                                            List<SslSettings.CertifiedKey> pairs, List<X509Certificate> store) {
        java.net.URI override = null;
        if (responder != null) {
            try {
                override = new java.net.URI(responder.text().trim());
            } catch (java.net.URISyntaxException e) {
                throw responder.invalid("an http:// URL (" + e.getMessage() + ")");
            }
            if (!"http".equalsIgnoreCase(override.getScheme()) || override.getHost() == null) {
                // As nginx: stapling is then ignored, with a warning.
                LOG.warn("{}: \"ssl_stapling\" ignored: ssl_stapling_responder {} is not an http:// URL with a host"
                        + " (OCSP is asked over plain HTTP)", responder.file() + ":" + responder.line(), responder.text());
                return pairs;
            }
        }
        List<SslSettings.CertifiedKey> out = new ArrayList<>();
        for (SslSettings.CertifiedKey pair : pairs) {
            X509Certificate leaf = pair.chain().get(0);
            X509Certificate issuer = issuerOf(leaf, pair.chain().subList(1, pair.chain().size()));
            if (issuer == null) {
                issuer = issuerOf(leaf, store);
            }
            // As nginx, a certificate stapling cannot serve is a warning, and its handshakes go without.
            if (issuer == null) {
                LOG.warn("{}: \"ssl_stapling\" ignored for {}: its issuer ({}) is neither in that file nor in"
                        + " ssl_trusted_certificate (put the intermediate certificate after the server's, as for clients)", on.file() + ":" + on.line(), pair.source(),
                        leaf.getIssuerX500Principal().getName());
                out.add(pair);
                continue;
            }
            java.net.URI url;
            try {
                url = override != null ? override : aiaOcsp(leaf);
            } catch (IllegalArgumentException e) {
                url = null; // a malformed Authority Information Access: as none (warned below)
            }
            if (url == null) {
                LOG.warn("{}: \"ssl_stapling\" ignored for {}: it names no http:// OCSP responder (no Authority Information"
                        + " Access OCSP entry); set ssl_stapling_responder or ssl_stapling_file", on.file() + ":" + on.line(), pair.source());
                out.add(pair);
                continue;
            }
            out.add(pair.fetching(new SslSettings.OcspFetch(url, issuer, verify, store,
                    List.copyOf(pair.chain().subList(1, pair.chain().size())))));
        }
        return List.copyOf(out);
    }

    /** The certificate among {@code candidates} that signed {@code leaf}, or null. */
    private static X509Certificate issuerOf(X509Certificate leaf, List<X509Certificate> candidates) {
        for (X509Certificate c : candidates) {
            if (c.getSubjectX500Principal().equals(leaf.getIssuerX500Principal())) {
                try {
                    leaf.verify(c.getPublicKey());
                    return c;
                } catch (java.security.GeneralSecurityException e) {
                    // the same name, another key: keep looking
                }
            }
        }
        return null;
    }

    /** The first http:// OCSP address of the certificate's Authority Information Access, or null. */
    static java.net.URI aiaOcsp(X509Certificate cert) {
        byte[] ext = cert.getExtensionValue(org.bouncycastle.asn1.x509.Extension.authorityInfoAccess.getId());
        if (ext == null) {
            return null;
        }
        org.bouncycastle.asn1.x509.AuthorityInformationAccess aia = org.bouncycastle.asn1.x509.AuthorityInformationAccess
                .getInstance(org.bouncycastle.asn1.ASN1OctetString.getInstance(ext).getOctets());
        for (org.bouncycastle.asn1.x509.AccessDescription d : aia.getAccessDescriptions()) {
            if (d.getAccessMethod().equals(org.bouncycastle.asn1.x509.AccessDescription.id_ad_ocsp)
                    && d.getAccessLocation().getTagNo() == org.bouncycastle.asn1.x509.GeneralName.uniformResourceIdentifier) {
                String url = org.bouncycastle.asn1.DERIA5String.getInstance(d.getAccessLocation().getName()).getString();
                if (url.regionMatches(true, 0, "http://", 0, 7)) {
                    return java.net.URI.create(url);
                }
            }
        }
        return null;
    }
}
