package io.stampede.balancer.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http2.DefaultHttp2HeadersDecoder;
import io.netty.handler.codec.http2.Http2Headers;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An HTTP/2 server written frame by frame, for the misbehaviour no real server shows on purpose:
 * each request's {@code :path} picks a script that writes raw frames back (headers encoded as
 * HPACK literals by hand, so names and values go exactly as written, valid or not). A path with no
 * script gets {@code 200 ok from NAME}. Cleartext, prior knowledge; one thread per connection.
 */
final class ScriptedH2Upstream implements AutoCloseable {
    static final int DATA = 0, HEADERS = 1, RST_STREAM = 3, SETTINGS = 4, PUSH_PROMISE = 5, PING = 6, GOAWAY = 7;
    static final int END_STREAM = 1, END_HEADERS = 4, ACK = 1;

    /** Writes a script's answer to the request on {@code stream}. */
    interface Script {
        void answer(int stream, Frames out) throws IOException;
    }

    private final ServerSocket server;
    private final String name;
    private final Map<String, Script> scripts;
    private final List<Socket> sockets = new ArrayList<>();
    /** Requests seen, by path (a request refused by a script counts too). */
    final Map<String, AtomicInteger> seen = new ConcurrentHashMap<>();
    /** Streams refused for going over maxStreams on their connection (a well-behaved client causes none). */
    final AtomicInteger refusedStreams = new AtomicInteger();
    /** Connections accepted so far. */
    final AtomicInteger connections = new AtomicInteger();
    /** SETTINGS_MAX_CONCURRENT_STREAMS to announce; 0 announces none (no limit). */
    private final int maxStreams;

    ScriptedH2Upstream(String name, Map<String, Script> scripts) throws IOException {
        this(name, scripts, 0);
    }

    ScriptedH2Upstream(String name, Map<String, Script> scripts, int maxStreams) throws IOException {
        this.maxStreams = maxStreams;
        this.name = name;
        this.scripts = scripts;
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread t = new Thread(this::acceptAll, "h2-scripted-" + name);
        t.setDaemon(true);
        t.start();
    }

    int port() {
        return server.getLocalPort();
    }

    private void acceptAll() {
        while (!server.isClosed()) {
            try {
                Socket s = server.accept();
                connections.incrementAndGet();
                synchronized (sockets) {
                    sockets.add(s);
                }
                Thread t = new Thread(() -> serve(s), "h2-scripted-conn");
                t.setDaemon(true);
                t.start();
            } catch (IOException e) {
                return;
            }
        }
    }

