package io.stampede.balancer.config;

import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslProvider;
import io.stampede.common.tls.TlsEngine;
import io.stampede.common.yaml.YamlNode;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.bouncycastle.cert.ocsp.BasicOCSPResp;
import org.bouncycastle.cert.ocsp.OCSPResp;
import org.bouncycastle.cert.ocsp.SingleResp;

/**
 * nginx's {@code ssl_stapling on} with {@code ssl_stapling_file}: a DER OCSP response, read when
 * the configuration is, stapled to every handshake of the certificate it answers for (matched by
 * serial number). Fetching responses from the CA's responder is not done here: nginx's
 * {@code ssl_stapling} without a file asks the responder over the network, this proxy refuses it.
 */
final class OcspStapling {
    private static final int SUCCESSFUL = 0;

    private OcspStapling() {}

    static List<SslSettings.CertifiedKey> attach(Map<String, YamlNode> top, List<SslSettings.CertifiedKey> pairs, Path base) {
        YamlNode on = top.get("ssl_stapling");
        YamlNode file = top.get("ssl_stapling_file");
        if (on == null || !on.flag("on or off")) {
            return pairs; // as nginx: a file without ssl_stapling on is not used
        }
        if (file == null) {
            throw on.error("ssl_stapling on needs ssl_stapling_file here: this proxy staples a response you fetch"
                    + " (openssl ocsp ... -respout FILE), it does not ask the CA's responder itself");
        }
        if (TlsEngine.provider() != SslProvider.OPENSSL || !OpenSsl.isOcspSupported()) {
            throw on.error("ssl_stapling needs the native TLS engine (BoringSSL), which is not running here ("
                    + TlsEngine.describe() + ")");
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
}
