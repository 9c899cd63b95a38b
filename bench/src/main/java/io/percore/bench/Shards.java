package io.percore.bench;

import io.percore.core.Future;
import io.percore.core.ReactorConfig;
import io.percore.smp.Smp;
import io.percore.smp.SmpConfig;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/** Starting shards for a benchmark and running measured work on them from the main thread. */
public final class Shards {
    private Shards() {}

    /** @return {@link #config(boolean, Duration)} with the default idle-poll time */
    public static ReactorConfig config(boolean pollMode) {
        return config(pollMode, Duration.ofNanos(ReactorConfig.defaults().idlePollNanos()));
    }

    /**
     * @return the reactor settings of a benchmark: the defaults, but with the stall report threshold raised to
     * 10 s, because measurement loops deliberately run for tens of milliseconds inside one task (so the reactor
     * does not interleave its own work with the timed loop) and the stall detector would otherwise log them
     */
    public static ReactorConfig config(boolean pollMode, Duration idlePoll) {
        ReactorConfig d = ReactorConfig.defaults().withBlockedNotify(Duration.ofSeconds(10)).withIdlePoll(idlePoll);
        return new ReactorConfig(d.taskQuotaNanos(), d.idlePollNanos(), pollMode, d.blockedNotifyNanos(),
                d.backend(), d.memoryPerShard());
    }

    /**
     * Starts one shard per entry of {@code cpus}, each pinned to that CPU (two shards may share one CPU, as in
     * an overprovisioned run). Call from a non-shard thread; stop the result with {@link Smp#stop()}.
     */
    public static Smp start(List<Integer> cpus, ReactorConfig config) {
        return Smp.start(new SmpConfig(cpus, true, config, SmpConfig.DEFAULT_RING_SIZE), r -> { });
    }

    /**
     * Runs {@code work} on shard {@code shard} and waits (at most two minutes) for its value. Non-shard thread.
     *
     * @throws Exception the work's own failure, unwrapped
     */
    public static <T> T call(Smp smp, int shard, Supplier<? extends Future<T>> work) throws Exception {
        try {
            return smp.submitExternal(shard, work).get(120, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof Exception cause) {
                throw cause;
            }
            throw e;
        }
    }
}
