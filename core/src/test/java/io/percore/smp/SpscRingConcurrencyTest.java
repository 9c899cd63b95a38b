package io.percore.smp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * A producer thread and a consumer thread move millions of sequence numbers through a small ring with random
 * batch and drain sizes: every number must arrive exactly once, in order. A visibility or index bug shows up as
 * a gap, a repeat, a null, or a hang (caught by the deadline).
 */
class SpscRingConcurrencyTest {
    private static final int COUNT = 10_000_000;
    private static final long DEADLINE_NANOS = Duration.ofSeconds(20).toNanos();

    @Test
    void everyNumberArrivesExactlyOnceInOrder() throws Exception {
        SpscRing<Integer> ring = new SpscRing<>(64);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        long start = System.nanoTime();

        Thread producer = new Thread(() -> {
            try {
                SplittableRandom rnd = new SplittableRandom(1);
                int next = 0;
                int idle = 0;
                while (next < COUNT) {
                    int batch = 1 + rnd.nextInt(64);
                    for (int i = 0; i < batch && next < COUNT; ) {
                        if (ring.stage(next)) {
                            next++;
                            i++;
                            idle = 0;
                        } else {
                            // Full: what we staged must go out, or the consumer can never free a slot.
                            ring.publish();
                            backOff(++idle, start);
                        }
                    }
                    ring.publish();
                }
            } catch (Throwable t) {
                failure.compareAndSet(null, t);
            }
        }, "ring-producer");

        Checker checker = new Checker();
        Thread consumer = new Thread(() -> {
            try {
                SplittableRandom rnd = new SplittableRandom(2);
                int idle = 0;
                while (checker.expected < COUNT && checker.error == null) {
                    if (ring.drain(checker, 1 + rnd.nextInt(100)) == 0) {
                        backOff(++idle, start);
                    } else {
                        idle = 0;
                    }
                }
            } catch (Throwable t) {
                failure.compareAndSet(null, t);
            }
        }, "ring-consumer");

        producer.start();
        consumer.start();
        producer.join(Duration.ofSeconds(30));
        consumer.join(Duration.ofSeconds(30));
        assertNull(failure.get(), () -> "thread failed: " + failure.get());
        assertNull(checker.error, () -> checker.error);
        assertEquals(COUNT, checker.expected);
        assertTrue(ring.isEmpty());
        assertEquals(64, ring.freeSlots());
        System.out.printf("SpscRing(64): %,d elements in %d ms%n", COUNT, (System.nanoTime() - start) / 1_000_000);
    }

    /** Spins briefly, then yields: on a busy 2-core machine the other side may not be running at all. */
    private static void backOff(int idleRounds, long start) {
        if (idleRounds < 100) {
            Thread.onSpinWait();
            return;
        }
        if (System.nanoTime() - start > DEADLINE_NANOS) {
            throw new IllegalStateException("no progress within the deadline: a lost element or a stuck index");
        }
        Thread.yield();
    }

    /** Consumer-side check: each element must be the next number. */
    private static final class Checker implements Consumer<Integer> {
        int expected;
        String error;

        @Override
        public void accept(Integer v) {
            if (error != null) {
                return;
            }
            if (v == null || v != expected) {
                error = "expected " + expected + " but got " + v;
                return;
            }
            expected++;
        }
    }
}
