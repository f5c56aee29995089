package io.stampede.balancer.proxy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A client that sends raw bytes and describes what came back, response by response, as short
 * strings a test can compare: {@code "200 body"}, {@code "200 truncated"} (the connection closed
 * inside the body), {@code "closed"} (closed before another response began), {@code "garbage"}
 * (bytes that are no response head), {@code "timeout"}.
 */
final class ResponseReader {
    private ResponseReader() {}

    /**
     * @param heads for each response expected, whether it answers HEAD (no body whatever its headers say)
     */
    static List<String> exchange(InetSocketAddress at, String raw, List<Boolean> heads) throws IOException {
        List<String> seen = new ArrayList<>();
        try (Socket s = new Socket()) {
            s.connect(at, 5_000);
            s.setSoTimeout(15_000);
            s.getOutputStream().write(raw.getBytes(StandardCharsets.ISO_8859_1));
            s.getOutputStream().flush();
            InputStream in = s.getInputStream();
            for (boolean head : heads) {
                String r = next(in, head);
                seen.add(r);
                if (r.equals("closed") || r.endsWith("truncated") || r.equals("garbage") || r.equals("timeout")) {
                    break;
                }
            }
        }
        return seen;
    }

    private static String next(InputStream in, boolean headOnly) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0;
        try {
            while (matched < 4) {
                int b = in.read();
                if (b < 0) {
                    return head.size() == 0 ? "closed" : "garbage";
                }
                head.write(b);
                matched = b == "\r\n\r\n".charAt(matched) ? matched + 1 : b == '\r' ? 1 : 0;
            }
        } catch (SocketTimeoutException e) {
            return "timeout";
        } catch (SocketException e) {
            return head.size() == 0 ? "closed" : "garbage";
        }
        String text = head.toString(StandardCharsets.ISO_8859_1);
        if (!text.startsWith("HTTP/1.") || text.length() < 12) {
            return "garbage";
        }
        int status = Integer.parseInt(text.substring(9, 12));
        long length = -1;
        boolean chunked = false;
        for (String line : text.split("\r\n")) {
            String lower = line.toLowerCase(Locale.ROOT);
            if (lower.startsWith("content-length:")) {
                length = Long.parseLong(line.substring(15).trim());
            } else if (lower.startsWith("transfer-encoding:") && lower.contains("chunked")) {
                chunked = true;
            }
        }
        if (headOnly || status < 200 || status == 204 || status == 304) {
            return String.valueOf(status);
        }
        try {
            byte[] body;
            if (chunked) {
                body = chunks(in);
            } else if (length >= 0) {
                body = in.readNBytes((int) length);
                if (body.length < length) {
                    return status + " truncated";
                }
            } else {
                body = in.readAllBytes();
            }
            // Error pages differ between proxies; their status is what counts.
            return status >= 400 ? String.valueOf(status) : status + " " + new String(body, StandardCharsets.ISO_8859_1);
        } catch (IOException e) {
            return status + " truncated";
        }
    }

    private static byte[] chunks(InputStream in) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        while (true) {
            String size = line(in);
            int semi = size.indexOf(';');
            int n = Integer.parseInt((semi < 0 ? size : size.substring(0, semi)).trim(), 16);
            if (n == 0) {
                while (!line(in).isEmpty()) {
                    // trailers
                }
                return out.toByteArray();
            }
            byte[] data = in.readNBytes(n);
            if (data.length < n) {
                throw new IOException("truncated chunk");
            }
            out.write(data);
            line(in);
        }
    }

    private static String line(InputStream in) throws IOException {
        StringBuilder b = new StringBuilder();
        int c;
        while ((c = in.read()) >= 0) {
            if (c == '\n') {
                return b.toString();
            }
            if (c != '\r') {
                b.append((char) c);
            }
        }
        throw new IOException("closed inside a chunked body");
    }

    /** Status, Location, and a text/plain or backend body: what differs between two proxies' own pages is left out. */
    static String summary(InetSocketAddress at, String raw) throws IOException {
        try (java.net.Socket s = new java.net.Socket()) {
            s.connect(at, 5000);
            s.setSoTimeout(10_000);
            s.getOutputStream().write(raw.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
            String text = new String(s.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.ISO_8859_1);
            if (text.isEmpty()) {
                return "closed";
            }
            int end = text.indexOf("\r\n\r\n");
            String head = text.substring(0, end);
            String out = head.substring(9, 12);
            boolean plain = false;
            for (String line : head.split("\r\n")) {
                String lower = line.toLowerCase(java.util.Locale.ROOT);
                if (lower.startsWith("location:")) {
                    out += " -> " + line.substring(9).trim();
                }
                plain |= lower.startsWith("content-type: text/plain") || lower.startsWith("x-backend:");
            }
            return plain ? out + " " + text.substring(end + 4).trim() : out;
        }
    }

}
