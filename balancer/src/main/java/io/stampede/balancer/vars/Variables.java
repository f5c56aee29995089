package io.stampede.balancer.vars;

/**
 * The nginx variables a request offers to templates ({@code proxy_set_header}, hash keys). Names
 * come without the {@code $}; an unknown or absent one is empty, as in nginx.
 */
@FunctionalInterface
public interface Variables {
    String get(String name);

    /**
     * Names a configuration declares ({@code map}) while it is being loaded: templates parsed
     * meanwhile may use them. Loading is one call on one thread, so the set is scoped to it.
     */
    ThreadLocal<java.util.Set<String>> DECLARED = ThreadLocal.withInitial(java.util.Set::of);

    /** Runs {@code load} with {@code names} known as variables besides the built-in ones. */
    static <T> T declaring(java.util.Set<String> names, java.util.function.Supplier<T> load) {
        java.util.Set<String> before = DECLARED.get();
        DECLARED.set(names);
        try {
            return load.get();
        } finally {
            DECLARED.set(before);
        }
    }

    /** Whether {@code name} is a variable we know, so a config can be checked at load. */
    static boolean known(String name) {
        return builtIn(name) || DECLARED.get().contains(name);
    }

    /** Whether {@code name} is one of the variables every request has. */
    static boolean builtIn(String name) {
        return switch (name) {
            case "request_uri", "uri", "document_uri", "args", "query_string", "is_args", "remote_addr", "binary_remote_addr", "limit_req_status", "limit_conn_status", "remote_port",
                 "host", "scheme", "request_method", "server_port", "server_addr", "server_protocol",
                 "proxy_host", "proxy_port", "proxy_add_x_forwarded_for", "content_length", "content_type",
                 "http_host", "request_id", "https", "http2", "server_name" -> true;
            case "ssl_protocol", "ssl_cipher", "ssl_server_name", "ssl_session_reused", "ssl_client_verify",
                 "ssl_client_s_dn", "ssl_client_i_dn" -> true;
            default -> (name.startsWith("arg_") || name.startsWith("http_") || name.startsWith("cookie_"))
                    && name.indexOf('_') < name.length() - 1;
        };
    }
}
