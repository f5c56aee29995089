package io.stampede.balancer.upstream;

/** Maps a number in [0, total primary weight) to the primary peer owning that range (down ones included). */
final class Weights {
    private Weights() {}

    static int owner(Peer[] peers, long w) {
        int i = 0;
        while (w >= peers[i].spec.weight()) {
            w -= peers[i].spec.weight();
            i++;
        }
        return i;
    }
}
