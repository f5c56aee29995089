package io.stampede.balancer.proxy;

import io.stampede.balancer.log.AccessRecord;
import io.stampede.balancer.log.AccessFormat;
import io.stampede.balancer.log.ProxyLog;
import io.stampede.balancer.config.LocationConfig;
import io.stampede.balancer.config.ProxyConfig;
import io.stampede.balancer.config.ProxySettings;
import io.stampede.balancer.upstream.NextUpstream;
import java.util.IdentityHashMap;
import io.stampede.balancer.admin.ProxyMetrics;
import io.stampede.balancer.log.AccessLog;
import java.util.Map;

/** What every connection of one loaded configuration shares. */
record ProxyRuntime(ProxyConfig config, Map<String, UpstreamRuntime> upstreams, BackendPool pool, ProxyLog log,
                    AccessLog accessLog, ProxyMetrics metrics, Map<LocationConfig, NextUpstream> retries) {

    ProxyRuntime(ProxyConfig config, Map<String, UpstreamRuntime> upstreams, BackendPool pool, ProxyLog log,
                 AccessLog accessLog, ProxyMetrics metrics) {
        this(config, upstreams, pool, log, accessLog, metrics, retryRules(config));
    }

    private static Map<LocationConfig, NextUpstream> retryRules(ProxyConfig config) {
        Map<LocationConfig, NextUpstream> out = new IdentityHashMap<>();
        for (LocationConfig l : config.locations()) {
            ProxySettings p = l.proxy();
            out.put(l, new NextUpstream(p.nextUpstream(), p.nextUpstreamTries(), p.nextUpstreamTimeout().toMillis()));
        }
        return out;
    }

    NextUpstream nextUpstream(LocationConfig location) {
        return retries.get(location);
    }

    boolean logsAccess() {
        return accessLog != null;
    }

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
