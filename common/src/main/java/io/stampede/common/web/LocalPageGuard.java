package io.stampede.common.web;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.util.NetUtil;

/**
 * Keeps other web sites away from a local HTTP endpoint (the swarm's web UI, the proxy's admin
 * listener). Two attacks are refused: a page of another site that the browser lets call us
 * (cross-site requests, told by {@code Origin} or {@code Sec-Fetch-Site}) and DNS rebinding, where
 * a name the attacker controls resolves to our address (the {@code Host} header then names
 * neither an address nor the name we were bound to). Scripts and curl send neither header and pass.
 */
public final class LocalPageGuard {
    private final String what;
    private volatile String boundHost;

    /** @param what the endpoint's name for messages, e.g. "this UI" */
    public LocalPageGuard(String what, String boundHost) {
        this.what = what;
        this.boundHost = boundHost;
    }

    public void boundTo(String host) {
        this.boundHost = host;
    }

    /**
     * Why the request is refused (a message for a 403), or null when it may go on.
     *
     * @param changesState whether the request changes anything; reads are refused only for a foreign Host
     */
    public String refusal(HttpHeaders headers, boolean changesState) {
        String host = headers.get(HttpHeaderNames.HOST);
        if (host != null && !allowedHost(host)) {
            return "Host " + host + " is not " + what + "'s address (open it as http://" + boundHost + ":PORT/)";
        }
        if (!changesState) {
            return null;
        }
        String site = headers.get("Sec-Fetch-Site");
        if (site != null && !site.equals("same-origin") && !site.equals("none")) {
            return "refused: a page of another site (" + site + ") cannot change anything here";
        }
        String origin = headers.get(HttpHeaderNames.ORIGIN);
        if (origin != null && host != null && !origin.equalsIgnoreCase("http://" + host)) {
            return "refused: a page of " + origin + " cannot change anything here";
        }
        return null;
    }

    /** An address, {@code localhost}, or the name the endpoint was bound to: nothing a rebinding page can use. */
    public boolean allowedHost(String hostHeader) {
        String name = hostHeader;
        if (name.startsWith("[")) {
            int end = name.indexOf(']');
            name = end < 0 ? name : name.substring(1, end);
        } else if (name.indexOf(':') >= 0) {
            name = name.substring(0, name.lastIndexOf(':'));
        }
        return name.equalsIgnoreCase("localhost") || name.equalsIgnoreCase(boundHost) || NetUtil.isValidIpV4Address(name)
                || NetUtil.isValidIpV6Address(name);
    }
}
