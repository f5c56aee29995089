package io.stampede.balancer.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequestDecoder;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import java.util.List;

/**
 * Netty's request decoder made as strict as a proxy must be: it also refuses what Netty would
 * accept or silently repair. Obsolete line folding, a header line longer than one
 * {@code large_client_header_buffers} buffer, too many header lines, a lowercase or malformed
 * version, an HTTP/2 preface (400), a major version other than 1 (505). HTTP/1.x above 1.1 is
 * treated as 1.1. After the first failure it discards everything: the connection is closed
 * once the error is answered, and no leftover byte is ever read as another request.
 */
final class RequestDecoder extends HttpRequestDecoder {
    static final int MAX_HEADER_LINES = 100;
    private static final int MAX_METHOD = 32;

    /** Why a request head was refused; the status to answer. */
    static final class Refused extends Exception {
        private static final long serialVersionUID = 1L;
        final int status;

        Refused(int status, String message) {
            super(message, null, false, false);
            this.status = status;
        }
    }

    private final int lineLimit;
    /** Told of every read with bytes in it, before they are decoded (the connection's header timer). */
    private final Runnable onBytes;
    private boolean inHead = true;
    private boolean broken;

    RequestDecoder(int headerBuffers, int headerBufferSize) {
        this(headerBuffers, headerBufferSize, null);
    }

    RequestDecoder(int headerBuffers, int headerBufferSize, Runnable onBytes) {
        super(new HttpDecoderConfig()
                // nginx: the request line including CRLF must fit in one buffer.
                .setMaxInitialLineLength(headerBufferSize - 2)
                .setMaxHeaderSize(headerBuffers * headerBufferSize)
                .setMaxChunkSize(64 * 1024)
                .setValidateHeaders(true)
                .setStrictLineParsing(true)
                .setTrailersFactory(SmallTrailers.FACTORY) // after setValidateHeaders, which sets one too
                .setAllowDuplicateContentLengths(false));
        this.lineLimit = headerBufferSize - 2;
        this.onBytes = onBytes;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
        if (onBytes != null && msg instanceof ByteBuf b && b.isReadable()) {
            onBytes.run();
        }
        super.channelRead(ctx, msg);
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) throws Exception {
        if (broken) {
            in.skipBytes(in.readableBytes());
            return;
        }
        // Netty's decoder never crosses a message boundary in one call: a call made between
        // messages consumes only bytes of the next head, so scanning what it consumed checks
        // exactly the head, line by line, before the head is passed on.
        boolean wasInHead = inHead;
        int before = out.size();
        int from = in.readerIndex();
        super.decode(ctx, in, out);
        if (wasInHead) {
            Refused refused = scan(in, from, in.readerIndex());
            if (refused != null) {
                while (out.size() > before) {
                    io.netty.util.ReferenceCountUtil.release(out.remove(out.size() - 1));
                }
                fail(in, out, refused);
                return;
            }
        }
        for (int i = before; i < out.size(); i++) {
            Object o = out.get(i);
            if (o instanceof HttpMessage m) {
                inHead = false;
                resetScan();
                if (m.decoderResult().isFailure()) {
                    broken = true;
                    m.setDecoderResult(DecoderResult.failure(refusal(m.decoderResult().cause())));
                }
            }
            if (o instanceof LastHttpContent last) {
                inHead = true;
                if (last.decoderResult().isFailure()) {
                    broken = true;
                }
            }
        }
    }

    private int lines;
    private int lineLength;
    private boolean lastWasCr;
    private boolean atLineStart;

    private void resetScan() {
        lines = 0;
        lineLength = 0;
        lastWasCr = false;
        atLineStart = false;
    }

    /** Scans head bytes the decoder consumed, carrying the line state over from the last call. */
    private Refused scan(ByteBuf in, int from, int to) {
        for (int i = from; i < to; i++) {
            byte b = in.getByte(i);
            if (b == '\n') {
                int length = lineLength - (lastWasCr ? 1 : 0);
                if (length > 0) {
                    lines++;
                    if (lines > 1 && length > lineLimit) {
                        return new Refused(400, "a header line is longer than " + lineLimit + " bytes");
                    }
                    if (lines > MAX_HEADER_LINES + 1) {
                        return new Refused(400, "more than " + MAX_HEADER_LINES + " header lines");
                    }
                }
                lineLength = 0;
                atLineStart = lines > 0;
            } else {
                if (atLineStart && (b == ' ' || b == '\t')) {
                    return new Refused(400, "obsolete line folding in the header");
                }
                atLineStart = false;
                lineLength++;
            }
            lastWasCr = b == '\r';
        }
        return null;
    }

    @Override
    protected HttpMessage createMessage(String[] initialLine) throws Exception {
        String method = initialLine[0];
        String version = initialLine[2];
        if (method.length() > MAX_METHOD) {
            throw new Refused(400, "method longer than " + MAX_METHOD + " characters");
        }
        if (version.length() != 8 || !version.startsWith("HTTP/") || version.charAt(6) != '.'
                || !Character.isDigit(version.charAt(5)) || !Character.isDigit(version.charAt(7))) {
            throw new Refused(400, "malformed HTTP version '" + version + "'");
        }
        if (version.charAt(5) == '2' && method.equals("PRI")) {
            throw new Refused(400, "an HTTP/2 connection preface on an HTTP/1 port");
        }
        if (version.charAt(5) != '1') {
            throw new Refused(505, "HTTP version " + version + " is not supported");
        }
        HttpVersion v = version.charAt(7) == '0' ? HttpVersion.HTTP_1_0 : HttpVersion.HTTP_1_1;
        return new DefaultHttpRequest(v, HttpMethod.valueOf(method), initialLine[1], headersFactory);
    }

    /**
     * Netty's own refusals, made ours: a coding list that does not end in chunked is nginx's 501
     * (Netty says so only in its message); everything else keeps its cause.
     */
    private static Throwable refusal(Throwable cause) {
        if (cause instanceof IllegalArgumentException && String.valueOf(cause.getMessage()).contains("transfer coding")) {
            return new Refused(501, cause.getMessage());
        }
        return cause;
    }

    private void fail(ByteBuf in, List<Object> out, Refused cause) {
        broken = true;
        in.skipBytes(in.readableBytes());
        DefaultFullHttpRequest invalid = new DefaultFullHttpRequest(HttpVersion.HTTP_1_0, HttpMethod.GET, "/bad-request");
        invalid.setDecoderResult(DecoderResult.failure(cause));
        out.add(invalid);
    }
}
