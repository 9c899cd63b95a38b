package io.percore.bench.jmh;

import io.percore.sys.Affinity;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantLock;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Deep dive behind {@code ./percore bench counters}: one shared counter under each kind of guard, against a
 * per-thread padded plain counter (what a shard does). Run with {@code -t 1}, {@code -t 2}, {@code -t 4}; each
 * JMH thread pins itself to CPU (index mod 2). JMH reports throughput per second over all threads.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED"})
public class CounterBenchmark {

    /** The shared counters, and the source of CPU numbers for pinning. */
    @State(Scope.Benchmark)
    public static class Shared {
        final Object monitor = new Object();
        final ReentrantLock lock = new ReentrantLock();
        final AtomicLong atomic = new AtomicLong();
        final LongAdder adder = new LongAdder();
        final AtomicInteger threads = new AtomicInteger();
        long guarded;
    }

    /** One thread's own counter, padded against its neighbours; the thread pins itself on set-up. */
    @State(Scope.Thread)
    public static class Own {
        @SuppressWarnings("unused")
        long p0, p1, p2, p3, p4, p5, p6, p7;
        long value;
        @SuppressWarnings("unused")
        long q0, q1, q2, q3, q4, q5, q6, q7;

        /** Pins the calling JMH thread to CPU (its arrival order mod 2). */
        @Setup(Level.Trial)
        public void pin(Shared s) {
            Affinity.pinTo(s.threads.getAndIncrement() % 2);
        }
    }

    /** @return the new value */
    @Benchmark
    public long synchronizedCounter(Shared s, Own pinned) {
        synchronized (s.monitor) {
            return ++s.guarded;
        }
    }

    /** @return the new value */
    @Benchmark
    public long reentrantLock(Shared s, Own pinned) {
        s.lock.lock();
        try {
            return ++s.guarded;
        } finally {
            s.lock.unlock();
        }
    }

    /** @return the new value */
    @Benchmark
    public long atomicLong(Shared s, Own pinned) {
        return s.atomic.incrementAndGet();
    }

    /** Adds one to the adder. */
    @Benchmark
    public void longAdder(Shared s, Own pinned) {
        s.adder.increment();
    }

    /** @return the new value of the thread's own counter */
    @Benchmark
    public long ownPlainField(Own own) {
        return ++own.value;
    }
}
