package io.stampede.loadgen.engine;

import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponseStatus;

/**
 * A response as a user needs it: the status, the headers, the size, and the body only when a
 * capture or a check reads it (otherwise the bytes are counted and dropped as they arrive).
 */
record Response(HttpResponseStatus status, HttpHeaders headers, long size, byte[] body) {}
