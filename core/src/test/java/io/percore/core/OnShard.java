package io.percore.core;

import static org.junit.jupiter.api.Assertions.fail;

import io.percore.smp.Smp;
import io.percore.smp.SmpConfig;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * Test helpers: run work on a shard from the JUnit thread and wait for its outcome with a deadline, so a broken
 * runtime fails a test instead of hanging the build. Assertion errors thrown on the shard come back as is.
 */
final class OnShard {
    /** How long a test waits for a shard's answer before it calls the runtime stuck. */
    static final long WAIT_SECONDS = 10;

    private OnShard() {}

    /** @return a started Smp of {@code shards} shards with {@code config}. */
    static Smp start(int shards, ReactorConfig config) {
        return Smp.start(SmpConfig.of(shards, config), r -> { });
    }

    /** @return the value of the future {@code work} returns on {@code shard}; its failure is rethrown. */
    static <T> T call(Smp smp, int shard, Supplier<? extends Future<T>> work) {
        return join(smp.submitExternal(shard, work));
    }

    /** @return the failure of the future {@code work} returns on {@code shard}; fails the test on a value. */
    @SuppressWarnings({"unchecked", "rawtypes"})
    static Throwable callFailure(Smp smp, int shard, Supplier<? extends Future<?>> work) {
        CompletableFuture<?> cf = smp.submitExternal(shard, (Supplier) work);
        try {
            Object v = cf.get(WAIT_SECONDS, TimeUnit.SECONDS);
            return fail("expected a failure, got the value " + v);
        } catch (ExecutionException e) {
            return e.getCause();
        } catch (InterruptedException | TimeoutException e) {
            return fail("shard " + shard + " did not answer within " + WAIT_SECONDS + " s", e);
        }
    }

    /** Runs {@code action} on {@code shard} and waits for it. */
    static void run(Smp smp, int shard, Runnable action) {
        call(smp, shard, () -> {
            action.run();
            return Future.done();
        });
    }

    static <T> T join(CompletableFuture<T> cf) {
        try {
            return cf.get(WAIT_SECONDS, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof Error err) {
                throw err;
            }
            if (c instanceof RuntimeException re) {
                throw re;
            }
            throw new CompletionException(c);
        } catch (InterruptedException | TimeoutException e) {
            return fail("no answer within " + WAIT_SECONDS + " s", e);
        }
    }

    /** Waits until {@code condition} holds, failing the test after {@code timeout}. */
    static void awaitTrue(String what, Duration timeout, BooleanSupplier condition) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                fail("timed out after " + timeout.toMillis() + " ms waiting for: " + what);
            }
            try {
                Thread.sleep(2);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                fail("interrupted waiting for: " + what);
            }
        }
    }

    /** Burns CPU on the calling thread for {@code nanos} (a stand-in for real work; never sleeps). */
    static void spin(long nanos) {
        long end = System.nanoTime() + nanos;
        while (System.nanoTime() - end < 0) {
            Thread.onSpinWait();
        }
    }

    /** @return nanoseconds to milliseconds, for messages. */
    static double ms(long nanos) {
        return nanos / 1e6;
    }
}
