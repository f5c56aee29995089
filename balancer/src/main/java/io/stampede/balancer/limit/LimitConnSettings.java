package io.stampede.balancer.limit;

import java.util.List;

/** The {@code limit_conn*} directives in force for a location, inherited as nginx's are. */
public record LimitConnSettings(List<LimitConn> rules, int status, boolean dryRun, String logLevel) {
    public static final LimitConnSettings NONE = new LimitConnSettings(List.of(), 503, false, "error");
}
