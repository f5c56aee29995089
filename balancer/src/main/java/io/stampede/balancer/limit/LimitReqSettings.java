package io.stampede.balancer.limit;

import java.util.List;

/**
 * The {@code limit_req*} directives in force for a location, inherited from the top level as
 * nginx inherits them (a level with {@code limit_req} lines replaces the inherited ones).
 *
 * @param status {@code limit_req_status} (503 by default)
 * @param logLevel {@code limit_req_log_level}: rejections are logged at it, delays one level lower
 */
public record LimitReqSettings(List<LimitReq> rules, int status, boolean dryRun, String logLevel) {
    public static final LimitReqSettings NONE = new LimitReqSettings(List.of(), 503, false, "error");
}
