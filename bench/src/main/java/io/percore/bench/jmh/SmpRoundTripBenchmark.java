package io.percore.bench.jmh;

import io.percore.bench.Shards;
import io.percore.bench.SmpWorkloads;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Deep dive behind {@code ./percore bench smp}: mean cross-shard round trip (shard 0 to shard 1 and back, one at
 * a time, busy shards), 10 000 per hand-off to shard 0.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "--add-exports", "java.base/jdk.internal.vm=ALL-UNNAMED"})
public class SmpRoundTripBenchmark {
    private static final int CALLS = 10_000;

    /** @return {calls, nanoseconds} of 10 000 sequential round trips */
    @Benchmark
    @OperationsPerInvocation(CALLS)
    public long[] roundTrip(ShardState s) throws Exception {
        return Shards.call(s.smp, 0, () -> SmpWorkloads.roundTrips(1, CALLS, Long.MAX_VALUE, null));
    }
}
