package io.stampede.balancer.upstream;

/**
 * nginx Plus's sticky sessions as a layer over any balancing method, the way its sticky module
 * wraps the installed balancer's get: a request bound to a server id (a cookie, a route, a learned
 * session) tries that server first, even a draining one; if it cannot take the request (tried,
 * down, failed, full, failing checks), or the request is bound to nothing, the method picks as
 * usual. The method is told of a bound pick ({@link PeerSelector#bound}) so round robin keeps its
 * accounts as nginx's does.
 */
final class StickySelector implements PeerSelector {
    private final PeerSelector method;

    StickySelector(PeerSelector method) {
        this.method = method;
    }

    @Override
    public void start(BalancedRequest request) {
        method.start(request);
    }

    @Override
    public Peer pick(BalancedRequest r, long now) {
        if (r.boundSid != null && !r.stickyTried) {
            r.stickyTried = true;
            Peer[] tier = r.tier;
            for (int i = 0; i < tier.length; i++) {
                Peer p = tier[i];
                if (p.spec.sid().equals(r.boundSid)) {
                    if (!r.tried.get(i) && !p.spec.down() && !p.failedRecently(now) && !p.full() && !p.failsChecks()) {
                        method.bound(r, i, now);
                        return r.picked(i, now);
                    }
                    break; // bound to a server that can't take it: balance as usual
                }
            }
        }
        return method.pick(r, now);
    }

    PeerSelector method() {
        return method;
    }
}
