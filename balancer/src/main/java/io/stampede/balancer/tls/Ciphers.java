package io.stampede.balancer.tls;

import io.netty.handler.ssl.IdentityCipherSuiteFilter;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.ssl.SupportedCipherSuiteFilter;
import io.stampede.common.tls.CipherList;
import java.util.ArrayList;
import java.util.List;

/** An nginx cipher string ({@code ssl_ciphers}, {@code proxy_ssl_ciphers}) set on a TLS context. */
final class Ciphers {
    private Ciphers() {}

    /**
     * Sets the TLS 1.2-and-below suites the string selects, keeping TLS 1.3's (which, as in nginx,
     * it does not choose).
     *
     * @throws IllegalArgumentException saying why the string cannot be used
     */
    static void apply(SslContextBuilder b, String cipherString, String defaultString, List<String> protocols, SslProvider provider) {
        boolean nativeEngine = provider == SslProvider.OPENSSL;
        List<String> suites = CipherList.forEngine(cipherString, defaultString, nativeEngine);
        if (suites != null && nativeEngine && protocols.contains("TLSv1.3")) {
            suites = new ArrayList<>(suites);
            suites.addAll(CipherList.TLS13);
        }
        // The native engine's names come from the library itself (CipherList) and pass as they are:
        // SupportedCipherSuiteFilter knows only Java names and would drop every TLS 1.2 one,
        // leaving BoringSSL's own default list in force whatever the string says.
        b.ciphers(suites, nativeEngine ? IdentityCipherSuiteFilter.INSTANCE : SupportedCipherSuiteFilter.INSTANCE);
    }
}
