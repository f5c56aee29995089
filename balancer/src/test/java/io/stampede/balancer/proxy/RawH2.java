package io.stampede.balancer.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersDecoder;
import io.netty.handler.codec.http2.DefaultHttp2HeadersEncoder;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2Headers;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/**
 * An HTTP/2 client that writes frames byte by byte as a test says, hostile ones included, over a
 * plain socket (h2c with prior knowledge). Only HPACK is borrowed (Netty's encoder and decoder);
 * framing, flow control and the connection's rules are the test's to keep or break.
 */
final class RawH2 implements AutoCloseable {
    static final int DATA = 0, HEADERS = 1, RST_STREAM = 3, SETTINGS = 4, PING = 6, GOAWAY = 7, WINDOW_UPDATE = 8,
            CONTINUATION = 9;
    static final int END_STREAM = 0x1, ACK = 0x1, END_HEADERS = 0x4;
    static final byte[] PREFACE = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

    /** One frame as read. */
    record Frame(int type, int flags, int stream, byte[] payload) {
        boolean has(int flag) {
            return (flags & flag) != 0;
        }

        /** RST_STREAM's or GOAWAY's error code. */
        long errorCode() {
            int at = type == GOAWAY ? 4 : 0;
            return ((payload[at] & 0xffL) << 24) | ((payload[at + 1] & 0xff) << 16) | ((payload[at + 2] & 0xff) << 8)
                    | (payload[at + 3] & 0xff);
        }

        /** GOAWAY's last stream id. */
        int lastStream() {
            return ((payload[0] & 0x7f) << 24) | ((payload[1] & 0xff) << 16) | ((payload[2] & 0xff) << 8) | (payload[3] & 0xff);
        }
    }

    /** A stream's answer as far as it came. */
    static final class Response {
        Http2Headers headers;
        final ByteArrayOutputStream body = new ByteArrayOutputStream();
        boolean ended;
        Long reset;

        String status() {
            return headers == null ? null : String.valueOf(headers.status());
        }

        String text() {
            return body.toString(StandardCharsets.UTF_8);
        }
    }

    final Socket socket;
    private final DataInputStream in;
    private final OutputStream out;
    private final DefaultHttp2HeadersEncoder encoder = new DefaultHttp2HeadersEncoder();
    private final DefaultHttp2HeadersDecoder decoder = new DefaultHttp2HeadersDecoder(false, false, 1 << 20);
    final Map<Integer, Response> responses = new HashMap<>();
    /** Settings the server sent, by identifier. */
    final Map<Integer, Long> serverSettings = new HashMap<>();
    Frame goaway;
    /** Whether DATA is acknowledged with WINDOW_UPDATE as it arrives (a well-behaved client). */
    boolean autoWindow = true;
    /** What the server lets us send: the connection's window and each stream's. */
    private long connectionWindow = 65_535;
    private final Map<Integer, Long> streamWindows = new HashMap<>();
    private ByteArrayOutputStream headerBlock;
    private int headerStream;

    /** Connects, sends the preface and a SETTINGS frame with {@code settings} (id, value pairs). */
    RawH2(int port, int... settings) throws IOException {
        this(new Socket(), port, settings);
    }

    /** @param unconnected a socket to connect, set up beforehand (a small receive buffer, say) */
    RawH2(Socket unconnected, int port, int... settings) throws IOException {
        socket = unconnected;
        socket.connect(new java.net.InetSocketAddress("127.0.0.1", port), 5_000);
        socket.setSoTimeout(10_000);
        socket.setTcpNoDelay(true);
        in = new DataInputStream(socket.getInputStream());
        out = socket.getOutputStream();
        out.write(PREFACE);
        byte[] s = new byte[settings.length / 2 * 6];
        for (int i = 0; i < settings.length; i += 2) {
            int at = i / 2 * 6;
            s[at] = (byte) (settings[i] >> 8);
            s[at + 1] = (byte) settings[i];
            putInt(s, at + 2, settings[i + 1]);
        }
        frame(SETTINGS, 0, 0, s);
    }

    static Http2Headers get(String path) {
        return request("GET", path);
    }

    static Http2Headers request(String method, String path) {
        return new DefaultHttp2Headers().method(method).scheme("http").authority("test.example").path(path);
    }

    void frame(int type, int flags, int stream, byte[] payload) throws IOException {
        byte[] f = new byte[9 + payload.length];
        f[0] = (byte) (payload.length >> 16);
        f[1] = (byte) (payload.length >> 8);
        f[2] = (byte) payload.length;
        f[3] = (byte) type;
        f[4] = (byte) flags;
        putInt(f, 5, stream);
        System.arraycopy(payload, 0, f, 9, payload.length);
        out.write(f);
        out.flush();
    }

    byte[] hpack(Http2Headers headers) {
        ByteBuf b = Unpooled.buffer();
        try {
            encoder.encodeHeaders(0, headers, b);
            byte[] out = new byte[b.readableBytes()];
            b.readBytes(out);
            return out;
        } catch (Http2Exception e) {
            throw new IllegalStateException(e);
        } finally {
            b.release();
        }
    }

    void headers(int stream, Http2Headers headers, boolean endStream) throws IOException {
        frame(HEADERS, END_HEADERS | (endStream ? END_STREAM : 0), stream, hpack(headers));
    }

    void data(int stream, byte[] bytes, boolean endStream) throws IOException {
        frame(DATA, endStream ? END_STREAM : 0, stream, bytes);
    }

    void reset(int stream, int code) throws IOException {
        byte[] p = new byte[4];
        putInt(p, 0, code);
        frame(RST_STREAM, 0, stream, p);
    }

    void windowUpdate(int stream, int increment) throws IOException {
        byte[] p = new byte[4];
        putInt(p, 0, increment);
        frame(WINDOW_UPDATE, 0, stream, p);
    }

