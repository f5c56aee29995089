package io.stampede.common.tls;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * Makes certificates for testing and for {@code --tls} without files: a self-signed server
 * certificate, or a small CA and certificates it signs (servers and clients, for mutual TLS).
 * Keys are ECDSA P-256 unless RSA is asked for; names become subjectAltName entries (DNS names,
 * or IP addresses when they parse as one).
 */
public final class Certificates {
    private static final SecureRandom RANDOM = new SecureRandom();

    /** A certificate and its private key. */
    public record Issued(X509Certificate certificate, PrivateKey key) {
        /** Writes the certificate and the key (PKCS#8) as PEM files. */
        public void write(Path certFile, Path keyFile) {
            try {
                Files.writeString(certFile, pem(certificate), StandardCharsets.US_ASCII);
                Files.writeString(keyFile, pkcs8(key), StandardCharsets.US_ASCII);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    private Certificates() {}

    /** A self-signed server certificate for these names (the first is also the common name). */
    public static Issued selfSigned(List<String> names) {
        KeyPair keys = keyPair("EC");
        return build(names.get(0), names, keys, null, false, Duration.ofDays(365));
    }

    /** A certificate authority that can sign others. */
    public static Issued authority(String commonName) {
        KeyPair keys = keyPair("EC");
        return build(commonName, List.of(), keys, null, true, Duration.ofDays(365));
    }

    /** An intermediate certificate authority, signed by {@code ca}, that can sign others. */
    public static Issued intermediate(Issued ca, String commonName) {
        return build(commonName, List.of(), keyPair("EC"), ca, true, Duration.ofDays(365));
    }

    /** A certificate for these names signed by {@code ca}; {@code algorithm} is "EC" or "RSA". */
    public static Issued signed(Issued ca, String commonName, List<String> names, String algorithm, Duration validity) {
        return build(commonName, names, keyPair(algorithm), ca, false, validity);
    }

    /** The PEM text of a certificate or a key. */
    public static String pem(Object certificateOrKey) {
        StringWriter out = new StringWriter();
        try (JcaPEMWriter w = new JcaPEMWriter(out)) {
            w.writeObject(certificateOrKey);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString();
    }

    /** A private key as PKCS#8 PEM ("BEGIN PRIVATE KEY"), what {@code openssl genpkey} writes. */
    public static String pkcs8(PrivateKey key) {
        StringWriter out = new StringWriter();
        try (JcaPEMWriter w = new JcaPEMWriter(out)) {
            w.writeObject(new org.bouncycastle.openssl.jcajce.JcaPKCS8Generator(key, null));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString();
    }

    private static KeyPair keyPair(String algorithm) {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance(algorithm);
            if (algorithm.equals("EC")) {
                g.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
            } else {
                g.initialize(2048, RANDOM);
            }
            return g.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot make a " + algorithm + " key pair", e);
        }
    }

    private static Issued build(String commonName, List<String> names, KeyPair keys, Issued issuer, boolean ca, Duration validity) {
        try {
            X500Name subject = new X500Name("CN=" + commonName);
            X500Name issuerName = issuer == null ? subject
                    : X500Name.getInstance(issuer.certificate().getSubjectX500Principal().getEncoded());
            Instant now = Instant.now();
            // Valid from a little before now: a peer whose clock is behind still accepts it.
            X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(issuerName, new BigInteger(64, RANDOM).abs().add(BigInteger.ONE),
                    Date.from(now.minus(Duration.ofHours(1))), Date.from(now.plus(validity)), subject, keys.getPublic());
            b.addExtension(Extension.basicConstraints, true, new BasicConstraints(ca));
            b.addExtension(Extension.keyUsage, true, new KeyUsage(ca ? KeyUsage.keyCertSign | KeyUsage.cRLSign
                    : KeyUsage.digitalSignature | KeyUsage.keyEncipherment));
            if (!names.isEmpty()) {
                List<GeneralName> alt = new ArrayList<>();
                for (String n : names) {
                    alt.add(isAddress(n) ? new GeneralName(GeneralName.iPAddress, n) : new GeneralName(GeneralName.dNSName, n));
                }
                b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(alt.toArray(GeneralName[]::new)));
            }
            PrivateKey signer = issuer == null ? keys.getPrivate() : issuer.key();
            String algorithm = signer.getAlgorithm().equals("RSA") ? "SHA256withRSA" : "SHA256withECDSA";
            X509Certificate cert = new JcaX509CertificateConverter().getCertificate(
                    b.build(new JcaContentSignerBuilder(algorithm).build(signer)));
            return new Issued(cert, keys.getPrivate());
        } catch (IOException | GeneralSecurityException | OperatorCreationException e) {
            throw new IllegalStateException("cannot make a certificate for " + commonName, e);
        }
    }

    private static boolean isAddress(String name) {
        if (!name.matches("[0-9.]+|[0-9a-fA-F:]*:[0-9a-fA-F:.]*")) {
            return false;
        }
        try {
            InetAddress.getByName(name); // a literal: no lookup happens
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
