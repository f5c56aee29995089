package io.stampede.loadgen.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.ConnectException;
import java.net.InetSocketAddress;
import org.junit.jupiter.api.Test;

/** A failed connect is named for what happened, in Python's words, as the failures table shows it. */
class ConnectErrorTest {
    static final InetSocketAddress TO = new InetSocketAddress("127.0.0.1", 8000);

    @Test
    void refusedIsRefused() {
        // Netty's native transports word it so (strerror after "connect(..) failed: ").
        assertThat(HttpConnection.connectError(new ConnectException("connect(..) failed: Connection refused"), TO))
                .isEqualTo("ConnectionRefusedError: " + TO + " refused the connection");
        assertThat(HttpConnection.connectError(new ConnectException(), TO)).startsWith("ConnectionRefusedError:");
    }

    @Test
    void noLocalPortLeftIsTheGeneratorsLimitNotARefusal() {
        // Past about 28,000 connections from one address to one port, connect() finds no local port.
        String e = HttpConnection.connectError(new ConnectException("connect(..) failed: Cannot assign requested address"), TO);
        assertThat(e).startsWith("OSError: [Errno 99] Cannot assign requested address").contains(TO.toString())
                .contains("--source-ips").doesNotContain("refused");
        // --source-ips is for loopback targets: another address gets other advice.
        InetSocketAddress remote = new InetSocketAddress("192.0.2.7", 443);
        assertThat(HttpConnection.connectError(new ConnectException("connect(..) failed: Cannot assign requested address"), remote))
                .contains("fewer connections from this machine").doesNotContain("--source-ips");
    }

    @Test
    void otherFailuresKeepTheirOwnWords() {
        assertThat(HttpConnection.connectError(new ConnectException("connect(..) failed: Network is unreachable"), TO))
                .isEqualTo("ConnectionError: connect(..) failed: Network is unreachable");
        assertThat(HttpConnection.connectError(new io.netty.channel.ConnectTimeoutException("timed out"), TO))
                .isEqualTo("ConnectTimeoutError: no connection to " + TO);
    }
}
