package io.stampede.common.tls;

import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslProvider;
import java.util.Locale;

/**
 * Which TLS implementation runs: BoringSSL through netty-tcnative when its native library loads
 * (OpenSSL-class speed, every cipher nginx users name), else the JDK's own engine. Chosen once
 * per process; {@code -Dstampede.tls=jdk} forces the JDK's, {@code =openssl} insists on
 * BoringSSL and fails when it cannot load.
 */
public final class TlsEngine {
    private TlsEngine() {}

    /** The provider every SSL context of this process is built with. */
    public static SslProvider provider() {
        String wanted = System.getProperty("stampede.tls", "auto").toLowerCase(Locale.ROOT);
        switch (wanted) {
            case "jdk":
                return SslProvider.JDK;
            case "openssl":
                if (!OpenSsl.isAvailable()) {
                    throw new IllegalStateException("-Dstampede.tls=openssl: the native TLS library cannot load: "
                            + OpenSsl.unavailabilityCause());
                }
                return SslProvider.OPENSSL;
            case "auto":
                return OpenSsl.isAvailable() ? SslProvider.OPENSSL : SslProvider.JDK;
            default:
                throw new IllegalArgumentException("-Dstampede.tls=" + wanted + ": expected auto, openssl or jdk");
        }
    }

    /** One line for start-up: which engine runs, and why not BoringSSL when it does not. */
    public static String describe() {
        if (provider() == SslProvider.OPENSSL) {
            return "TLS: " + OpenSsl.versionString() + " (netty-tcnative)";
        }
        Throwable why = OpenSsl.unavailabilityCause();
        return "TLS: the JDK's engine (" + (why == null ? "-Dstampede.tls=jdk" : "the native library did not load: " + why.getMessage()) + ")";
    }
}
