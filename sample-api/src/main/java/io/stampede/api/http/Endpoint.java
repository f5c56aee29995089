package io.stampede.api.http;

/** One API operation: decides the reply (in microseconds, or in CPU time when cpu-bound). */
@FunctionalInterface
public interface Endpoint {
    Reply handle(ApiRequest request);
}
