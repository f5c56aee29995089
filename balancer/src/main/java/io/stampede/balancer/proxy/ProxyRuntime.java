package io.stampede.balancer.proxy;

import io.stampede.balancer.config.ProxyConfig;
import io.stampede.balancer.log.AccessLog;
import java.util.Map;

/** What every connection of one loaded configuration shares. */
record ProxyRuntime(ProxyConfig config, Map<String, UpstreamRuntime> upstreams, BackendPool pool, ProxyLog log,
                    AccessLog accessLog) {

    UpstreamRuntime upstream(String name) {
        UpstreamRuntime u = upstreams.get(name);
        if (u == null) {
            throw new IllegalStateException("no upstream " + name);
        }
        return u;
    }

    void noLiveUpstreams(String upstream) {
        log.noLiveUpstreams(upstream);
    }

    void access(AccessRecord record) {
        if (accessLog != null) {
            accessLog.log(AccessFormat.line(record));
        }
    }
}
