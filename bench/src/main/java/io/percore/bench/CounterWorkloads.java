package io.percore.bench;

import io.percore.core.Future;
import io.percore.core.Futures;
import io.percore.sys.Affinity;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One counter, many updaters: the same update ({@code += delta}, deltas cycling through a small table so the
 * JIT cannot fold a run of updates into one) under {@code synchronized}, a {@link ReentrantLock}, an
 * {@link AtomicLong}, a {@link LongAdder}, and percore's way — each shard updates a plain field of its own
 * counter and a map-reduce sums them when asked. Threads run for a fixed time and count their updates.
 */
public final class CounterWorkloads {
    private CounterWorkloads() {}

    /** The kinds of shared counter. */
    public enum Kind {
        SYNCHRONIZED, REENTRANT_LOCK, ATOMIC_LONG, LONG_ADDER;

        /** @return the kind's name in figure names: {@code synchronized}, {@code reentrantlock}… */
        public String figureName() {
            return name().toLowerCase(java.util.Locale.ROOT).replace("_", "");
        }
    }

    /** Updates between two looks at the stop flag or the clock. */
    static final int STRIDE = 1024;
    private static final long[] DELTA = {1, 2, 3, 1, 2, 3, 1, 2, 3, 1, 2, 3, 1, 2, 3, 4};
    private static final long DELTA_SUM = java.util.Arrays.stream(DELTA).sum();

    /** The value that {@code updates} updates (a multiple of {@value #STRIDE}) must add up to. */
    static long expectedValue(long updates) {
        return updates / DELTA.length * DELTA_SUM;
    }

    /** A counter guarded by its own monitor or by a lock; its value is written only under the guard. */
    private static final class Guarded {
        long value;
    }

    /**
     * Where the updaters find the guarded counter. The field is deliberately not final and is read for every
     * update, as code that reaches its lock through an object graph does: with the monitor in one local, C2
     * coarsens the adjacent lock regions of the unrolled loop into one, and the table would show several
     * updates per lock acquisition (1.4 ns instead of 5.6 ns per update on one thread, measured).
     */
    private static final class Box {
        Guarded guarded = new Guarded();
    }

    private static volatile boolean stop;

    /**
     * Runs {@code threads} threads, thread i pinned to CPU {@code cpus[i % cpus.length]}, updating one shared
     * counter of kind {@code kind} for {@code durationNanos} (each thread at least one stride of 1024 updates).
     * Any non-shard thread; blocks until done.
     *
     * @return {total updates, nanoseconds from release to the last thread's end}
     * @throws IllegalStateException when an update was lost (the counter's value disagrees with the updates made)
     */
    public static long[] shared(Kind kind, int threads, int[] cpus, long durationNanos) throws InterruptedException {
        Box box = new Box();
        ReentrantLock lock = new ReentrantLock();
        AtomicLong atomic = new AtomicLong();
        LongAdder adder = new LongAdder();
        long[] updates = new long[threads];
        CountDownLatch ready = new CountDownLatch(threads);
        CountDownLatch go = new CountDownLatch(1);
        Thread[] ts = new Thread[threads];
        stop = false;
        for (int i = 0; i < threads; i++) {
            int id = i;
            ts[i] = new Thread(() -> {
                Affinity.pinTo(cpus[id % cpus.length]);
                ready.countDown();
                try {
                    go.await();
                } catch (InterruptedException e) {
                    return;
                }
                updates[id] = switch (kind) {
                    case SYNCHRONIZED -> runSynchronized(box);
                    case REENTRANT_LOCK -> runLock(lock, box.guarded);
                    case ATOMIC_LONG -> runAtomic(atomic);
                    case LONG_ADDER -> runAdder(adder);
                };
            }, "bench-counter-" + i);
            ts[i].start();
        }
        ready.await();
        long t0 = System.nanoTime();
        go.countDown();
        Thread.sleep(durationNanos / 1_000_000, (int) (durationNanos % 1_000_000));
        stop = true;
        for (Thread t : ts) {
            t.join();
        }
        long elapsed = System.nanoTime() - t0;
        long total = 0;
        for (long u : updates) {
            total += u;
        }
        long value = switch (kind) {
            case SYNCHRONIZED, REENTRANT_LOCK -> box.guarded.value;
            case ATOMIC_LONG -> atomic.get();
            case LONG_ADDER -> adder.sum();
        };
        if (value != expectedValue(total)) {
            throw new IllegalStateException(kind + " counter lost updates: " + value + " != " + expectedValue(total));
        }
        return new long[] {total, elapsed};
    }

    private static long runSynchronized(Box box) {
        long n = 0;
        do {
            for (int k = 0; k < STRIDE; k++) {
                Guarded g = box.guarded;
                synchronized (g) {
                    g.value += DELTA[k & 15];
                }
            }
            n += STRIDE;
        } while (!stop);
        return n;
    }

    private static long runLock(ReentrantLock lock, Guarded g) {
        long n = 0;
        do {
            for (int k = 0; k < STRIDE; k++) {
                lock.lock();
                try {
                    g.value += DELTA[k & 15];
                } finally {
                    lock.unlock();
                }
            }
            n += STRIDE;
        } while (!stop);
        return n;
    }

    private static long runAtomic(AtomicLong a) {
        long n = 0;
        do {
            for (int k = 0; k < STRIDE; k++) {
                a.getAndAdd(DELTA[k & 15]);
            }
            n += STRIDE;
        } while (!stop);
        return n;
    }

    private static long runAdder(LongAdder a) {
        long n = 0;
        do {
            for (int k = 0; k < STRIDE; k++) {
                a.add(DELTA[k & 15]);
            }
            n += STRIDE;
        } while (!stop);
        return n;
    }

    /**
     * A shard's own counter: a plain field nobody else touches, padded so that two shards' counters never share
     * a cache line. Used on its shard only.
     */
    public static final class ShardCounter {
        @SuppressWarnings("unused")
        private long p0, p1, p2, p3, p4, p5, p6, p7;
        long value;
        long updates;
        @SuppressWarnings("unused")
        private long q0, q1, q2, q3, q4, q5, q6, q7;

        /**
         * Updates the counter for {@code durationNanos} (from now), in strides, yielding to the reactor whenever
         * the task quota runs out as any long shard loop must. Its shard only.
         *
         * @return a future done when the time is up
         */
        public Future<Void> updateFor(long durationNanos) {
            value = 0;
            updates = 0;
            long deadline = System.nanoTime() + durationNanos;
            return Futures.repeat(() -> {
                for (int s = 0; s < 64; s++) {
                    stride();
                }
                return Future.ready(System.nanoTime() - deadline >= 0);
            });
        }

        private void stride() {
            for (int k = 0; k < STRIDE; k++) {
                value += DELTA[k & 15];
            }
            updates += STRIDE;
        }

        /** @return {updates, value} for a map-reduce. Its shard only. */
        public long[] snapshot() {
            return new long[] {updates, value};
        }
    }
}