    private void serve(Socket s) {
        try (s) {
            DataInputStream in = new DataInputStream(s.getInputStream());
            in.readFully(new byte[24]); // the client's preface
            Frames out = new Frames(s.getOutputStream());
            out.frame(SETTINGS, 0, 0, maxStreams == 0 ? new byte[0]
                    : new byte[] {0, 3, (byte) (maxStreams >>> 24), (byte) (maxStreams >>> 16), (byte) (maxStreams >>> 8), (byte) maxStreams});
            DefaultHttp2HeadersDecoder decoder = new DefaultHttp2HeadersDecoder(false);
            AtomicInteger active = new AtomicInteger();
            while (true) {
                int length = (in.readUnsignedByte() << 16) | in.readUnsignedShort();
                int type = in.readUnsignedByte();
                int flags = in.readUnsignedByte();
                int stream = in.readInt() & 0x7fffffff;
                byte[] payload = new byte[length];
                in.readFully(payload);
                if (type == SETTINGS && (flags & ACK) == 0) {
                    out.frame(SETTINGS, ACK, 0, new byte[0]);
                } else if (type == PING && (flags & ACK) == 0) {
                    out.frame(PING, ACK, 0, payload);
                } else if (type == HEADERS) {
                    ByteBuf block = Unpooled.wrappedBuffer(payload);
                    Http2Headers headers;
                    try {
                        headers = decoder.decodeHeaders(stream, block);
                    } finally {
                        block.release();
                    }
                    String path = String.valueOf(headers.path());
                    seen.computeIfAbsent(path, p -> new AtomicInteger()).incrementAndGet();
                    if (maxStreams > 0 && active.get() >= maxStreams) {
                        refusedStreams.incrementAndGet();
                        out.rst(stream, 7); // REFUSED_STREAM, as a server keeping its limit answers
                        continue;
                    }
                    active.incrementAndGet();
                    Script script = scripts.get(path);
                    if (script != null) {
                        // A script may wait (a slow answer): the connection's other streams go on meanwhile.
                        Thread t = new Thread(() -> {
                            try {
                                script.answer(stream, out);
                                active.decrementAndGet();
                            } catch (IOException e) {
                                try {
                                    s.close();
                                } catch (IOException ignored) {
                                    // closing anyway
                                }
                            }
                        }, "h2-scripted-answer");
                        t.setDaemon(true);
                        t.start();
                    } else {
                        String body = "ok from " + name;
                        out.headers(stream, false, ":status", "200", "content-length", String.valueOf(body.length()));
                        out.data(stream, true, body);
                        active.decrementAndGet();
                    }
                }
            }
        } catch (Exception e) {
            // The client went away, or a script ended the connection: nothing more to serve.
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
        synchronized (sockets) {
            for (Socket s : sockets) {
                s.close();
            }
        }
    }

    /** Frames onto one connection. */
    static final class Frames {
        private final OutputStream out;

        Frames(OutputStream out) {
            this.out = out;
        }

        synchronized void frame(int type, int flags, int stream, byte[] payload) throws IOException {
            byte[] head = {(byte) (payload.length >>> 16), (byte) (payload.length >>> 8), (byte) payload.length,
                (byte) type, (byte) flags, (byte) (stream >>> 24), (byte) (stream >>> 16), (byte) (stream >>> 8), (byte) stream};
            out.write(head);
            out.write(payload);
            out.flush();
        }

        /** A HEADERS frame (END_HEADERS) of literal fields, names and values exactly as given. */
        void headers(int stream, boolean endStream, String... namesAndValues) throws IOException {
            frame(HEADERS, END_HEADERS | (endStream ? END_STREAM : 0), stream, block(namesAndValues));
        }

        void data(int stream, boolean endStream, String body) throws IOException {
            frame(DATA, endStream ? END_STREAM : 0, stream, body.getBytes(StandardCharsets.ISO_8859_1));
        }

        void rst(int stream, int code) throws IOException {
            frame(RST_STREAM, 0, stream, int32(code));
        }

        void goaway(int lastStream, int code) throws IOException {
            byte[] p = new byte[8];
            System.arraycopy(int32(lastStream), 0, p, 0, 4);
            System.arraycopy(int32(code), 0, p, 4, 4);
            frame(GOAWAY, 0, 0, p);
        }

        /** HPACK "literal header field without indexing, new name", no Huffman coding. */
        static byte[] block(String... namesAndValues) {
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            for (int i = 0; i < namesAndValues.length; i += 2) {
                b.write(0);
                string(b, namesAndValues[i]);
                string(b, namesAndValues[i + 1]);
            }
            return b.toByteArray();
        }

        private static void string(ByteArrayOutputStream b, String s) {
            byte[] bytes = s.getBytes(StandardCharsets.ISO_8859_1);
            int n = bytes.length;
            if (n < 127) {
                b.write(n);
            } else {
                b.write(127);
                n -= 127;
                while (n >= 128) {
                    b.write((n & 0x7f) | 0x80);
                    n >>>= 7;
                }
                b.write(n);
            }
            b.write(bytes, 0, bytes.length);
        }

        private static byte[] int32(int v) {
            return new byte[] {(byte) (v >>> 24), (byte) (v >>> 16), (byte) (v >>> 8), (byte) v};
        }
    }
}
