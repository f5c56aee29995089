package io.stampede.api.capacity;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class WorkerPoolTest {

    @Test
    void startsUpToWorkersThenQueuesThenRejects() {
        WorkerPool pool = new WorkerPool(2, 1);
        List<String> ran = new ArrayList<>();
        assertThat(pool.submit(() -> ran.add("a"))).isEqualTo(WorkerPool.Admission.STARTED);
        assertThat(pool.submit(() -> ran.add("b"))).isEqualTo(WorkerPool.Admission.STARTED);
        assertThat(pool.submit(() -> ran.add("c"))).isEqualTo(WorkerPool.Admission.QUEUED);
        assertThat(pool.submit(() -> ran.add("d"))).isEqualTo(WorkerPool.Admission.REJECTED);
        assertThat(ran).containsExactly("a", "b");
        assertThat(pool.busy()).isEqualTo(2);
        assertThat(pool.queued()).isEqualTo(1);
    }

    @Test
    void releaseHandsTheWorkerToTheOldestWaitingJob() {
        WorkerPool pool = new WorkerPool(1, 3);
        List<String> ran = new ArrayList<>();
        pool.submit(() -> ran.add("first"));
        pool.submit(() -> ran.add("second"));
        pool.submit(() -> ran.add("third"));
        pool.release();
        assertThat(ran).containsExactly("first", "second");
        assertThat(pool.busy()).isEqualTo(1);
        pool.release();
        pool.release();
        assertThat(ran).containsExactly("first", "second", "third");
        assertThat(pool.busy()).isZero();
        assertThat(pool.queued()).isZero();
    }

    @Test
    void zeroQueueRejectsAsSoonAsAllWorkersAreBusy() {
        WorkerPool pool = new WorkerPool(1, 0);
        assertThat(pool.submit(() -> { })).isEqualTo(WorkerPool.Admission.STARTED);
        assertThat(pool.submit(() -> { })).isEqualTo(WorkerPool.Admission.REJECTED);
        pool.release();
        assertThat(pool.submit(() -> { })).isEqualTo(WorkerPool.Admission.STARTED);
    }
}
