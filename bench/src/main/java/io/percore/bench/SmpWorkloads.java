package io.percore.bench;

import io.percore.core.Future;
import io.percore.core.Promise;
import io.percore.smp.Smp;
import io.percore.smp.SpscRing;
import io.percore.sys.Affinity;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.function.Supplier;
import org.HdrHistogram.Histogram;
import org.jctools.queues.MessagePassingQueue;
import org.jctools.queues.SpscArrayQueue;

/**
 * The cross-shard workloads and their peers: one-at-a-time round trips (percore {@code Smp.submitTo} and a
 * one-thread ThreadPoolExecutor with CompletableFuture), many calls in flight, and raw single-producer
 * single-consumer rings between two pinned threads (percore's {@link SpscRing} and JCTools'
 * {@link SpscArrayQueue}). Methods say which thread they need.
 */
public final class SmpWorkloads {
    private SmpWorkloads() {}

    private static final Supplier<Future<Integer>> READY_42 = () -> Future.ready(42);
    private static final Supplier<Future<Void>> DONE = Future::done;
    private static final Supplier<Integer> SUPPLY_42 = () -> 42;
    /** Distinct objects for the raw rings to carry, so no allocation happens while measuring. */
    private static final Object[] ITEMS = new Object[1024];

    static {
        for (int i = 0; i < ITEMS.length; i++) {
            ITEMS[i] = Integer.valueOf(100_000 + i);
        }
    }

    /** Elements the raw-ring producer stages before it publishes them with one release store. */
    public static final int RING_PUBLISH_BATCH = 32;
    /** Capacity of both raw rings. */
    public static final int RING_CAPACITY = 1024;

    // ------------------------------------------------------------------------------------------ round trips

    /**
     * From the calling shard, {@code Smp.submitTo(target, () -> Future.ready(42))} one at a time, each sent
     * when the previous one's value is back, until {@code count} calls are done or {@code durationNanos} has
     * passed. Each round trip, send to continuation, goes into {@code histogram} (nanoseconds) when it is not
     * null. Shard thread.
     *
     * @return a future of {calls made, nanoseconds taken}
     */
    public static Future<long[]> roundTrips(int target, long count, long durationNanos, Histogram histogram) {
        return new RoundTrips(target, count, durationNanos, histogram).start();
    }

    private static final class RoundTrips {
        private final int target;
        private final long count;
        private final long duration;
        private final Histogram histogram;
        private final Promise<long[]> done = new Promise<>();
        private final BiConsumer<Integer, Throwable> arrived = this::arrived;
        private long made;
        private long t0;
        private long sent;

        RoundTrips(int target, long count, long duration, Histogram histogram) {
            this.target = target;
            this.count = count;
            this.duration = duration;
            this.histogram = histogram;
        }

        Future<long[]> start() {
            t0 = System.nanoTime();
            next(t0);
            return done;
        }

        private void next(long now) {
            if (made == count || now - t0 >= duration) {
                done.setValue(new long[] {made, now - t0});
                return;
            }
            made++;
            sent = System.nanoTime();
            Smp.submitTo(target, READY_42).onComplete(arrived);
        }

        private void arrived(Integer value, Throwable error) {
            long now = System.nanoTime();
            if (error != null || value != 42) {
                done.setException(error != null ? error : new IllegalStateException("wrong value " + value));
                return;
            }
            if (histogram != null) {
                histogram.recordValue(now - sent);
            }
            next(now);
        }
    }

    /**
     * The peer of {@link #roundTrips}: from a new thread pinned to {@code callerCpu}, {@code
     * CompletableFuture.supplyAsync(() -> 42, pool).get()} one at a time on a one-thread ThreadPoolExecutor whose
     * worker is pinned to {@code workerCpu}, for {@code durationNanos} after {@code warmupNanos} of unrecorded
     * calls. Any non-shard thread; blocks until done.
     *
     * @return round trips recorded
     */
    public static long threadPoolRoundTrips(int callerCpu, int workerCpu, long warmupNanos, long durationNanos,
                                            Histogram histogram) throws Exception {
        ThreadPoolExecutor pool = new ThreadPoolExecutor(1, 1, 0, TimeUnit.SECONDS, new LinkedBlockingQueue<>(),
                r -> {
                    Thread t = new Thread(() -> {
                        Affinity.pinTo(workerCpu);
                        r.run();
                    }, "bench-pool-worker");
                    t.setDaemon(true);
                    return t;
                });
        try {
            long[] made = {0};
            Exception[] failure = {null};
            Thread caller = new Thread(() -> {
                try {
                    Affinity.pinTo(callerCpu);
                    long start = System.nanoTime();
                    while (System.nanoTime() - start < warmupNanos) {
                        CompletableFuture.supplyAsync(SUPPLY_42, pool).get();
                    }
                    start = System.nanoTime();
                    long now = start;
                    while (now - start < durationNanos) {
                        long t = System.nanoTime();
                        int v = CompletableFuture.supplyAsync(SUPPLY_42, pool).get();
                        now = System.nanoTime();
                        if (v != 42) {
                            throw new IllegalStateException("wrong value " + v);
                        }
                        histogram.recordValue(now - t);
                        made[0]++;
                    }
                } catch (Exception e) {
                    failure[0] = e;
                }
            }, "bench-pool-caller");
            caller.start();
            caller.join();
            if (failure[0] != null) {
                throw failure[0];
            }
            return made[0];
        } finally {
            pool.shutdownNow();
        }
    }

