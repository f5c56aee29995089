package io.stampede.balancer.upstream;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * A hand-driven upstream for exact sequence tests: servers named a, b, c... (written
 * {@code 127.0.0.1:29001}, {@code :29002}, ... in server order), an integer-seconds clock the test
 * moves, and requests run through the same pick / release / retry decisions the proxy makes.
 */
final class Sim {
    /** What a server does with an attempt: answer a status, or fail at the connection level. */
    static final int ERROR = -1;

    long now = 1_000;
    final PeerGroup group;
    final Map<String, Peer> peers = new LinkedHashMap<>();
    final Map<Peer, String> names = new LinkedHashMap<>();

    /** @param servers e.g. {@code "a weight=5"}, {@code "X max_fails=3 fail_timeout=30"}, {@code "b backup"} */
    Sim(PeerGroup.SelectorFactory method, String... servers) {
        List<Peer> list = new ArrayList<>();
        int port = 29001;
        for (String spec : servers) {
            String[] words = spec.split(" ");
            int weight = 1;
            int maxFails = 1;
            long failTimeout = 10;
            int maxConns = 0;
            boolean backup = false;
            boolean down = false;
            for (int i = 1; i < words.length; i++) {
                String[] kv = words[i].split("=");
                switch (kv[0]) {
                    case "weight" -> weight = Integer.parseInt(kv[1]);
                    case "max_fails" -> maxFails = Integer.parseInt(kv[1]);
                    case "fail_timeout" -> failTimeout = Long.parseLong(kv[1]);
                    case "max_conns" -> maxConns = Integer.parseInt(kv[1]);
                    case "backup" -> backup = true;
                    case "down" -> down = true;
                    default -> throw new IllegalArgumentException(words[i]);
                }
            }
            String server = "127.0.0.1:" + port;
            Peer p = new Peer(PeerSpec.of(server, new InetSocketAddress("127.0.0.1", port++), weight, maxFails, failTimeout,
                    maxConns, backup, down, null, false, 0));
            list.add(p);
            peers.put(words[0], p);
            names.put(p, words[0]);
        }
        group = new PeerGroup("backend", list, method, () -> now);
    }

    /** Runs one request; returns the attempts and the client's status, e.g. {@code "X a"} or {@code "X Y 502"}. */
    String request(Function<String, Integer> server, NextUpstream policy, byte[] key) {
        BalancedRequest r = group.begin(key, policy.tries());
        List<String> attempts = new ArrayList<>();
        while (true) {
            Peer p = r.next();
            if (p == null) {
                attempts.add("NOLIVE");
                attempts.add("502");
                return String.join(" ", attempts);
            }
            String name = names.get(p);
            attempts.add(name);
            int status = server.apply(name);
            if (status == ERROR) {
                r.release(p, Outcome.FAILED);
                if (policy.retryAfterFailure(NextUpstream.ERROR, r, false, false, 0)) {
                    continue;
                }
                attempts.add("502");
                return String.join(" ", attempts);
            }
            Outcome retry = policy.onStatus(status, r, false, false, 0);
            if (retry != null) {
                r.release(p, retry);
                continue;
            }
            r.release(p, Outcome.OK);
            if (status != 200) {
                attempts.add(String.valueOf(status));
            }
            return String.join(" ", attempts);
        }
    }

    String request(Function<String, Integer> server) {
        return request(server, NextUpstream.DEFAULT, new byte[0]);
    }

    /** Sequential requests where the servers named in {@code failing} fail and the rest answer 200. */
    String run(int requests, String failing) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < requests; i++) {
            out.add(request(n -> failing.contains(n) ? ERROR : 200));
        }
        return String.join(" | ", out);
    }

    /** Picks {@code n} times without releasing (requests that all stay active). */
    String concurrent(int n) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < n; i++) {
            Peer p = group.begin(new byte[0], 0).next();
            out.append(p == null ? "-" : names.get(p));
        }
        return out.toString();
    }

    /** The server each key picks on a fresh request (released OK at once). */
    String keys(Function<Integer, byte[]> key, int from, int to) {
        StringBuilder out = new StringBuilder();
        for (int k = from; k <= to; k++) {
            BalancedRequest r = group.begin(key.apply(k), 0);
            Peer p = r.next();
            out.append(names.get(p));
            r.release(p, Outcome.OK);
        }
        return out.toString();
    }

    static byte[] text(Object s) {
        return String.valueOf(s).getBytes(StandardCharsets.UTF_8);
    }
}
