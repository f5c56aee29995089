package io.stampede.balancer.proxy;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;

/** A backend that counts its connections and notes when each one was closed by the proxy. */
final class CountingBackend implements AutoCloseable {
    final ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    final List<Long> accepted = new CopyOnWriteArrayList<>();
    final List<Long> closed = new CopyOnWriteArrayList<>();
    /** Request heads read whole, in order. */
    final List<String> requests = new CopyOnWriteArrayList<>();
    /** How each close came: "reset" or "fin". */
    final List<String> how = new CopyOnWriteArrayList<>();
    /** Responses wait for this, so several requests can hold connections at once. */
    volatile CountDownLatch release = new CountDownLatch(0);

    CountingBackend() throws IOException {
        Thread t = new Thread(this::accept, "counting-backend");
        t.setDaemon(true);
        t.start();
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket s = server.accept();
                accepted.add(System.nanoTime());
                Thread t = new Thread(() -> serve(s), "counting-backend-conn");
                t.setDaemon(true);
                t.start();
            } catch (IOException e) {
                return;
            }
        }
    }

    /**
     * Reads request heads and answers each once {@link #release} is open; meanwhile it keeps
     * reading (a short timeout), so a close by the proxy is seen while a response is held.
     */
    private void serve(Socket s) {
        try (s; InputStream in = s.getInputStream(); OutputStream out = s.getOutputStream()) {
            s.setSoTimeout(20);
            StringBuilder head = new StringBuilder();
            int unanswered = 0;
            while (true) {
                if (unanswered > 0 && release.getCount() == 0) {
                    out.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok".getBytes(StandardCharsets.ISO_8859_1));
                    out.flush();
                    unanswered--;
                    continue;
                }
                int b;
                try {
                    b = in.read();
                } catch (SocketTimeoutException e) {
                    continue;
                }
                if (b < 0) {
                    break;
                }
                head.append((char) b);
                if (head.toString().endsWith("\r\n\r\n")) {
                    requests.add(head.toString());
                    head.setLength(0);
                    unanswered++;
                }
            }
            how.add("fin");
            closed.add(System.nanoTime());
        } catch (IOException e) {
            how.add(e instanceof java.net.SocketException && String.valueOf(e.getMessage()).contains("reset") ? "reset" : "error");
            closed.add(System.nanoTime());
        }
    }

    String address() {
        return "127.0.0.1:" + server.getLocalPort();
    }

    @Override
    public void close() throws IOException {
        server.close();
    }
}
