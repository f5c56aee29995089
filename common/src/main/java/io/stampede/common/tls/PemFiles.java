package io.stampede.common.tls;

import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.openssl.PEMEncryptedKeyPair;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.pkcs.PKCS8EncryptedPrivateKeyInfo;

/**
 * Certificates and keys in PEM, as nginx reads them: a certificate file holds the server's
 * certificate first and then its chain; a key file holds one private key in any of the formats
 * OpenSSL writes (PKCS#8, PKCS#1 "RSA PRIVATE KEY", SEC1 "EC PRIVATE KEY"). Each failure names
 * the file and what is wrong with it.
 */
public final class PemFiles {
    private PemFiles() {}

    private static void requireFile(Path file) {
        if (!Files.exists(file)) {
            throw new IllegalArgumentException(file + ": no such file");
        }
        if (!Files.isReadable(file) || Files.isDirectory(file)) {
            throw new IllegalArgumentException(file + ": not a readable file");
        }
    }

    /** The certificates in a PEM file, in order (at least one). */
    public static List<X509Certificate> certificates(Path file) {
        requireFile(file);
        try (InputStream in = Files.newInputStream(file)) {
            List<X509Certificate> out = new ArrayList<>();
            for (java.security.cert.Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                out.add((X509Certificate) c);
            }
            if (out.isEmpty()) {
                throw new IllegalArgumentException(file + ": no PEM certificate in it");
            }
            return out;
        } catch (IOException e) {
            throw new IllegalArgumentException(file + ": cannot read it: " + e.getMessage(), e);
        } catch (CertificateException e) {
            throw new IllegalArgumentException(file + ": not a PEM certificate: " + e.getMessage(), e);
        }
    }

    /** The private key in a PEM file. */
    public static PrivateKey privateKey(Path file) {
        requireFile(file);
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.US_ASCII); PEMParser pem = new PEMParser(r)) {
            JcaPEMKeyConverter convert = new JcaPEMKeyConverter();
            for (Object o = pem.readObject(); o != null; o = pem.readObject()) {
                if (o instanceof PrivateKeyInfo info) {
                    return convert.getPrivateKey(info);
                }
                if (o instanceof PEMKeyPair pair) {
                    return convert.getPrivateKey(pair.getPrivateKeyInfo()); // SEC1 may omit the public half
                }
                if (o instanceof PEMEncryptedKeyPair || o instanceof PKCS8EncryptedPrivateKeyInfo) {
                    throw new IllegalArgumentException(file + ": the key is encrypted with a passphrase; "
                            + "decrypt it first (openssl pkey -in KEY -out PLAIN)");
                }
            }
            throw new IllegalArgumentException(file + ": no PEM private key in it");
        } catch (IOException e) {
            throw new IllegalArgumentException(file + ": cannot read a private key from it: " + e.getMessage(), e);
        }
    }
}
