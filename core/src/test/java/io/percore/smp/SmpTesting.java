package io.percore.smp;

import io.percore.core.Future;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/** Helpers for tests that drive shards from the JUnit thread. */
final class SmpTesting {
    /** Loose: a hung cross-shard call fails the test instead of hanging the build. */
    static final long TIMEOUT_SECONDS = 15;

    private SmpTesting() {}

    /** Runs {@code work} on {@code shard} and waits for its value. */
    static <T> T on(Smp smp, int shard, Supplier<? extends Future<T>> work) throws Exception {
        return smp.submitExternal(shard, work).get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
    }

    /** Runs {@code work} on {@code shard}, expects it to fail, and returns the failure as it arrived. */
    static Throwable failureOn(Smp smp, int shard, Supplier<? extends Future<?>> work) throws Exception {
        try {
            @SuppressWarnings("unchecked")
            Supplier<Future<Object>> w = (Supplier<Future<Object>>) (Supplier<?>) work;
            Object v = smp.submitExternal(shard, w).get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
            throw new AssertionError("expected a failure, got " + v);
        } catch (ExecutionException e) {
            return e.getCause();
        }
    }
}