    // ------------------------------------------------------------------------------------------ many in flight

    /**
     * From the calling shard, keeps {@code chunks * chunkSize} calls {@code Smp.submitTo(target, Future::done)}
     * in flight for {@code durationNanos}: each chunk's calls are fire-and-forget except the last, whose
     * completion (they complete in order) sends the next chunk. Shard thread.
     *
     * @return a future of {calls completed, nanoseconds from the first send to the last completion}
     */
    public static Future<long[]> manyInFlight(int target, int chunkSize, int chunks, long durationNanos) {
        return new ManyInFlight(target, chunkSize, durationNanos).start(chunks);
    }

    private static final class ManyInFlight {
        private final int target;
        private final int chunkSize;
        private final long duration;
        private final Promise<long[]> done = new Promise<>();
        private final BiConsumer<Void, Throwable> chunkDone = this::chunkDone;
        private long completed;
        private int chunksInFlight;
        private long t0;

        ManyInFlight(int target, int chunkSize, long duration) {
            this.target = target;
            this.chunkSize = chunkSize;
            this.duration = duration;
        }

        Future<long[]> start(int chunks) {
            t0 = System.nanoTime();
            for (int c = 0; c < chunks; c++) {
                sendChunk();
            }
            return done;
        }

        private void sendChunk() {
            for (int k = 1; k < chunkSize; k++) {
                Smp.submitTo(target, DONE);
            }
            Smp.submitTo(target, DONE).onComplete(chunkDone);
            chunksInFlight++;
        }

        private void chunkDone(Void ignored, Throwable error) {
            chunksInFlight--;
            if (error != null) {
                done.trySetException(error);
                return;
            }
            completed += chunkSize;
            long now = System.nanoTime();
            if (now - t0 < duration) {
                sendChunk();
            } else if (chunksInFlight == 0) {
                done.setValue(new long[] {completed, now - t0});
            }
        }
    }

    // ------------------------------------------------------------------------------------------ the hardware's floor

    /** A volatile counter alone on its cache line. */
    private static final class PaddedFlag {
        @SuppressWarnings("unused")
        long p0, p1, p2, p3, p4, p5, p6, p7;
        volatile long value;
        @SuppressWarnings("unused")
        long q0, q1, q2, q3, q4, q5, q6, q7;
    }

    /**
     * Cache-line round trips for about {@code durationNanos}: a thread pinned to {@code cpuA} writes a volatile
     * counter and spins until a thread pinned to {@code cpuB} echoes it on another line. The cost of moving a
     * line to the other core and back, twice, is the floor under any cross-core hand-off, so it puts the other
     * figures in proportion (and shows which state a shared virtual machine is in). Any non-shard thread;
     * blocks until done.
     *
     * @return {round trips, nanoseconds they took}
     */
    public static long[] cacheLineRoundTrips(long durationNanos, int cpuA, int cpuB) throws InterruptedException {
        PaddedFlag ping = new PaddedFlag();
        PaddedFlag pong = new PaddedFlag();
        long[] made = {0};
        long elapsed = twoThreads(cpuA, cpuB, () -> {
            long deadline = System.nanoTime() + durationNanos;
            long i = 0;
            do {
                for (int k = 0; k < 1024; k++) {
                    ping.value = ++i;
                    while (pong.value != i) {
                        Thread.onSpinWait();
                    }
                }
            } while (System.nanoTime() - deadline < 0);
            made[0] = i;
            ping.value = -1;
        }, () -> {
            long last = 0;
            while (true) {
                long v;
                while ((v = ping.value) == last) {
                    Thread.onSpinWait();
                }
                if (v < 0) {
                    return;
                }
                pong.value = v;
                last = v;
            }
        });
        return new long[] {made[0], elapsed};
    }

    // ------------------------------------------------------------------------------------------ raw rings

    /** What a consumer does with each element: keeps the last one, so the read cannot be optimised away. */
    private static final class Sink implements java.util.function.Consumer<Object>, MessagePassingQueue.Consumer<Object> {
        Object last;

