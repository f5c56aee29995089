package io.stampede.loadgen.engine;

import java.util.List;
import java.util.Map;

/**
 * A response as a user needs it: the status, its size, the headers (all of them only when a
 * capture may read one; Set-Cookie always), and the body only when a capture or a check reads it.
 */
record Response(int status, String reason, List<Map.Entry<String, String>> headers, long size, byte[] body) {}
