package io.stampede.common.testing;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.util.ResourceLeakDetector;
import io.netty.util.ResourceLeakDetectorFactory;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Makes Netty's leak reports fail the tests instead of only printing them. Registered for every
 * test class of the modules that use this test jar (JUnit extension autodetection). Netty reports
 * a leak when it notices a collected, unreleased buffer, so after each class this collects garbage
 * and allocates a little to give the detector its chance, then fails if anything was reported.
 */
public final class LeakGuard implements AfterAllCallback {
    static final AtomicLong LEAKS = new AtomicLong();

    static {
        ResourceLeakDetectorFactory.setResourceLeakDetectorFactory(new ResourceLeakDetectorFactory() {
            @Override
            @SuppressWarnings("deprecation")
            public <T> ResourceLeakDetector<T> newResourceLeakDetector(Class<T> resource, int samplingInterval,
                                                                       long maxActive) {
                return new ResourceLeakDetector<>(resource, samplingInterval, maxActive) {
                    @Override
                    protected void reportTracedLeak(String resourceType, String records) {
                        LEAKS.incrementAndGet();
                        super.reportTracedLeak(resourceType, records);
                    }

                    @Override
                    protected void reportUntracedLeak(String resourceType) {
                        LEAKS.incrementAndGet();
                        super.reportUntracedLeak(resourceType);
                    }
                };
            }
        });
    }

    /**
     * For tests outside JUnit Jupiter (jqwik properties): call before Netty allocates anything, so
     * leak reports are counted, then {@link #check} at the end.
     */
    public static void install() {
        // Loading the class ran the static block.
    }

    @Override
    public void afterAll(ExtensionContext context) {
        check(context.getDisplayName());
    }

    /** Collects garbage, lets Netty's detector look, and fails if it reported a leak. */
    public static void check(String what) {
        for (int round = 0; round < 3; round++) {
            System.gc();
            for (int i = 0; i < 64; i++) {
                ByteBuf a = PooledByteBufAllocator.DEFAULT.directBuffer(16);
                a.release();
                ByteBuf b = UnpooledByteBufAllocator.DEFAULT.heapBuffer(16);
                b.release();
            }
        }
        long leaks = LEAKS.getAndSet(0);
        if (leaks > 0) {
            throw new AssertionError(leaks + " leaked ByteBuf(s) reported by Netty while running "
                    + what + " (the log above has the access records)");
        }
    }
}