    /** The next frame, handled as a client would (settings acknowledged, answers collected); null at the end of the stream. */
    Frame read() throws IOException {
        byte[] head = new byte[9];
        try {
            in.readFully(head);
        } catch (EOFException e) {
            return null;
        } catch (IOException e) {
            if (e instanceof SocketTimeoutException) {
                throw e;
            }
            return null; // reset by the server
        }
        int length = ((head[0] & 0xff) << 16) | ((head[1] & 0xff) << 8) | (head[2] & 0xff);
        byte[] payload = new byte[length];
        in.readFully(payload);
        Frame f = new Frame(head[3] & 0xff, head[4] & 0xff,
                ((head[5] & 0x7f) << 24) | ((head[6] & 0xff) << 16) | ((head[7] & 0xff) << 8) | (head[8] & 0xff), payload);
        take(f);
        return f;
    }

    private void take(Frame f) throws IOException {
        switch (f.type) {
            case SETTINGS -> {
                if (!f.has(ACK)) {
                    for (int at = 0; at + 6 <= f.payload.length; at += 6) {
                        serverSettings.put(((f.payload[at] & 0xff) << 8) | (f.payload[at + 1] & 0xff),
                                ((f.payload[at + 2] & 0xffL) << 24) | ((f.payload[at + 3] & 0xff) << 16)
                                        | ((f.payload[at + 4] & 0xff) << 8) | (f.payload[at + 5] & 0xff));
                    }
                    answer(SETTINGS, ACK, 0, new byte[0]);
                }
            }
            case HEADERS, CONTINUATION -> {
                if (f.type == HEADERS) {
                    headerBlock = new ByteArrayOutputStream();
                    headerStream = f.stream;
                }
                headerBlock.write(f.payload);
                if (f.has(END_HEADERS)) {
                    Response r = responses.computeIfAbsent(headerStream, k -> new Response());
                    ByteBuf block = Unpooled.wrappedBuffer(headerBlock.toByteArray());
                    try {
                        Http2Headers h = decoder.decodeHeaders(headerStream, block);
                        if (r.headers == null || h.status() != null) {
                            r.headers = h; // the final head (a 1xx is replaced; trailers are not kept)
                        }
                    } catch (Http2Exception e) {
                        throw new IOException(e);
                    } finally {
                        block.release();
                    }
                }
                if (f.has(END_STREAM)) {
                    responses.computeIfAbsent(f.stream, k -> new Response()).ended = true;
                }
            }
            case DATA -> {
                Response r = responses.computeIfAbsent(f.stream, k -> new Response());
                r.body.write(f.payload);
                r.ended |= f.has(END_STREAM);
                if (autoWindow && f.payload.length > 0) {
                    byte[] p = new byte[4];
                    putInt(p, 0, f.payload.length);
                    answer(WINDOW_UPDATE, 0, 0, p);
                    if (!f.has(END_STREAM)) {
                        answer(WINDOW_UPDATE, 0, f.stream, p);
                    }
                }
            }
            case RST_STREAM -> responses.computeIfAbsent(f.stream, k -> new Response()).reset = f.errorCode();
            case GOAWAY -> goaway = f;
            case WINDOW_UPDATE -> {
                long increment = ((f.payload[0] & 0x7fL) << 24) | ((f.payload[1] & 0xff) << 16) | ((f.payload[2] & 0xff) << 8)
                        | (f.payload[3] & 0xff);
                if (f.stream == 0) {
                    connectionWindow += increment;
                } else {
                    streamWindows.put(f.stream, streamWindow(f.stream) + increment);
                }
            }
            default -> { }
        }
    }

    /** A frame sent in answer to one read: the server may be gone already, which the reads will show. */
    private void answer(int type, int flags, int stream, byte[] payload) {
        try {
            frame(type, flags, stream, payload);
        } catch (IOException ignored) {
            // closed by the server
        }
    }

    private long streamWindow(int stream) {
        return streamWindows.getOrDefault(stream, serverSettings.getOrDefault(4, 65_535L));
    }

    /** Sends a request body as flow control allows, reading the server's frames while the windows are shut. */
    void body(int stream, byte[] bytes) throws IOException {
        int at = 0;
        do {
            int can = (int) Math.min(Math.min(connectionWindow, streamWindow(stream)), Math.min(16_384, bytes.length - at));
            if (can <= 0 && bytes.length > 0) {
                if (read() == null) {
                    throw new EOFException("closed while a body was being sent");
                }
                continue;
            }
            byte[] piece = java.util.Arrays.copyOfRange(bytes, at, at + can);
            at += can;
            connectionWindow -= can;
            streamWindows.put(stream, streamWindow(stream) - can);
            data(stream, piece, at == bytes.length);
        } while (at < bytes.length);
    }

    /** Reads until the stream has ended (or was reset, or the connection closed); returns its answer. */
    Response await(int stream) throws IOException {
        while (true) {
            Response r = responses.get(stream);
            if (r != null && (r.ended || r.reset != null)) {
                return r;
            }
            if (read() == null) {
                return responses.computeIfAbsent(stream, k -> new Response());
            }
        }
    }

    /** Reads until the server closes the connection; returns the frames it sent meanwhile. */
    java.util.List<Frame> untilClosed() throws IOException {
        java.util.List<Frame> frames = new java.util.ArrayList<>();
        Frame f;
        while ((f = read()) != null) {
            frames.add(f);
        }
        return frames;
    }

    static void putInt(byte[] b, int at, int v) {
        b[at] = (byte) (v >> 24);
        b[at + 1] = (byte) (v >> 16);
        b[at + 2] = (byte) (v >> 8);
        b[at + 3] = (byte) v;
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
