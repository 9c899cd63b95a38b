package io.percore.bench.jmh;

import io.percore.bench.Shards;
import io.percore.smp.Smp;
import java.util.List;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Two shards pinned to CPUs 0 and 1 for the length of one JMH trial, in poll mode (busy loops), so shard-side
 * benchmarks can hand their work to shard 0 with {@link Shards#call}. JMH forks one JVM per benchmark, so the
 * one-Smp-per-process rule holds. JMH creates and stops it on its own threads.
 */
@State(Scope.Benchmark)
public class ShardState {
    /** The running shards; set by {@link #start()}. */
    public Smp smp;

    /** Starts the shards. */
    @Setup(Level.Trial)
    public void start() {
        smp = Shards.start(List.of(0, 1), Shards.config(true));
    }

    /** Stops the shards. */
    @TearDown(Level.Trial)
    public void stop() {
        smp.stop();
    }
}
