package io.stampede.balancer.upstream;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.zip.CRC32;

/**
 * nginx's ring for {@code hash ... consistent} (ketama, as Cache::Memcached::Fast): 160 points per
 * unit of weight for every primary server, each point {@code crc32(host \0 port, previous point
 * as 4 little-endian bytes)}, where host and port are split from the server text as written in the
 * config. Points are sorted by unsigned value; of equal points the first one (in server order)
 * stays.
 */
final class KetamaRing {
    private final long[] points;
    private final String[] servers;

    KetamaRing(Peer[] primary) {
        record Point(long hash, String server) {}
        List<Point> all = new ArrayList<>();
        for (Peer p : primary) {
            byte[] base = base(p.spec.server());
            byte[] buf = Arrays.copyOf(base, base.length + 4);
            long prev = 0;
            CRC32 crc = new CRC32();
            for (int j = 0; j < 160 * p.spec.weight(); j++) {
                buf[base.length] = (byte) prev;
                buf[base.length + 1] = (byte) (prev >>> 8);
                buf[base.length + 2] = (byte) (prev >>> 16);
                buf[base.length + 3] = (byte) (prev >>> 24);
                crc.reset();
                crc.update(buf);
                prev = crc.getValue();
                all.add(new Point(prev, p.spec.server()));
            }
        }
        all.sort(Comparator.comparingLong(Point::hash)); // stable: the earlier server's point wins a tie
        List<Point> unique = new ArrayList<>(all.size());
        for (Point pt : all) {
            if (unique.isEmpty() || unique.get(unique.size() - 1).hash != pt.hash) {
                unique.add(pt);
            }
        }
        points = unique.stream().mapToLong(Point::hash).toArray();
        servers = unique.stream().map(Point::server).toArray(String[]::new);
    }

    /** The first point at or after {@code crc32(key)}; may equal the point count (wraps on use). */
    int find(byte[] key) {
        CRC32 crc = new CRC32();
        crc.update(key);
        long h = crc.getValue();
        int lo = 0;
        int hi = points.length;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (points[mid] < h) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }

    String serverAt(int index) {
        return servers[index % servers.length];
    }

    int size() {
        return points.length;
    }

    long pointAt(int index) {
        return points[index];
    }

    /** {@code host \0 port} as nginx splits a server's text: "unix:" paths have no port. */
    static byte[] base(String server) {
        String host = server;
        String port = "";
        if (server.regionMatches(true, 0, "unix:", 0, 5)) {
            host = server.substring(5);
        } else {
            int j = server.length() - 1;
            while (j >= 0 && Character.isDigit(server.charAt(j)) && server.charAt(j) < 128) {
                j--;
            }
            if (j >= 0 && server.charAt(j) == ':') {
                host = server.substring(0, j);
                port = server.substring(j + 1);
            }
        }
        byte[] h = host.getBytes(StandardCharsets.UTF_8);
        byte[] p = port.getBytes(StandardCharsets.UTF_8);
        byte[] out = new byte[h.length + 1 + p.length];
        System.arraycopy(h, 0, out, 0, h.length);
        System.arraycopy(p, 0, out, h.length + 1, p.length);
        return out;
    }
}
