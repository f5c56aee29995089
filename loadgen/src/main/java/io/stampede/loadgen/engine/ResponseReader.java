package io.stampede.loadgen.engine;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A lean HTTP/1.1 response reader for the generator, in the spirit of wrk's parser: it frames the
 * response (Content-Length, chunked, or until close) and counts its bytes, but builds header
 * objects and keeps the body only when the request's captures or checks need them. Set-Cookie is
 * always kept, for the user's cookie jar. Interim 1xx responses are skipped.
 */
final class ResponseReader extends ChannelInboundHandlerAdapter {
    private static final int MAX_HEAD = 64 * 1024;

    /** Where a complete response (or a framing error) goes. */
    interface Sink {
        void complete(int status, String reason, List<Map.Entry<String, String>> headers, long size, byte[] body,
                      boolean keepAlive);

        void malformed(String error);

        void closed();
    }

    private enum State { IDLE, HEAD, LENGTH, CHUNK_SIZE, CHUNK_DATA, CHUNK_END, TRAILER, UNTIL_CLOSE }

    private final Sink sink;
    private final long maxBody;
    private ByteBuf cumulation;
    private State state = State.IDLE;
    private boolean noBody;
    private boolean keepHeaders;
    private boolean keepBody;
    private int status;
    private boolean keepAlive;
    private long remaining;
    private long size;
    private ByteArrayOutputStream body;
    private List<Map.Entry<String, String>> headers;

    ResponseReader(Sink sink, long maxBody) {
        this.sink = sink;
        this.maxBody = maxBody;
    }

    /** Sets up for the next response: whether it can have a body, and what to keep of it. */
    void expect(boolean headRequest, boolean keepAllHeaders, boolean keepBodyBytes) {
        noBody = headRequest;
        keepHeaders = keepAllHeaders;
        keepBody = keepBodyBytes;
        state = State.HEAD;
    }

    /** Out of the pipeline: nothing more is read, and a tail still held is released. */
    private boolean removed;

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        removed = true;
        if (cumulation != null) {
            cumulation.release();
            cumulation = null;
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ByteBuf in = (ByteBuf) msg;
        try {
            // Parse straight from the socket's buffer; only an incomplete tail is copied for later.
            ByteBuf data = in;
            if (cumulation != null) {
                cumulation.writeBytes(in);
                data = cumulation;
            }
            try {
                parse(ctx, data);
            } catch (RuntimeException e) {
                completed = null;
                fail(ctx, "InvalidResponse: " + e.getMessage());
                return;
            }
            if (removed) {
                return;
            }
            // Only an incomplete tail is held, in a buffer of its own that exists only while it
            // does: an idle connection holds no buffer (and none can be left unreleased when the
            // connection ends without this handler being removed).
            if (data == in) {
                if (in.isReadable()) {
                    cumulation = ctx.alloc().buffer(Math.max(1024, in.readableBytes()));
                    cumulation.writeBytes(in);
                }
            } else if (!cumulation.isReadable()) {
                cumulation.release();
                cumulation = null;
            } else {
                cumulation.discardSomeReadBytes();
            }
        } finally {
            in.release();
            deliver();
        }
    }

    /** A response parsed in this read, handed to the sink only after parsing, outside its error handling. */
    private Runnable completed;

