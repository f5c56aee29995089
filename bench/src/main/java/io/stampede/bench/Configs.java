package io.stampede.bench;

import java.nio.file.Path;
import java.util.List;

/**
 * The balancer configuration of a row, written out so the user can run it by hand: ours in the
 * proxy's YAML, and the equivalent nginx.conf for the nginx row. Both keep 32 idle upstream
 * connections per worker, as a production nginx in front of an API would.
 */
final class Configs {
    static final int KEEPALIVE = 32;
    /** The TLS rows' self-signed certificate and key, in the configs folder (relative paths, as the proxy reads them). */
    static final String CERTIFICATE = "tls/bench.crt";
    static final String KEY = "tls/bench.key";

    private Configs() {}

    /**
     * One proxy config for every balanced row: row R is location {@code /R/}, proxying to its own
     * upstream with the prefix removed, so one warmed-up proxy process serves them all.
     */
    static String proxyYaml(List<Plan.Row> rows, List<Backends.Server> servers) {
        StringBuilder y = new StringBuilder();
        y.append("# stampede bench: one location and upstream per row; the swarm of row R targets /R/\n");
        if (rows.stream().anyMatch(r -> r.edge().tls)) {
            // A TLS listener beside the cleartext one, h2 by ALPN; the certificate the bench made.
            y.append("listen:\n  - 127.0.0.1:0\n  - 127.0.0.1:0 ssl http2\n");
            y.append("ssl_certificate: ").append(CERTIFICATE).append("\nssl_certificate_key: ").append(KEY).append('\n');
        } else {
            y.append("listen: 127.0.0.1:0\n");
        }
        y.append("admin:\n  listen: 127.0.0.1:0\n");
        y.append("locations:\n");
        for (Plan.Row row : rows) {
            y.append("  /").append(row.name()).append("/:\n    proxy_pass: ").append(row.edge().upstreamTls ? "https" : "http")
                    .append("://").append(upstream(row)).append("/\n");
            if (row.healthCheck() != null) {
                y.append("    health_check: ").append(row.healthCheck()).append('\n');
            }
        }
        y.append("upstreams:\n");
        for (Plan.Row row : rows) {
            y.append("  ").append(upstream(row)).append(":   # ").append(row.algorithm()).append('\n');
            if (!row.balance().isEmpty()) {
                y.append("    balance: ").append(row.balance()).append('\n');
            }
            if (row.queue() != null) {
                y.append("    queue: ").append(row.queue()).append('\n');
            }
            y.append("    keepalive: ").append(KEEPALIVE).append('\n');
            y.append("    servers:\n");
            for (int i = 0; i < servers.size(); i++) {
                y.append("      - ").append(serverLine(row, servers, i)).append('\n');
            }
        }
        return y.toString();
    }

    /** The upstream name of a row ("max_conns+queue" becomes "max_conns_queue"). */
    static String upstream(Plan.Row row) {
        return row.name().replaceAll("[^A-Za-z0-9_.-]", "_");
    }

    static String nginxConf(Plan.Row row, List<Backends.Server> servers, int port, Path prefix) {
        StringBuilder c = new StringBuilder();
        c.append("# stampede bench: row ").append(row.name()).append(" (").append(row.algorithm()).append(")\n");
        c.append("worker_processes 2;\ndaemon off;\npid ").append(prefix.resolve("nginx.pid")).append(";\n");
        c.append("error_log ").append(prefix.resolve("error.log")).append(" warn;\n");
        c.append("events { worker_connections 8192; }\n");
        c.append("http {\n  access_log off;\n");
        for (String t : List.of("client_body", "proxy", "fastcgi", "uwsgi", "scgi")) {
            c.append("  ").append(t).append("_temp_path ").append(prefix.resolve("tmp-" + t)).append(";\n");
        }
        c.append("  upstream market_api {\n");
        if (!row.balance().isEmpty()) {
            c.append("    ").append(row.balance()).append(";\n");
        }
        for (int i = 0; i < servers.size(); i++) {
            c.append("    server ").append(serverLine(row, servers, i)).append(";\n");
        }
        c.append("    keepalive ").append(KEEPALIVE).append(";\n  }\n");
        c.append("  server {\n    listen 127.0.0.1:").append(port).append(row.edge().tls ? " ssl http2;\n" : ";\n");
        if (row.edge().tls) {
            Path configs = prefix.getParent();
            c.append("    ssl_certificate ").append(configs.resolve(CERTIFICATE)).append(";\n");
            c.append("    ssl_certificate_key ").append(configs.resolve(KEY)).append(";\n");
            c.append("    ssl_protocols TLSv1.2 TLSv1.3;\n    ssl_session_cache shared:SSL:10m;\n");
            c.append("    keepalive_requests 1000000;\n");
        }
        c.append("    location / {\n      proxy_pass ").append(row.edge().upstreamTls ? "https" : "http")
                .append("://market_api;\n      proxy_http_version 1.1;\n");
        if (row.edge().upstreamTls) {
            c.append("      proxy_ssl_protocols TLSv1.2 TLSv1.3;\n"); // as ours; nginx 1.22 leaves TLS 1.3 off
        }
        c.append("      proxy_set_header Connection \"\";\n    }\n  }\n}\n");
        return c.toString();
    }

    private static String serverLine(Plan.Row row, List<Backends.Server> servers, int i) {
        Backends.Server server = servers.get(i);
        StringBuilder s = new StringBuilder(row.edge().upstreamTls ? server.tlsAddress() : server.address());
        if (!row.weights().isEmpty()) {
            int w = row.weights().get(i % row.weights().size());
            if (w != 1) {
                s.append(" weight=").append(w);
            }
        }
        if (!row.serverParams().isEmpty()) {
            s.append(' ').append(row.serverParams());
        }
        return s.toString();
    }
}
