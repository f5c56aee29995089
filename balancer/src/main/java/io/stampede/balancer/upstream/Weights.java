package io.stampede.balancer.upstream;

/**
 * Maps a number in [0, total primary weight) to the primary peer owning that range (down ones
 * included). The weights are the group's own, as they were when it was built: a reload gives a
 * server shared with the next group its new weight, and the old group, which may still balance
 * a retry, must walk the ranges its total was summed from.
 */
final class Weights {
    private Weights() {}

    static int owner(PeerGroup group, long w) {
        int[] weights = group.primaryWeights;
        int i = 0;
        while (i < weights.length - 1 && w >= weights[i]) {
            w -= weights[i];
            i++;
        }
        return i;
    }
}
