package io.stampede.common.yaml;

/**
 * A configuration error that names where it is ({@code file:line}), the key path, the value and
 * what was expected, e.g. {@code proxy.yaml:12: upstreams.api.servers[2]: weight=-1 (expected an
 * integer >= 1)}.
 */
public final class ConfigException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public ConfigException(String message) {
        super(message);
    }
}
