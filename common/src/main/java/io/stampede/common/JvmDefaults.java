package io.stampede.common;

import java.util.List;

/**
 * The JVM flags a part runs with unless the user adds others after them ({@code STAMPEDE_JAVA_OPTS}
 * for {@code ./stampede}; the last of two contradicting flags wins). {@code ./stampede} passes the
 * same flags (a test compares) and the bench starts its parts with them.
 *
 * <p>The proxy: a proxy's live data is small (connections, pools) and nearly everything it
 * allocates dies within one request, so a small heap with the parallel collector (short young
 * collections, cheaper write barriers than G1's) keeps both the footprint and the CPU per request
 * down; Netty's pooled allocator measured ahead of 4.2's adaptive one on this path. Measured with
 * {@code bench/scripts/proxy-peers.sh}: RSS under load from 330 MB (G1, ergonomic heap) to about
 * 140 MB at 64 clients and 160 MB at 2,000, requests per CPU-second about the same or better.
 */
public final class JvmDefaults {
    static final List<String> PROXY = List.of("-XX:+UseParallelGC", "-Xms48m", "-Xmx192m", "-Xmn32m",
            "-Dio.netty.allocator.type=pooled");

    private JvmDefaults() {}

    /** The flags for {@code part} ("api", "proxy", "swarm", "bench"); none where the JVM's own choices serve. */
    public static List<String> forPart(String part) {
        return part.equals("proxy") ? PROXY : List.of();
    }
}
