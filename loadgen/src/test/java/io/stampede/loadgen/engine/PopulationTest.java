package io.stampede.loadgen.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The swarm's population rules on a clock the test moves: spawn schedule, class shares, spread over workers. */
class PopulationTest {
    private final AtomicLong now = new AtomicLong(1_000_000_000L);

    private void advance(double seconds) {
        now.addAndGet((long) (seconds * TimeUnit.SECONDS.toNanos(1)));
    }

    @Test
    void usersAreDueAtTheSpawnRateUpToTheTarget() {
        Population p = new Population(new int[] {1}, 2, 10, 2.0, now::get);
        p.startSpawning(0);
        assertThat(p.due()).as("one at once").isEqualTo(1);
        advance(1);
        assertThat(p.due()).isEqualTo(3);
        advance(1.49);
        assertThat(p.due()).isEqualTo(5);
        advance(10);
        assertThat(p.due()).as("never past the target").isEqualTo(10);
        // An edit counts from now and from the users running now.
        p.retarget(20, 1.0, 10);
        assertThat(p.due()).isEqualTo(11);
        advance(3);
        assertThat(p.due()).isEqualTo(14);
    }

    @Test
    void classesFillInProportionAndAnEditDownKeepsTheRatio() {
        Population p = new Population(new int[] {6, 2}, 1, 8, 1.0, now::get);
        StringBuilder order = new StringBuilder();
        for (int i = 0; i < 8; i++) {
            order.append(p.nextClass());
            p.nextWorker();
        }
        assertThat(order.toString()).as("the class furthest below its share goes next").isEqualTo("00100010");
        assertThat(p.inClass(0)).isEqualTo(6);
        assertThat(p.inClass(1)).isEqualTo(2);
        // Down to 4: users are taken from the class furthest above its share, 6:2 becomes 3:1.
        for (int i = 0; i < 4; i++) {
            p.stopped(p.surplusClass(), 0);
        }
        assertThat(p.inClass(0)).isEqualTo(3);
        assertThat(p.inClass(1)).isEqualTo(1);
    }

    @Test
    void usersSpreadEvenlyOverTheWorkers() {
        Population p = new Population(new int[] {1}, 3, 7, 1.0, now::get);
        StringBuilder order = new StringBuilder();
        for (int i = 0; i < 7; i++) {
            order.append(p.nextWorker());
        }
        assertThat(order.toString()).isEqualTo("0120120");
        p.stopped(0, 1);
        assertThat(p.nextWorker()).as("the worker that lost a user gets the next").isEqualTo(1);
    }

    @Test
    void theFirstArrivalNotDueIsFoundByItsTime() {
        Pacer tenPerSecond = Pacer.constant(10);
        assertThat(Arrivals.firstNotDue(tenPerSecond, 0)).isZero();
        long second = TimeUnit.SECONDS.toNanos(1);
        long n = Arrivals.firstNotDue(tenPerSecond, second);
        assertThat(tenPerSecond.timeOf(n)).isGreaterThanOrEqualTo(second);
        assertThat(tenPerSecond.timeOf(n - 1)).isLessThan(second);
    }

    /** A Locust master's absolute counts per class, as the weights: filling to their sum ends on them exactly, whatever they are. */
    @Test
    void exactCountsAsWeightsEndOnTheCounts() {
        java.util.Random random = new java.util.Random(18);
        for (int round = 0; round < 500; round++) {
            int[] counts = new int[1 + random.nextInt(5)];
            int total = 0;
            for (int c = 0; c < counts.length; c++) {
                counts[c] = random.nextInt(41);
                total += counts[c];
            }
            if (total == 0) {
                continue;
            }
            Population p = new Population(new int[counts.length], 1, 0, 1.0, now::get);
            p.reweight(counts);
            for (int i = 0; i < total; i++) {
                p.nextClass();
            }
            for (int c = 0; c < counts.length; c++) {
                assertThat(p.inClass(c)).as("class %d of %s", c, java.util.Arrays.toString(counts)).isEqualTo(counts[c]);
            }
        }
    }
}
