package io.stampede.balancer.upstream;

import io.stampede.common.wire.ProxyStatus.QueueStatus;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * nginx Plus's upstream queue ({@code queue N timeout=T}): requests that found no server wait
 * here in arrival order, and each server freed goes to the oldest first. It holds no lock of its
 * own: every method but {@link #run} is called under the owning group's lock, and the callbacks
 * {@link #drain} collects run after the lock is released.
 */
final class UpstreamQueue {
    private record Waiting(BalancedRequest request, Consumer<Peer> onDispatch) {}

    private final ArrayDeque<Waiting> waiting = new ArrayDeque<>();
    private final int limit;
    private long overflows;

    UpstreamQueue(int limit) {
        this.limit = limit;
    }

    /** Joins the queue; false (and one more overflow) when it is full. */
    boolean offer(BalancedRequest request, Consumer<Peer> onDispatch) {
        if (waiting.size() >= limit) {
            overflows++;
            return false;
        }
        waiting.addLast(new Waiting(request, onDispatch));
        return true;
    }

    /** Leaves the queue (timeout, client gone); false if the request was dispatched already. */
    boolean leave(BalancedRequest request, boolean timedOut) {
        for (Iterator<Waiting> it = waiting.iterator(); it.hasNext(); ) {
            if (it.next().request() == request) {
                it.remove();
                if (timedOut) {
                    overflows++;
                }
                return true;
            }
        }
        return false;
    }

    /**
     * Hands servers to the oldest waiting requests while {@code pick} finds one for the head.
     *
     * @return the callbacks to run once the lock is released, or null
     */
    List<Runnable> drain(Function<BalancedRequest, Peer> pick) {
        List<Runnable> ready = null;
        while (!waiting.isEmpty()) {
            Waiting head = waiting.peekFirst();
            Peer p = pick.apply(head.request());
            if (p == null) {
                break;
            }
            waiting.pollFirst();
            if (ready == null) {
                ready = new ArrayList<>();
            }
            ready.add(() -> head.onDispatch().accept(p));
        }
        return ready;
    }

    /** Runs what {@link #drain} collected, outside the lock. */
    static void run(List<Runnable> ready) {
        if (ready != null) {
            ready.forEach(Runnable::run);
        }
    }

    QueueStatus status() {
        return new QueueStatus(waiting.size(), limit, overflows);
    }
}