        @Override
        public void accept(Object e) {
            last = e;
        }
    }

    /** How many elements a time-bounded producer sent, published once it stopped (-1 until then). */
    private static final class Total {
        volatile long value = -1;
    }

    /**
     * For about {@code durationNanos}, sends references through a new {@link SpscRing} of {@value
     * #RING_CAPACITY} slots from a thread pinned to {@code producerCpu} to one pinned to {@code consumerCpu};
     * the producer publishes every {@value #RING_PUBLISH_BATCH} elements (or when the ring is full), the
     * consumer drains up to 256 at a time. Any non-shard thread; blocks until done.
     *
     * @return {elements, nanoseconds from the producer's first element to the consumer's last}
     */
    public static long[] spscRing(long durationNanos, int producerCpu, int consumerCpu) throws InterruptedException {
        SpscRing<Object> ring = new SpscRing<>(RING_CAPACITY);
        Total total = new Total();
        long elapsed = twoThreads(producerCpu, consumerCpu, () -> {
            long deadline = System.nanoTime() + durationNanos;
            long sent = 0;
            do {
                for (int b = 0; b < 128; b++) {
                    int k = 0;
                    while (k < RING_PUBLISH_BATCH && ring.stage(ITEMS[(int) sent & (ITEMS.length - 1)])) {
                        sent++;
                        k++;
                    }
                    if (k > 0) {
                        ring.publish();
                    } else {
                        Thread.onSpinWait();
                    }
                }
            } while (System.nanoTime() - deadline < 0);
            total.value = sent;
        }, () -> {
            Sink sink = new Sink();
            long got = 0;
            while (true) {
                int d = ring.drain(sink, 256);
                got += d;
                if (d == 0) {
                    long t = total.value;
                    if (t >= 0 && got == t) {
                        return;
                    }
                    Thread.onSpinWait();
                }
            }
        });
        return new long[] {total.value, elapsed};
    }

    /**
     * The peer of {@link #spscRing}: JCTools' {@link SpscArrayQueue} of the same capacity, {@code offer} per
     * element (its slots carry the hand-off, so it needs no batching), {@code drain} up to 256 at a time.
     * Any non-shard thread; blocks until done.
     *
     * @return {elements, nanoseconds from the producer's first element to the consumer's last}
     */
    public static long[] jctoolsSpsc(long durationNanos, int producerCpu, int consumerCpu) throws InterruptedException {
        SpscArrayQueue<Object> queue = new SpscArrayQueue<>(RING_CAPACITY);
        Total total = new Total();
        long elapsed = twoThreads(producerCpu, consumerCpu, () -> {
            long deadline = System.nanoTime() + durationNanos;
            long sent = 0;
            do {
                for (int b = 0; b < 4096; b++) {
                    Object e = ITEMS[(int) sent & (ITEMS.length - 1)];
                    while (!queue.offer(e)) {
                        Thread.onSpinWait();
                    }
                    sent++;
                }
            } while (System.nanoTime() - deadline < 0);
            total.value = sent;
        }, () -> {
            Sink sink = new Sink();
            long got = 0;
            while (true) {
                int d = queue.drain(sink, 256);
                got += d;
                if (d == 0) {
                    long t = total.value;
                    if (t >= 0 && got == t) {
                        return;
                    }
                    Thread.onSpinWait();
                }
            }
        });
        return new long[] {total.value, elapsed};
    }

    /** Runs a producer and a consumer on two pinned threads, both released at once; times first send to last receive. */
    private static long twoThreads(int producerCpu, int consumerCpu, Runnable producer, Runnable consumer)
            throws InterruptedException {
        long[] times = new long[2];
        java.util.concurrent.CountDownLatch ready = new java.util.concurrent.CountDownLatch(2);
        java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
        Throwable[] failure = new Throwable[1];
        Thread c = new Thread(() -> {
            try {
                Affinity.pinTo(consumerCpu);
                ready.countDown();
                go.await();
                consumer.run();
                times[1] = System.nanoTime();
            } catch (Throwable t) {
                failure[0] = t;
            }
        }, "bench-consumer");
        Thread p = new Thread(() -> {
            try {
                Affinity.pinTo(producerCpu);
                ready.countDown();
                go.await();
                times[0] = System.nanoTime();
                producer.run();
            } catch (Throwable t) {
                failure[0] = t;
            }
        }, "bench-producer");
        c.start();
        p.start();
        ready.await();
        go.countDown();
        p.join();
        c.join();
        if (failure[0] != null) {
            throw new IllegalStateException("ring benchmark thread failed", failure[0]);
        }
        return times[1] - times[0];
    }
}
