package io.percore.bench.jmh;

import io.percore.smp.SpscRing;
import io.percore.sys.Affinity;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.jctools.queues.SpscArrayQueue;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Group;
import org.openjdk.jmh.annotations.GroupThreads;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Deep dive behind {@code spscring_vs_jctools}: one producer thread pinned to CPU 0 and one consumer pinned to
 * CPU 1 on a ring of 1024 slots; the figure to read is the consumer's {@code received} counter (elements per
 * second). The SpscRing producer publishes every 32 staged elements or when the ring is full; JCTools offers
 * one at a time. Consumers take up to 32 per call.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED"})
public class SpscQueueBenchmark {
    private static final Object ITEM = new Object();

    /** The two queues under test, shared by the group's two threads. */
    @State(Scope.Group)
    public static class Queues {
        final SpscRing<Object> ring = new SpscRing<>(1024);
        final SpscArrayQueue<Object> jctools = new SpscArrayQueue<>(1024);
    }

    /** Pins the producer thread to CPU 0. */
    @State(Scope.Thread)
    public static class ProducerCpu {
        /** Pins the calling JMH thread. */
        @Setup(Level.Trial)
        public void pin() {
            Affinity.pinTo(0);
        }
    }

    /** What the consumer does with each element: counts it and keeps the last one (so the read stays). */
    static final class Sink implements Consumer<Object>, org.jctools.queues.MessagePassingQueue.Consumer<Object> {
        long count;
        Object last;

        @Override
        public void accept(Object e) {
            last = e;
            count++;
        }
    }

    /** Pins the consumer thread to CPU 1 and counts what it received. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Received {
        final Sink sink = new Sink();

        /** Pins the calling JMH thread. */
        @Setup(Level.Trial)
        public void pin() {
            Affinity.pinTo(1);
        }

        /** @return elements taken off the queue (JMH reports it per second) */
        public long received() {
            return sink.count;
        }
    }

    /** @return whether the element was staged */
    @Benchmark
    @Group("spscRing")
    @GroupThreads(1)
    public boolean spscRingProduce(Queues q, ProducerCpu cpu) {
        SpscRing<Object> ring = q.ring;
        boolean staged = ring.stage(ITEM);
        if (!staged || ring.staged() >= 32) {
            ring.publish();
        }
        return staged;
    }

    /** @return elements taken */
    @Benchmark
    @Group("spscRing")
    @GroupThreads(1)
    public int spscRingConsume(Queues q, Received r) {
        return q.ring.drain(r.sink, 32);
    }

    /** @return whether the element was offered */
    @Benchmark
    @Group("jctools")
    @GroupThreads(1)
    public boolean jctoolsProduce(Queues q, ProducerCpu cpu) {
        return q.jctools.offer(ITEM);
    }

    /** @return elements taken */
    @Benchmark
    @Group("jctools")
    @GroupThreads(1)
    public int jctoolsConsume(Queues q, Received r) {
        return q.jctools.drain(r.sink, 32);
    }
}