    private void deliver() {
        Runnable r = completed;
        completed = null;
        if (r != null) {
            r.run();
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (state == State.UNTIL_CLOSE) {
            finish(false);
            deliver();
        }
        if (cumulation != null) {
            cumulation.release();
            cumulation = null;
        }
        sink.closed();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close();
    }

    private void parse(ChannelHandlerContext ctx, ByteBuf b) {
        while (b.isReadable()) {
            switch (state) {
                case IDLE -> {
                    fail(ctx, "InvalidResponse: bytes from the server with no request outstanding");
                    return;
                }
                case HEAD -> {
                    int end = endOfHead(b);
                    if (end < 0) {
                        if (b.readableBytes() > MAX_HEAD) {
                            fail(ctx, "InvalidResponse: a response head over " + MAX_HEAD + " bytes");
                        }
                        return;
                    }
                    int headStart = b.readerIndex();
                    b.readerIndex(end + 4);
                    if (!head(b, headStart, end)) {
                        continue; // an interim 1xx response: the real one follows
                    }
                }
                case LENGTH -> {
                    if (!consume(ctx, b)) {
                        return;
                    }
                    if (remaining == 0) {
                        finish(keepAlive);
                    }
                }
                case CHUNK_SIZE -> {
                    int eol = b.indexOf(b.readerIndex(), b.writerIndex(), (byte) '\n');
                    if (eol < 0) {
                        return;
                    }
                    String line = b.toString(b.readerIndex(), eol - b.readerIndex(), StandardCharsets.ISO_8859_1).trim();
                    b.readerIndex(eol + 1);
                    int semi = line.indexOf(';');
                    remaining = Long.parseLong(semi < 0 ? line : line.substring(0, semi).trim(), 16);
                    state = remaining == 0 ? State.TRAILER : State.CHUNK_DATA;
                }
                case CHUNK_DATA -> {
                    if (!consume(ctx, b)) {
                        return;
                    }
                    if (remaining == 0) {
                        state = State.CHUNK_END;
                    }
                }
                case CHUNK_END -> {
                    int eol = b.indexOf(b.readerIndex(), b.writerIndex(), (byte) '\n');
                    if (eol < 0) {
                        return;
                    }
                    b.readerIndex(eol + 1);
                    state = State.CHUNK_SIZE;
                }
                case TRAILER -> {
                    int eol = b.indexOf(b.readerIndex(), b.writerIndex(), (byte) '\n');
                    if (eol < 0) {
                        return;
                    }
                    boolean empty = eol == b.readerIndex() || (eol == b.readerIndex() + 1 && b.getByte(b.readerIndex()) == '\r');
                    b.readerIndex(eol + 1);
                    if (empty) {
                        finish(keepAlive);
                    }
                }
                case UNTIL_CLOSE -> take(b, b.readableBytes());
                default -> throw new IllegalStateException(state.name());
            }
            if (size > maxBody) {
                fail(ctx, "ResponseTooLarge: the body exceeds " + maxBody + " bytes");
                return;
            }
            if (completed != null) {
                return; // one response per request: anything after it is the server's mistake, seen next read
            }
        }
    }

    /** Where the blank line ending the head starts (the index of its first CR), or -1. */
    private static int endOfHead(ByteBuf b) {
        int from = b.readerIndex();
        int to = b.writerIndex();
        int i = from;
        while (true) {
            int lf = b.indexOf(i, to, (byte) '\n');
            if (lf < 0) {
                return -1;
            }
            // "\r\n\r\n": this LF ends an empty line when the two bytes before are "\n\r".
            if (lf - from >= 3 && b.getByte(lf - 1) == '\r' && b.getByte(lf - 2) == '\n' && b.getByte(lf - 3) == '\r') {
                return lf - 3;
            }
            i = lf + 1;
        }
    }

    /**
     * Parses the head in {@code b[from, end)} without turning it into strings: the status from its
     * digits, and of the headers only the four that matter (Content-Length, Transfer-Encoding,
     * Connection, Set-Cookie), unless the request asked to keep them all. False for an interim response.
     */
    private boolean head(ByteBuf b, int from, int end) {
        int lineEnd = b.indexOf(from, end, (byte) '\r');
        if (lineEnd < 0) {
            lineEnd = end;
        }
        if (lineEnd - from < 12 || b.getByte(from) != 'H' || b.getByte(from + 5) != '1' || b.getByte(from + 6) != '.') {
            throw new IllegalArgumentException("not an HTTP/1.x status line");
        }
        boolean http10 = b.getByte(from + 7) == '0';
        status = digit(b, from + 9) * 100 + digit(b, from + 10) * 10 + digit(b, from + 11);
        // The reason phrase is only read for error messages, so only then is it made a string.
        reasonBuf = status >= 400 && lineEnd > from + 13
                ? b.toString(from + 13, lineEnd - from - 13, StandardCharsets.ISO_8859_1) : "";
        long length = -1;
        boolean chunked = false;
        boolean close = http10;
        headers = keepHeaders ? new ArrayList<>() : null;
        int pos = lineEnd + 2;
        while (pos < end) {
            int eol = b.indexOf(pos, end, (byte) '\r');
            if (eol < 0) {
                eol = end;
            }
            int colon = b.indexOf(pos, eol, (byte) ':');
            if (colon <= pos) {
                throw new IllegalArgumentException("a header line without a name");
            }
            int nameLength = colon - pos;
            boolean cookie = false;
            if (nameLength == 14 && is(b, pos, "content-length")) {
                length = Long.parseLong(value(b, colon, eol));
            } else if (nameLength == 17 && is(b, pos, "transfer-encoding")) {
                chunked = value(b, colon, eol).toLowerCase(java.util.Locale.ROOT).endsWith("chunked");
            } else if (nameLength == 10 && is(b, pos, "connection")) {
                String v = value(b, colon, eol).toLowerCase(java.util.Locale.ROOT);
                close = v.contains("close") || (http10 && !v.contains("keep-alive"));
            } else if (nameLength == 10 && is(b, pos, "set-cookie")) {
                cookie = true;
                if (headers == null) {
                    headers = new ArrayList<>();
                }
            }
            if (headers != null && (keepHeaders || cookie)) {
                headers.add(new AbstractMap.SimpleImmutableEntry<>(b.toString(pos, nameLength, StandardCharsets.ISO_8859_1),
                        value(b, colon, eol)));
            }
            pos = eol + 2;
        }
        if (status >= 100 && status < 200) {
            return false;
        }
        keepAlive = !close;
        size = 0;
        body = keepBody ? new ByteArrayOutputStream() : null;
        if (noBody || status == 204 || status == 304) {
            finish(keepAlive);
            return true;
        }
        if (chunked) {
            state = State.CHUNK_SIZE;
        } else if (length >= 0) {
            remaining = length;
            state = State.LENGTH;
            if (length == 0) {
                finish(keepAlive);
            }
        } else {
            keepAlive = false;
            state = State.UNTIL_CLOSE;
        }
        return true;
    }

    private String reasonBuf = "";

    private static int digit(ByteBuf b, int i) {
        int d = b.getByte(i) - '0';
        if (d < 0 || d > 9) {
            throw new IllegalArgumentException("a status code that is not three digits");
        }
        return d;
    }

    /** Case-insensitive comparison of an ASCII header name with a lowercase one. */
    private static boolean is(ByteBuf b, int at, String lower) {
        for (int i = 0; i < lower.length(); i++) {
            int c = b.getByte(at + i);
            if (c >= 'A' && c <= 'Z') {
                c += 'a' - 'A';
            }
            if (c != lower.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    private static String value(ByteBuf b, int colon, int eol) {
        return b.toString(colon + 1, eol - colon - 1, StandardCharsets.ISO_8859_1).trim();
    }

    /** Takes what is here of the {@code remaining} body bytes; false (and closed) past the size limit. */
    private boolean consume(ChannelHandlerContext ctx, ByteBuf b) {
        int n = (int) Math.min(remaining, b.readableBytes());
        if (size + n > maxBody) {
            fail(ctx, "ResponseTooLarge: the body exceeds " + maxBody + " bytes");
            return false;
        }
        take(b, n);
        remaining -= n;
        return true;
    }

    private void take(ByteBuf b, int n) {
        if (body != null && n > 0) {
            byte[] bytes = new byte[n];
            b.readBytes(bytes);
            body.writeBytes(bytes);
        } else {
            b.skipBytes(n);
        }
        size += n;
    }

    private void finish(boolean reusable) {
        state = State.IDLE;
        List<Map.Entry<String, String>> h = headers == null ? List.of() : headers;
        byte[] bytes = body == null ? null : body.toByteArray();
        headers = null;
        body = null;
        int st = status;
        String reason = reasonBuf;
        long n = size;
        completed = () -> sink.complete(st, reason, h, n, bytes, reusable);
    }

    private void fail(ChannelHandlerContext ctx, String error) {
        state = State.IDLE;
        if (cumulation != null) {
            cumulation.clear();
        }
        sink.malformed(error);
        ctx.close();
    }
}
