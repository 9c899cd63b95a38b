package io.percore.core.sync;

import io.percore.core.Async;
import io.percore.core.Future;
import io.percore.core.Reactor;
import io.percore.core.ReactorConfig;
import io.percore.smp.Smp;
import io.percore.smp.SmpConfig;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * Runs each test body on a real shard: one two-shard {@link Smp} per test class, bodies written as straight-line
 * {@link Async} code so that they can wait on the futures under test.
 */
abstract class ShardTestBase {
    static Smp smp;

    @BeforeAll
    static void startShards() {
        smp = Smp.start(SmpConfig.of(2, ReactorConfig.defaults()), r -> {});
    }

    @AfterAll
    static void stopShards() {
        if (smp != null) {
            smp.stop();
            smp = null;
        }
    }

    /** Runs {@code body} on shard 0 and returns its value; its failure (an assertion included) is rethrown. */
    static <T> T onShard(Callable<T> body) {
        return on(0, body);
    }

    /** Runs a body that returns nothing on shard 0. */
    static void runOnShard(ThrowingRunnable body) {
        on(0, () -> {
            body.run();
            return null;
        });
    }

    static <T> T on(int shard, Callable<T> body) {
        try {
            return smp.submitExternal(shard, () -> Async.run(body)).get(20, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof RuntimeException re) {
                throw re;
            }
            if (c instanceof Error err) {
                throw err;
            }
            throw new AssertionError(c);
        } catch (Exception e) {
            throw new AssertionError("shard body did not finish", e);
        }
    }

    /** Waits (inside a body) for {@code f} and returns its value. */
    static <T> T await(Future<T> f) {
        return Async.await(f);
    }

    /** Waits (inside a body) for {@code f} to finish and returns its failure, or null when it succeeded. */
    static Throwable failureOf(Future<?> f) {
        return Async.await(f.handle((v, e) -> e));
    }

    /** Lets every task queued now run (continuations of futures completed so far), a few hops deep. */
    static void settle() {
        for (int i = 0; i < 4; i++) {
            Async.await(Reactor.yieldNow());
        }
    }

    /** @return milliseconds since {@code startNanos}. */
    static long millisSince(long startNanos) {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
    }

    @FunctionalInterface
    interface ThrowingRunnable {
        void run() throws Exception;
    }
}
