package io.stampede.balancer.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseDecoder;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.AsciiString;
import java.util.ArrayList;
import java.util.List;

/**
 * Decodes an upstream's responses and knows where each one ends. Netty's client codec stops a
 * 204, 304 or HEAD response at its head and a Content-Length body at its length, and keeps any
 * further bytes for the next response; on a pooled connection those bytes would become the
 * answer to somebody else's request. Here a response is expected only while a request is
 * outstanding ({@link #expect}); a byte that arrives after its end, in the same read or later
 * while the connection is idle, is <em>surplus</em>: it is thrown away, the connection is marked
 * unusable, and (when nothing owns it to do so) closed. nginx does the same ("upstream sent more
 * data than specified").
 *
 * <p>Interim 1xx responses (not 101) do not end the wait: the final response follows them.
 */
final class UpstreamDecoder extends HttpResponseDecoder {
    private boolean expecting;
    private boolean headRequest;
    private boolean interim;
    private int surplusBytes;
    /** A 101 came: what follows is the new protocol's, passed on as it comes (Netty's decoder is in its upgraded state). */
    private boolean switched;
    private Runnable onIdleSurplus;

    UpstreamDecoder(int maxHeadSize) {
        super(new HttpDecoderConfig()
                .setMaxInitialLineLength(8192)
                .setMaxHeaderSize(maxHeadSize)
                .setMaxChunkSize(64 * 1024)
                .setValidateHeaders(true)
                .setTrailersFactory(SmallTrailers.FACTORY) // after setValidateHeaders, which sets one too
                .setAllowDuplicateContentLengths(false));
    }

    /** A request goes out now: one response is expected (without a body when it answers HEAD). */
    void expect(boolean head) {
        expecting = true;
        headRequest = head;
        interim = false;
    }

    /** Whether bytes beyond a response's end arrived: the connection must not be reused. */
    boolean sawSurplus() {
        return surplusBytes > 0;
    }

    int surplusBytes() {
        return surplusBytes;
    }

    /** Called when surplus arrives while no response is expected (the connection is idle). */
    void onIdleSurplus(Runnable action) {
        this.onIdleSurplus = action;
    }

    /**
     * Header names nearly every response carries, in the spellings servers send, indexed by length.
     * A name read from the wire that matches one byte for byte is that shared, immutable
     * instance (its hash computed once) rather than a new copy per response; the client still
     * sees the server's spelling. Netty's request decoder does the same for Host and friends.
     */
    private static final AsciiString[][] KNOWN_NAMES = byLength(
            "Server", "Date", "Content-Type", "Content-Length", "Connection", "Keep-Alive", "Transfer-Encoding",
            "Cache-Control", "Last-Modified", "ETag", "Vary", "Set-Cookie", "Location", "Expires", "Accept-Ranges",
            "Content-Encoding", "X-Content-Type-Options", "Strict-Transport-Security", "Access-Control-Allow-Origin",
            "server", "date", "content-type", "content-length", "connection", "keep-alive", "transfer-encoding",
            "cache-control", "last-modified", "etag", "vary", "set-cookie", "location", "expires", "content-encoding");
    private static final byte[] HTTP_1_1 = "HTTP/1.1".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    private static final byte[] OK_CODE = {'2', '0', '0'};
    private static final byte[] OK_REASON = {'O', 'K'};

    private static AsciiString[][] byLength(String... names) {
        List<List<AsciiString>> lists = new ArrayList<>();
        for (String name : names) {
            while (lists.size() <= name.length()) {
                lists.add(new ArrayList<>());
            }
            lists.get(name.length()).add(AsciiString.cached(name));
        }
        AsciiString[][] out = new AsciiString[lists.size()][];
        for (int i = 0; i < out.length; i++) {
            out[i] = lists.get(i).toArray(new AsciiString[0]);
        }
        return out;
    }

    private static boolean same(byte[] known, byte[] bytes, int start, int length) {
        if (known.length != length) {
            return false;
        }
        for (int i = 0; i < length; i++) {
            if (known[i] != bytes[start + i]) {
                return false;
            }
        }
        return true;
    }

    @Override
    protected AsciiString splitHeaderName(byte[] bytes, int start, int length) {
        if (length < KNOWN_NAMES.length) {
            for (AsciiString known : KNOWN_NAMES[length]) {
                if (same(known.array(), bytes, start, length)) { // cached(): the whole array, from 0
                    return known;
                }
            }
        }
        return super.splitHeaderName(bytes, start, length);
    }

    // The status line's words: the common ones are constants, not three new strings per response.
    @Override
    protected String splitFirstWordInitialLine(byte[] bytes, int start, int length) {
        return same(HTTP_1_1, bytes, start, length) ? "HTTP/1.1" : super.splitFirstWordInitialLine(bytes, start, length);
    }

    @Override
    protected String splitSecondWordInitialLine(byte[] bytes, int start, int length) {
        return same(OK_CODE, bytes, start, length) ? "200" : super.splitSecondWordInitialLine(bytes, start, length);
    }

    @Override
    protected String splitThirdWordInitialLine(byte[] bytes, int start, int length) {
        return same(OK_REASON, bytes, start, length) ? "OK" : super.splitThirdWordInitialLine(bytes, start, length);
    }

    @Override
    protected boolean isContentAlwaysEmpty(HttpMessage msg) {
        int code = ((HttpResponse) msg).status().code();
        if (code == 101) {
            return true; // a head alone, as nginx reads it (Netty would read an old Hixie-76 body)
        }
        if (code >= 100 && code < 200) {
            return super.isContentAlwaysEmpty(msg);
        }
        return headRequest || super.isContentAlwaysEmpty(msg);
    }

    /**
     * Netty would drop the length and trust chunked; a response framed two ways is one an
     * attacker may have shaped to be read differently by someone else, so it is refused (nginx:
     * "upstream sent "Content-Length" and "Transfer-Encoding" headers at the same time").
     */
    @Override
    protected void handleTransferEncodingChunkedWithContentLength(HttpMessage message) {
        throw new IllegalArgumentException("Content-Length and Transfer-Encoding at the same time");
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) throws Exception {
        if (switched) {
            // Whatever the 101 named (even an HTTP/1.x in its Upgrade, where Netty would go on
            // parsing HTTP), what follows is the new protocol's bytes, passed on as they are.
            if (in.isReadable()) {
                out.add(in.readRetainedSlice(in.readableBytes()));
            }
            return;
        }
        if (!expecting) {
            discardSurplus(in);
            if (onIdleSurplus != null) {
                onIdleSurplus.run();
            }
            return;
        }
        int before = out.size();
        super.decode(ctx, in, out);
        for (int i = before; i < out.size(); i++) {
            Object o = out.get(i);
            if (o instanceof HttpResponse r) {
                int code = r.status().code();
                interim = r.decoderResult().isSuccess() && code >= 100 && code < 200 && code != 101;
                switched = r.decoderResult().isSuccess() && code == 101;
            }
            if (o instanceof LastHttpContent) {
                if (interim) {
                    interim = false;
                    continue;
                }
                if (switched) {
                    // The bytes after a 101 are not surplus: the exchange relays them, or closes the connection.
                    expecting = false;
                    return;
                }
                // The response is whole. Netty returns right after its last piece, so whatever
                // is still readable came after the end of the message.
                expecting = false;
                discardSurplus(in);
            }
        }
    }

    private void discardSurplus(ByteBuf in) {
        int n = in.readableBytes();
        if (n > 0) {
            surplusBytes += n;
            in.skipBytes(n);
        }
    }
}
