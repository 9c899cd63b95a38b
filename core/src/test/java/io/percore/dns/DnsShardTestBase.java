package io.percore.dns;

import io.percore.core.Async;
import io.percore.core.Future;
import io.percore.core.ReactorConfig;
import io.percore.smp.Smp;
import io.percore.smp.SmpConfig;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * Runs each test body on a real shard (one two-shard {@link Smp} per class), as straight-line {@link Async} code
 * that can wait for the resolver's futures.
 */
abstract class DnsShardTestBase {
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

    /** Runs {@code body} on {@code shard} and returns its value; its failure (an assertion included) is rethrown. */
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

    /** Runs a body that returns nothing on shard 0. */
    static void onShard(ThrowingRunnable body) {
        on(0, () -> {
            body.run();
            return null;
        });
    }

    /** Waits (inside a body) for {@code f} and returns its value. */
    static <T> T await(Future<T> f) {
        return Async.await(f);
    }

    /** Waits (inside a body) for {@code f} to fail and returns the failure; fails the test if it succeeds. */
    static Throwable failureOf(Future<?> f) {
        Object[] value = new Object[1];
        Throwable t = Async.await(f.handle((v, e) -> {
            value[0] = v;
            return e;
        }));
        if (t == null) {
            throw new AssertionError("expected a failure, got " + value[0]);
        }
        return t;
    }

    @FunctionalInterface
    interface ThrowingRunnable {
        void run() throws Exception;
    }
}
