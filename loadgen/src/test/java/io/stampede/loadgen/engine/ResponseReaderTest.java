package io.stampede.loadgen.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The generator's response parser, fed bytes in pieces as the socket may deliver them. */
class ResponseReaderTest {
    record Seen(int status, String reason, List<Map.Entry<String, String>> headers, long size, String body, boolean keepAlive) {}

    final List<Object> events = new ArrayList<>();
    final ResponseReader reader = new ResponseReader(new ResponseReader.Sink() {
        @Override
        public void complete(int status, String reason, List<Map.Entry<String, String>> headers, long size, byte[] body,
                             boolean keepAlive) {
            events.add(new Seen(status, reason, headers, size, body == null ? null : new String(body, StandardCharsets.UTF_8),
                    keepAlive));
        }

        @Override
        public void malformed(String error) {
            events.add("malformed: " + error);
        }

        @Override
        public void closed() {
            events.add("closed");
        }
    }, 1024);
    final EmbeddedChannel channel = new EmbeddedChannel(reader);

    /** Closing the channel removes the reader, which frees its buffer. */
    @AfterEach
    void close() {
        channel.finishAndReleaseAll();
    }

    private void feed(String... pieces) {
        for (String p : pieces) {
            channel.writeInbound(Unpooled.copiedBuffer(p, StandardCharsets.ISO_8859_1));
        }
    }

    @Test
    void contentLengthBodyAcrossReads() {
        reader.expect(false, false, true);
        feed("HTTP/1.1 200 OK\r\nContent-Le", "ngth: 5\r\n\r", "\nhel", "lo");
        assertThat(events).containsExactly(new Seen(200, "", List.of(), 5, "hello", true));
    }

    @Test
    void chunkedBodyWithExtensionsAndTrailers() {
        reader.expect(false, false, true);
        feed("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;x=y\r\nabc\r", "\n2\r\nde\r\n0\r\nX-T: 1\r\n", "\r\n");
        assertThat(events).containsExactly(new Seen(200, "", List.of(), 5, "abcde", true));
    }

    @Test
    void bodiesAreCountedNotKeptUnlessAsked() {
        reader.expect(false, false, false);
        feed("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc");
        assertThat(events).containsExactly(new Seen(200, "", List.of(), 3, null, true));
    }

    @Test
    void noBodyForHead204And304AndInterimResponsesAreSkipped() {
        reader.expect(true, false, true);
        feed("HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n");
        reader.expect(false, false, true);
        feed("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n");
        reader.expect(false, false, true);
        feed("HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n");
        assertThat(events).extracting(e -> ((Seen) e).status()).containsExactly(200, 204, 304);
        assertThat(events).extracting(e -> ((Seen) e).size()).containsOnly(0L);
    }

    @Test
    void closeDelimitedHttp10AndConnectionClose() {
        reader.expect(false, false, true);
        feed("HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 2\r\n\r\nno");
        assertThat(events).containsExactly(new Seen(503, "Service Unavailable", List.of(), 2, "no", false));
        events.clear();
        reader.expect(false, false, true);
        feed("HTTP/1.0 200 OK\r\n\r\nuntil close");
        channel.close();
        assertThat(events).containsExactly(new Seen(200, "", List.of(), 11, "until close", false), "closed");
    }

    @Test
    void setCookieIsAlwaysKeptOtherHeadersOnlyOnRequest() {
        reader.expect(false, false, false);
        feed("HTTP/1.1 200 OK\r\nSet-Cookie: sid=1\r\nX-A: b\r\nContent-Length: 0\r\n\r\n");
        reader.expect(false, true, false);
        feed("HTTP/1.1 200 OK\r\nX-A: b\r\nContent-Length: 0\r\n\r\n");
        assertThat(((Seen) events.get(0)).headers()).containsExactly(Map.entry("Set-Cookie", "sid=1"));
        assertThat(((Seen) events.get(1)).headers()).containsExactly(Map.entry("X-A", "b"), Map.entry("Content-Length", "0"));
    }

    @Test
    void malformedOversizedAndUnaskedResponsesFailAndClose() {
        reader.expect(false, false, false);
        feed("SMTP ready\r\n\r\n");
        assertThat(events.get(0).toString()).startsWith("malformed: InvalidResponse");
        assertThat(channel.isOpen()).isFalse();

        ResponseReaderTest other = new ResponseReaderTest();
        other.reader.expect(false, false, false);
        other.feed("HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n", "x".repeat(2000));
        assertThat(other.events.get(0).toString()).startsWith("malformed: ResponseTooLarge");
        other.close();

        ResponseReaderTest idle = new ResponseReaderTest();
        idle.feed("HTTP/1.1 200 OK\r\n\r\n");
        assertThat(idle.events.get(0).toString()).contains("no request outstanding");
        idle.close();
    }
}
