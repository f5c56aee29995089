package io.stampede.balancer.tls;

import static org.assertj.core.api.Assertions.assertThat;

import io.stampede.common.tls.Certificates;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** proxy_ssl_verify's name check, case by case as OpenSSL's X509_check_host answers them. */
class HostNamesTest {
    private static final Certificates.Issued CA = Certificates.authority("Names CA");

    private static X509Certificate cert(String commonName, String... names) {
        return Certificates.signed(CA, commonName, List.of(names), "EC", Duration.ofDays(1)).certificate();
    }

    @Test
    void wildcardsStandForPartOrAllOfTheLeftmostLabelOnly() {
        X509Certificate c = cert("x", "*.svc.internal", "api*.example.com", "*.com");
        assertThat(HostNames.matches(c, "orders.svc.internal")).isTrue();
        assertThat(HostNames.matches(c, "ORDERS.Svc.Internal")).isTrue();
        assertThat(HostNames.matches(c, "a.b.svc.internal")).isFalse();
        assertThat(HostNames.matches(c, "svc.internal")).isFalse();
        assertThat(HostNames.matches(c, "api1.example.com")).isTrue();
        assertThat(HostNames.matches(c, "api.example.com")).isTrue();
        assertThat(HostNames.matches(c, "web.example.com")).isFalse();
        assertThat(HostNames.matches(c, "anything.com")).as("*.com is refused").isFalse();
        assertThat(HostNames.matches(c, "xn--bcher-kva.svc.internal")).as("never inside an IDNA label").isFalse();
    }

    @Test
    void theCommonNameCountsOnlyWithoutDnsNames() {
        assertThat(HostNames.matches(cert("cn.example"), "cn.example")).isTrue();
        assertThat(HostNames.matches(cert("cn.example", "other.example"), "cn.example")).isFalse();
        assertThat(HostNames.matches(cert("cn.example", "other.example"), "other.example")).isTrue();
    }

    @Test
    void anAddressMatchesAsNginxMatchesItAndAlsoTheAddressEntries() {
        assertThat(HostNames.matches(cert("x", "127.0.0.1"), "127.0.0.1")).as("an IP entry").isTrue();
        assertThat(HostNames.matches(cert("10.0.0.1"), "10.0.0.1")).as("nginx's way: the name as text").isTrue();
        assertThat(HostNames.matches(cert("x", "127.0.0.1"), "127.0.0.2")).isFalse();
        assertThat(HostNames.matches(cert("x", "localhost"), "::1")).isFalse();
    }
}
