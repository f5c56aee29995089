package io.stampede.balancer.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandler;
import io.netty.channel.DefaultChannelId;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.HttpResponseEncoder;
import io.netty.util.ReferenceCountUtil;
import io.stampede.balancer.config.ConfigLoader;
import io.stampede.balancer.config.ProxyConfig;
import java.io.StringReader;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The exchange's phases without a socket: the client and each upstream connection are
 * {@link EmbeddedChannel}s on one event loop, fed bytes by hand, so every transition of a request
 * (and what it does with the upstream connection afterwards) can be read off one at a time.
 */
class ExchangePhasesTest {
    private ProxyServer server;
    private Client client;
    private ClientConnection connection;
    private final List<Upstream> upstreams = new ArrayList<>();

    /** An embedded channel with socket addresses, as the proxy expects of its connections. */
    static final class Client extends EmbeddedChannel {
        Client(ChannelHandler... handlers) {
            super(handlers);
        }

        @Override
        protected SocketAddress remoteAddress0() {
            return new InetSocketAddress("127.0.0.1", 40000);
        }

        @Override
        protected SocketAddress localAddress0() {
            return new InetSocketAddress("127.0.0.1", 8080);
        }
    }

    /** An upstream connection, registered by the proxy's own bootstrap on the client's loop. */
    static final class Upstream extends EmbeddedChannel {
        Upstream() {
            super(DefaultChannelId.newInstance(), false, false);
        }
    }

    @BeforeEach
    void start() throws Exception {
        ProxyConfig config = ConfigLoader.parse("phases.yaml", new StringReader("listen: 127.0.0.1:0\n"
                + "locations:\n  /:\n    proxy_pass: http://backend\n"
                + "upstreams:\n  backend:\n    keepalive: 4\n    servers: [\"127.0.0.1:9\"]\n"));
        SplittableRandom random = new SplittableRandom(1);
        server = new ProxyServer(config, () -> 1000L, random::nextLong);
        ProxyRuntime runtime = server.runtime().withUpstreamChannels(() -> {
            Upstream u = new Upstream();
            upstreams.add(u);
            return u;
        });
        connection = new ClientConnection(runtime, server, null);
        client = new Client(new RequestDecoder(4, 8192), new HttpResponseEncoder(), connection);
    }

    @AfterEach
    void stop() {
        client.finishAndReleaseAll();
        upstreams.forEach(EmbeddedChannel::finishAndReleaseAll);
        server.close();
    }

    private Exchange.Phase phase() {
        Exchange e = connection.current();
        return e == null ? null : e.phase();
    }

    private void fromClient(String raw) {
        client.writeInbound(Unpooled.copiedBuffer(raw, StandardCharsets.ISO_8859_1));
        client.runPendingTasks();
    }

    private static void fromUpstream(Upstream u, String raw) {
        u.writeInbound(Unpooled.copiedBuffer(raw, StandardCharsets.ISO_8859_1));
    }

    private static String drain(EmbeddedChannel ch) {
        StringBuilder out = new StringBuilder();
        Object o;
        while ((o = ch.readOutbound()) != null) {
            if (o instanceof ByteBuf b) {
                out.append(b.toString(StandardCharsets.ISO_8859_1));
            }
            ReferenceCountUtil.release(o);
        }
        return out.toString();
    }

    @Test
    void aGetGoesFromWaitingToRelayingToDoneAndItsConnectionIsPooled() {
        fromClient("GET /a HTTP/1.1\r\nHost: x\r\n\r\n");
        assertThat(upstreams).hasSize(1);
        Upstream u = upstreams.get(0);
        assertThat(drain(u)).startsWith("GET /a HTTP/1.1\r\n");
        assertThat(phase()).as("the whole request went out").isEqualTo(Exchange.Phase.WAITING);

        fromUpstream(u, "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nab");
        assertThat(phase()).as("head relayed, body under way").isEqualTo(Exchange.Phase.RELAYING);
        fromUpstream(u, "cd");
        assertThat(phase()).as("the exchange ended").isNull();
        assertThat(drain(client)).startsWith("HTTP/1.1 200 OK\r\n").endsWith("\r\n\r\nabcd");
        assertThat(u.isOpen()).as("a clean end: pooled").isTrue();

        // The next request reuses it: no new upstream channel.
        fromClient("GET /b HTTP/1.1\r\nHost: x\r\n\r\n");
        assertThat(upstreams).hasSize(1);
        assertThat(drain(u)).startsWith("GET /b HTTP/1.1\r\n");
    }

    @Test
    void surplusBytesEndTheResponseAndCloseItsConnection() {
        fromClient("GET /a HTTP/1.1\r\nHost: x\r\n\r\n");
        Upstream u = upstreams.get(0);
        drain(u);
        fromUpstream(u, "HTTP/1.1 204 No Content\r\nContent-Length: 4\r\n\r\nEVIL");
        assertThat(phase()).isNull();
        assertThat(drain(client)).startsWith("HTTP/1.1 204 No Content\r\n").doesNotContain("EVIL");
        assertThat(u.isOpen()).as("surplus: never pooled").isFalse();

        fromClient("GET /b HTTP/1.1\r\nHost: x\r\n\r\n");
        assertThat(upstreams).as("a new connection for the next request").hasSize(2);
    }

    @Test
    void aBodyIsReadBeforeTheUpstreamIsChosen() {
        fromClient("POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 6\r\n\r\nabc");
        assertThat(phase()).isEqualTo(Exchange.Phase.BODY);
        assertThat(upstreams).as("no server is chosen before the body is whole").isEmpty();
        fromClient("def");
        assertThat(phase()).isEqualTo(Exchange.Phase.WAITING);
        assertThat(drain(upstreams.get(0))).startsWith("POST /a HTTP/1.1\r\n").endsWith("\r\n\r\nabcdef");
    }

    @Test
    void anUpstreamThatClosesMidBodyCutsTheClient() {
        fromClient("GET /a HTTP/1.1\r\nHost: x\r\n\r\n");
        Upstream u = upstreams.get(0);
        drain(u);
        fromUpstream(u, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc");
        assertThat(phase()).isEqualTo(Exchange.Phase.RELAYING);
        u.close();
        client.runPendingTasks();
        assertThat(phase()).isNull();
        assertThat(client.isOpen()).as("a response cut short closes the client").isFalse();
    }

    @Test
    void aBrokenHeadBeforeAnythingWasSentIsA502AndTheClientStays() {
        fromClient("GET /a HTTP/1.1\r\nHost: x\r\n\r\n");
        Upstream u = upstreams.get(0);
        drain(u);
        fromUpstream(u, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nhi");
        assertThat(phase()).isNull();
        assertThat(drain(client)).startsWith("HTTP/1.1 502 Bad Gateway\r\n");
        assertThat(u.isOpen()).isFalse();
        assertThat(client.isOpen()).as("keep-alive survives an upstream's fault").isTrue();
    }
}
