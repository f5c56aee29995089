package io.stampede.balancer.config;

import io.stampede.balancer.config.directive.BalanceMethod;
import io.stampede.balancer.config.directive.ServerLine;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;

/**
 * nginx Plus's upstream {@code state} file: the upstream's servers as nginx server lines
 * ({@code server 127.0.0.1:8081 weight=2 max_fails=3 fail_timeout=10s;}), one a line, read when
 * the configuration is and written whenever the API changes the servers, so the changes outlive
 * a reload or a restart. A file that does not exist yet is an upstream without servers.
 */
public final class StateFile {
    private StateFile() {}

    /** @throws IllegalArgumentException naming the file, line and mistake */
    public static List<ServerConfig> read(Path file, BalanceMethod method) {
        if (!Files.exists(file)) {
            return List.of();
        }
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalArgumentException("state file " + file + ": cannot read it (" + e.getMessage() + ")");
        }
        List<ServerConfig> out = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).trim();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            if (!line.startsWith("server ") || !line.endsWith(";")) {
                throw new IllegalArgumentException("state file " + file + ":" + (i + 1) + ": '" + line
                        + "' (expected a server line, e.g. server 127.0.0.1:8081 weight=2;)");
            }
            try {
                out.addAll(ServerConfig.resolve(ServerLine.parse(line.substring(7, line.length() - 1), method)));
            } catch (ServerLine.Invalid e) {
                throw new IllegalArgumentException("state file " + file + ":" + (i + 1) + ": " + e.getMessage());
            }
        }
        return out;
    }

    /** Replaces the file with {@code servers}, whole (written aside, then moved over it). */
    public static void write(Path file, List<ServerConfig> servers) throws IOException {
        StringBuilder text = new StringBuilder();
        for (ServerConfig s : servers) {
            text.append(line(s)).append('\n');
        }
        Path parent = file.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        Path temp = Files.createTempFile(parent, file.getFileName().toString(), ".tmp");
        try {
            Files.writeString(temp, text, StandardCharsets.UTF_8);
            Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    /** One server as nginx writes it: its address, then the parameters that differ from the defaults. */
    static String line(ServerConfig s) {
        StringBuilder b = new StringBuilder("server ").append(io.netty.util.NetUtil.toSocketAddressString(
                io.netty.util.NetUtil.toAddressString(s.address().getAddress()), s.address().getPort()));
        if (s.weight() != 1) {
            b.append(" weight=").append(s.weight());
        }
        if (s.maxConns() != 0) {
            b.append(" max_conns=").append(s.maxConns());
        }
        b.append(" max_fails=").append(s.maxFails()).append(" fail_timeout=").append(s.failTimeoutSeconds()).append('s');
        if (s.slowStartMillis() > 0) {
            b.append(" slow_start=").append(s.slowStartMillis()).append("ms");
        }
        if (s.route() != null) {
            b.append(" route=").append(s.route());
        }
        if (s.backup()) {
            b.append(" backup");
        }
        if (s.down()) {
            b.append(" down");
        }
        if (s.drain()) {
            b.append(" drain");
        }
        return b.append(';').toString();
    }
}
