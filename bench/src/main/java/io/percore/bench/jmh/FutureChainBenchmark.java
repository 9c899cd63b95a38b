package io.percore.bench.jmh;

import io.percore.bench.FutureWorkloads;
import io.percore.bench.Shards;
import io.percore.core.Future;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Deep dive behind {@code ./percore bench futures}: the ready chain on a JMH thread (off-shard, where percore
 * futures behave the same for ready values), returned to JMH so the final future escapes; and the shard-side
 * workloads of {@link FutureWorkloads}, 4096 operations per hand-off to shard 0 (the hand-off, a few
 * microseconds, is included and spread over them).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "--add-exports", "java.base/jdk.internal.vm=ALL-UNNAMED"})
public class FutureChainBenchmark {
    private static final int OPS = 4096;
    private static final Function<Integer, Integer> PLUS_ONE = x -> x + 1;
    private static final Function<Integer, Integer> TIMES_TWO = x -> x * 2;
    private static final Function<Integer, Future<Integer>> READY_PLUS_THREE = x -> Future.ready(x + 3);
    private static final Function<Integer, CompletionStage<Integer>> COMPLETED_PLUS_THREE =
            x -> CompletableFuture.completedFuture(x + 3);

    private int i;

    /** @return the chain's future: {@code Future.ready(i).map(+1).map(*2).flatMap(ready +3)} */
    @Benchmark
    public Future<Integer> readyChainPercore() {
        return Future.ready(i++).map(PLUS_ONE).map(TIMES_TWO).flatMap(READY_PLUS_THREE);
    }

    /** @return the same chain with CompletableFuture */
    @Benchmark
    public CompletableFuture<Integer> readyChainCompletableFuture() {
        return CompletableFuture.completedFuture(i++).thenApply(PLUS_ONE).thenApply(TIMES_TWO)
                .thenCompose(COMPLETED_PLUS_THREE);
    }

    /** @return shard CPU time of 4096 chains resolved later (continuations as reactor tasks) */
    @Benchmark
    @OperationsPerInvocation(OPS)
    public long laterChainPercore(ShardState s) throws Exception {
        return Shards.call(s.smp, 0, () -> FutureWorkloads.laterChainPercore(OPS));
    }

    /** @return shard CPU time of 4096 CompletableFuture chains completed later (run inline) */
    @Benchmark
    @OperationsPerInvocation(OPS)
    public long laterChainCompletableFuture(ShardState s) throws Exception {
        return Shards.call(s.smp, 0, () -> Future.ready(FutureWorkloads.laterChainCompletableFuture(OPS)));
    }

    /** @return shard CPU time of 4096 awaits of pending futures inside one Async body */
    @Benchmark
    @OperationsPerInvocation(OPS)
    public long awaitPending(ShardState s) throws Exception {
        return Shards.call(s.smp, 0, () -> FutureWorkloads.awaitPending(OPS));
    }

    /** @return shard CPU time of the same 4096 steps written with flatMap and Futures.repeat */
    @Benchmark
    @OperationsPerInvocation(OPS)
    public long flatMapPending(ShardState s) throws Exception {
        return Shards.call(s.smp, 0, () -> FutureWorkloads.flatMapPending(OPS));
    }

    /** @return shard CPU time of 4096 Async.run calls whose body never waits */
    @Benchmark
    @OperationsPerInvocation(OPS)
    public long asyncRun(ShardState s) throws Exception {
        return Shards.call(s.smp, 0, () -> Future.ready(FutureWorkloads.asyncRun(OPS)));
    }
}
