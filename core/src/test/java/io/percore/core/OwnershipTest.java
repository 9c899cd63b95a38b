package io.percore.core;

import static io.percore.core.OnShard.call;
import static io.percore.core.OnShard.callFailure;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.percore.smp.Smp;
import java.time.Duration;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * With {@code -ea} (the build runs tests with it), a future, promise or timer created on shard 0 and touched from
 * shard 1 throws AssertionError instead of corrupting shard 0's state without a trace.
 */
class OwnershipTest {
    static Smp smp;

    @BeforeAll
    static void startShards() {
        assertTrue(Future.class.desiredAssertionStatus(), "these tests need -ea");
        smp = OnShard.start(2, ReactorConfig.defaults());
    }

    @AfterAll
    static void stopShards() {
        smp.stop();
    }

    /** Makes an object on shard 0, then runs {@code touch} on it on shard 1; returns what shard 1 threw. */
    private static <T> Throwable touchFromShard1(java.util.function.Supplier<T> makeOnShard0, Consumer<T> touch) {
        T made = call(smp, 0, () -> Future.ready(makeOnShard0.get()));
        return callFailure(smp, 1, () -> {
            touch.accept(made);
            return Future.done();
        });
    }

    private static void assertOwnershipError(Throwable e) {
        assertInstanceOf(AssertionError.class, e);
        assertTrue(String.valueOf(e.getMessage()).contains("shard 0"), "message names the owner: " + e.getMessage());
    }

    @Test
    void resolvingAnotherShardsPromiseThrows() {
        assertOwnershipError(touchFromShard1(Promise<Integer>::new, p -> p.setValue(1)));
        assertOwnershipError(touchFromShard1(Promise<Integer>::new, p -> p.trySetException(new RuntimeException())));
    }

    @Test
    void continuingOrReadingAnotherShardsFutureThrows() {
        assertOwnershipError(touchFromShard1(Promise<Integer>::new, p -> p.map(v -> v)));
        assertOwnershipError(touchFromShard1(Promise<Integer>::new, Future::isDone));
        assertOwnershipError(touchFromShard1(Promise<Integer>::new, Future::failure));
        assertOwnershipError(touchFromShard1(Promise<Integer>::new, p -> p.onComplete((v, e) -> { })));
    }

    @Test
    void aContinuationBelongsToTheShardThatAttachedIt() {
        assertOwnershipError(touchFromShard1(() -> new Promise<Integer>().map(v -> v), Future::isDone));
        assertOwnershipError(touchFromShard1(() -> new Promise<Integer>().flatMap(Future::ready), f -> f.map(v -> v)));
    }

    @Test
    void armingOrCancellingAnotherShardsTimerThrows() {
        assertOwnershipError(touchFromShard1(() -> new Timer(() -> { }), t -> t.arm(Duration.ofMillis(1))));
        assertOwnershipError(touchFromShard1(() -> new Timer(() -> { }), Timer::cancel));
        assertOwnershipError(touchFromShard1(() -> new Timer(() -> { }),
                t -> t.armPeriodic(Duration.ofMillis(1))));
    }

    @Test
    void readyFuturesBelongToNoShardAndMayBeSharedReadOnly() {
        Future<Integer> shared = call(smp, 0, () -> Future.ready(Future.ready(20)));
        assertEquals(21, (int) call(smp, 1, () -> shared.map(v -> v + 1)));
        assertEquals(22, (int) call(smp, 1, () -> Future.done().map(v -> 22)));
    }
}
