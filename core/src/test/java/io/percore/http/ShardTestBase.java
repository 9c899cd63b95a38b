package io.percore.http;

import io.percore.core.Future;
import io.percore.core.ReactorConfig;
import io.percore.smp.Smp;
import io.percore.smp.SmpConfig;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** Runs a test class's code on shards (buffers come from the shard's pool, futures need a reactor). */
public abstract class ShardTestBase {
    protected static Smp smp;

    /** How many shards the class runs; override by hiding this method is not possible, so tests use 2. */
    static int shards() {
        return 2;
    }

    @BeforeAll
    public static void startShards() {
        smp = Smp.start(SmpConfig.of(shards(), ReactorConfig.defaults()), r -> {});
    }

    @AfterAll
    public static void stopShards() {
        if (smp != null) {
            smp.stop();
            smp = null;
        }
    }

    /** Code that may throw, run on a shard. */
    @FunctionalInterface
    protected interface ShardCode {
        void run() throws Exception;
    }

    /** Runs {@code code} on shard 0 and rethrows what it threw. */
    protected static void onShard(ShardCode code) throws Exception {
        onShard(0, () -> Future.ofValue(() -> {
            code.run();
            return null;
        }), 20);
    }

    /** Runs {@code work} on {@code shard} and waits up to {@code seconds} for its future. */
    protected static <T> T onShard(int shard, Supplier<Future<T>> work, int seconds) throws Exception {
        try {
            return smp.submitExternal(shard, work::get).get(seconds, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof Exception ex) {
                throw ex;
            }
            if (c instanceof Error err) {
                throw err;
            }
            throw e;
        }
    }

    /** Runs an asynchronous test body on shard 0 with a 20 s bound. */
    protected static <T> T async(Supplier<Future<T>> work) throws Exception {
        return onShard(0, work, 20);
    }
}
