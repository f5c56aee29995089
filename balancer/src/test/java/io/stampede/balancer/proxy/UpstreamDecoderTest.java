package io.stampede.balancer.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Where an upstream response ends, on an EmbeddedChannel: the transitions that decide whether a connection may be reused. */
class UpstreamDecoderTest {
    private final AtomicInteger idleSurplus = new AtomicInteger();

    private EmbeddedChannel channel(UpstreamDecoder decoder) {
        decoder.onIdleSurplus(idleSurplus::incrementAndGet);
        return new EmbeddedChannel(decoder);
    }

    private static List<Object> feed(EmbeddedChannel ch, String bytes) {
        ch.writeInbound(Unpooled.copiedBuffer(bytes, StandardCharsets.ISO_8859_1));
        List<Object> out = new ArrayList<>();
        Object o;
        while ((o = ch.readInbound()) != null) {
            out.add(o);
        }
        return out;
    }

    private static void release(List<Object> msgs) {
        msgs.forEach(ReferenceCountUtil::release);
    }

    @Test
    void sharedNamesAndStatusWordsKeepTheServersSpelling() {
        UpstreamDecoder d = new UpstreamDecoder(8192);
        EmbeddedChannel ch = channel(d);
        d.expect(false);
        List<Object> out = feed(ch, "HTTP/1.1 200 OK\r\nContent-Type: a\r\ncontent-length: 0\r\nCONTENT-ENCODING: x\r\n"
                + "Date: d\r\nX-Own: y\r\n\r\n");
        HttpResponse r = (HttpResponse) out.get(0);
        List<String> names = new ArrayList<>(r.headers().names());
        assertThat(names).containsExactlyInAnyOrder("Content-Type", "content-length", "CONTENT-ENCODING", "Date", "X-Own");
        assertThat(r.headers().get("content-type")).isEqualTo("a");
        assertThat(r.status().code()).isEqualTo(200);
        assertThat(r.status().reasonPhrase()).isEqualTo("OK");
        assertThat(r.protocolVersion().text()).isEqualTo("HTTP/1.1");
        release(out);
        // Words that are not the shared ones are read as sent.
        d.expect(false);
        out = feed(ch, "HTTP/1.0 201 Fine\r\nServe: s\r\nContent-Length: 0\r\n\r\n");
        r = (HttpResponse) out.get(0);
        assertThat(r.status().code()).isEqualTo(201);
        assertThat(r.status().reasonPhrase()).isEqualTo("Fine");
        assertThat(r.protocolVersion().text()).isEqualTo("HTTP/1.0");
        assertThat(r.headers().names()).containsExactlyInAnyOrder("Serve", "Content-Length");
        release(out);
        ch.finishAndReleaseAll();
    }

    @Test
    void aResponseThatEndsExactlyLeavesTheConnectionClean() {
        UpstreamDecoder d = new UpstreamDecoder(8192);
        EmbeddedChannel ch = channel(d);
        d.expect(false);
        List<Object> out = feed(ch, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi");
        assertThat(out.get(out.size() - 1)).isInstanceOf(LastHttpContent.class);
        assertThat(d.sawSurplus()).isFalse();
        release(out);
        ch.finishAndReleaseAll();
    }

    @Test
    void bytesAfterTheEndInTheSameReadAreSurplusAndNeverDecoded() {
        UpstreamDecoder d = new UpstreamDecoder(8192);
        EmbeddedChannel ch = channel(d);
        d.expect(false);
        List<Object> out = feed(ch, "HTTP/1.1 204 No Content\r\nContent-Length: 41\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nEVIL");
        assertThat(out.stream().filter(o -> o instanceof HttpResponse)).hasSize(1);
        assertThat(d.sawSurplus()).isTrue();
        assertThat(d.surplusBytes()).isEqualTo("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nEVIL".length());
        release(out);
        ch.finishAndReleaseAll();
    }

    @Test
    void aByteWhileIdleIsSurplusAndReported() {
        UpstreamDecoder d = new UpstreamDecoder(8192);
        EmbeddedChannel ch = channel(d);
        d.expect(false);
        release(feed(ch, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi"));
        assertThat(feed(ch, "HTTP/1.1 403 Denied\r\n")).isEmpty();
        assertThat(idleSurplus.get()).isEqualTo(1);
        assertThat(d.sawSurplus()).isTrue();
        ch.finishAndReleaseAll();
    }

    @Test
    void aHeadAnswerEndsAtItsHeadWhateverItsLength() {
        UpstreamDecoder d = new UpstreamDecoder(8192);
        EmbeddedChannel ch = channel(d);
        d.expect(true);
        List<Object> out = feed(ch, "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nEVIL");
        assertThat(out).hasSize(2);
        assertThat(((LastHttpContent) out.get(1)).content().readableBytes()).isZero();
        assertThat(d.surplusBytes()).isEqualTo(4);
        release(out);
        ch.finishAndReleaseAll();
    }

    @Test
    void interimResponsesDoNotEndTheWait() {
        UpstreamDecoder d = new UpstreamDecoder(8192);
        EmbeddedChannel ch = channel(d);
        d.expect(false);
        List<Object> out = feed(ch, "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi");
        assertThat(out.stream().filter(o -> o instanceof HttpResponse).map(o -> ((HttpResponse) o).status().code()))
                .containsExactly(100, 103, 200);
        assertThat(d.sawSurplus()).isFalse();
        release(out);
        ch.finishAndReleaseAll();
    }

    @Test
    void aResponseFramedTwoWaysIsInvalid() {
        UpstreamDecoder d = new UpstreamDecoder(8192);
        EmbeddedChannel ch = channel(d);
        d.expect(false);
        List<Object> out = feed(ch, "HTTP/1.1 200 OK\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nEVIL\r\n0\r\n\r\n");
        assertThat(((HttpResponse) out.get(0)).decoderResult().isFailure()).isTrue();
        release(out);
        ch.finishAndReleaseAll();
    }
}
