package io.stampede.balancer.proxy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;

/**
 * An upstream that answers from a script, byte for byte, to test what the proxy does with
 * broken or hostile responses. Each request's line picks the reply; a reply can keep the
 * connection for more requests, close it, or reset it. A request for any other path gets an honest
 * {@code 200} whose body names the path ({@code ok:/path}), so a test can tell whose answer a
 * client got. A blocking thread per connection: the tests send a few requests each.
 */
final class ScriptedUpstream implements AutoCloseable {
    /** What to do after a reply is written. */
    enum After { KEEP, CLOSE, RESET }

    /** The bytes to send, in parts written (and flushed) one after another, and what follows. */
    record Reply(List<byte[]> parts, After after) {
        static Reply of(String raw, After after) {
            return new Reply(List.of(raw.getBytes(StandardCharsets.ISO_8859_1)), after);
        }
    }

    static Reply honest(String path) {
        String body = "ok:" + path;
        return Reply.of("HTTP/1.1 200 OK\r\nContent-Length: " + body.length() + "\r\n\r\n" + body, After.KEEP);
    }

    private final ServerSocket server;
    private final Function<String, Reply> script;
    private final List<Socket> open = new CopyOnWriteArrayList<>();
    final List<String> requestLines = new CopyOnWriteArrayList<>();
    private final Thread acceptor;

    /** @param script the reply for a request line, or null for the honest answer */
    ScriptedUpstream(Function<String, Reply> script) throws IOException {
        this(script, null);
    }

    /** @param tls when given, the server speaks TLS with it (the replies' bytes go inside TLS records) */
    ScriptedUpstream(Function<String, Reply> script, javax.net.ssl.SSLContext tls) throws IOException {
        this.server = tls == null ? new ServerSocket(0, 50, InetAddress.getLoopbackAddress())
                : tls.getServerSocketFactory().createServerSocket(0, 50, InetAddress.getLoopbackAddress());
        this.script = script;
        this.acceptor = new Thread(this::accept, "scripted-upstream");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    /** Connections the proxy holds open to this server now. */
    int openConnections() {
        return open.size();
    }

    String address() {
        return "127.0.0.1:" + server.getLocalPort();
    }

    InetSocketAddress socketAddress() {
        return new InetSocketAddress("127.0.0.1", server.getLocalPort());
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket s = server.accept();
                open.add(s);
                Thread t = new Thread(() -> serve(s), "scripted-upstream-conn");
                t.setDaemon(true);
                t.start();
            } catch (IOException e) {
                return;
            }
        }
    }

    private void serve(Socket s) {
        try (s) {
            s.setTcpNoDelay(true);
            InputStream in = s.getInputStream();
            OutputStream out = s.getOutputStream();
            while (true) {
                String head = readHead(in);
                if (head == null) {
                    return;
                }
                String line = head.substring(0, head.indexOf("\r\n"));
                requestLines.add(line);
                skipBody(in, head);
                String path = line.split(" ")[1];
                Reply reply = script.apply(line);
                if (reply == null) {
                    reply = honest(path);
                }
                for (byte[] part : reply.parts()) {
                    out.write(part);
                    out.flush();
                }
                if (reply.after() == After.RESET) {
                    s.setSoLinger(true, 0);
                    return;
                }
                if (reply.after() == After.CLOSE) {
                    s.shutdownOutput();
                    // Read to the end so our close is a FIN, not a reset with unread bytes.
                    in.transferTo(OutputStream.nullOutputStream());
                    return;
                }
            }
        } catch (IOException e) {
            // The proxy closed the connection: that is its right.
        } finally {
            open.remove(s);
        }
    }

    private static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        int matched = 0;
        while (matched < 4) {
            int c = in.read();
            if (c < 0) {
                return null;
            }
            b.write(c);
            matched = c == "\r\n\r\n".charAt(matched) ? matched + 1 : c == '\r' ? 1 : 0;
        }
        return b.toString(StandardCharsets.ISO_8859_1);
    }

    private static void skipBody(InputStream in, String head) throws IOException {
        for (String h : head.split("\r\n")) {
            if (h.toLowerCase(java.util.Locale.ROOT).startsWith("content-length:")) {
                in.readNBytes(Integer.parseInt(h.substring(15).trim()));
            }
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
        for (Socket s : open) {
            s.close();
        }
    }
}
