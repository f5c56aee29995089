package io.stampede.balancer.proxy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A DNS server on loopback for the tests: it answers A queries from a table the test changes
 * while it runs (with a TTL of 1 s), AAAA queries with no records, and names not in the table with
 * NXDOMAIN. Enough of RFC 1035 for a resolver's questions, nothing more.
 */
final class TestDns implements AutoCloseable {
    private final DatagramSocket socket;
    private final Map<String, List<String>> table = new ConcurrentHashMap<>();
    final AtomicInteger queries = new AtomicInteger();

    TestDns() throws SocketException {
        socket = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0));
        Thread t = new Thread(this::serve, "test-dns");
        t.setDaemon(true);
        t.start();
    }

    int port() {
        return socket.getLocalPort();
    }

    /** From now on {@code name} resolves to {@code ipv4} (none: NOERROR with no records). */
    void answer(String name, String... ipv4) {
        table.put(name.toLowerCase(Locale.ROOT), List.of(ipv4));
    }

    private void serve() {
        byte[] buf = new byte[512];
        while (!socket.isClosed()) {
            try {
                DatagramPacket p = new DatagramPacket(buf, buf.length);
                socket.receive(p);
                queries.incrementAndGet();
                byte[] reply = reply(java.util.Arrays.copyOf(p.getData(), p.getLength()));
                socket.send(new DatagramPacket(reply, reply.length, p.getSocketAddress()));
            } catch (IOException | RuntimeException e) {
                if (socket.isClosed()) {
                    return;
                }
            }
        }
    }

    private byte[] reply(byte[] q) throws IOException {
        // The question: labels from byte 12, then type and class.
        StringBuilder name = new StringBuilder();
        int i = 12;
        while (q[i] != 0) {
            int len = q[i] & 0xff;
            name.append(name.length() == 0 ? "" : ".").append(new String(q, i + 1, len, java.nio.charset.StandardCharsets.US_ASCII));
            i += len + 1;
        }
        int questionEnd = i + 5;
        int type = ((q[i + 1] & 0xff) << 8) | (q[i + 2] & 0xff);
        List<String> addresses = table.get(name.toString().toLowerCase(Locale.ROOT));
        List<String> answers = addresses == null || type != 1 ? List.of() : addresses;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(q, 0, 2); // the query's id
        out.write(0x81); // a response, recursion desired
        out.write(addresses == null ? 0x83 : 0x80); // recursion available; NXDOMAIN or NOERROR
        out.write(new byte[] {0, 1, 0, (byte) answers.size(), 0, 0, 0, 0});
        out.write(q, 12, questionEnd - 12);
        for (String a : answers) {
            out.write(new byte[] {(byte) 0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 1, 0, 4}); // name pointer, A, IN, TTL 1, length 4
            out.write(InetAddress.getByName(a).getAddress());
        }
        return out.toByteArray();
    }

    @Override
    public void close() {
        socket.close();
    }
}
