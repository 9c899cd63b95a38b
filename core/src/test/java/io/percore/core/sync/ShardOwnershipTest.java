package io.percore.core.sync;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.percore.core.Future;
import io.percore.smp.Smp;
import java.util.List;
import org.junit.jupiter.api.Test;

/** With {@code -ea}, each primitive refuses to be touched from a shard other than the one that built it. */
class ShardOwnershipTest extends ShardTestBase {

    private static boolean assertionsEnabled() {
        boolean on = false;
        assert on = true;
        return on;
    }

    @Test
    void anotherShardsTouchFailsTheAssertion() {
        assumeTrue(assertionsEnabled(), "needs -ea, which the build passes");
        List<Runnable> touches = onShard(() -> {
            Semaphore s = new Semaphore(1);
            Condition c = new Condition();
            AbortSource a = new AbortSource();
            Pipe<String> p = new Pipe<>(1);
            SemaphoreUnits u = new SemaphoreUnits(s, 0);
            return List.of(() -> s.tryAcquire(1), s::available, c::signal, a::requestAbort,
                    () -> p.tryWrite("x"), p::read, () -> u.returnUnits(0));
        });
        for (Runnable touch : touches) {
            assertThrows(AssertionError.class, () -> on(1, () -> {
                touch.run();
                return null;
            }));
        }
        // The owner itself may touch them.
        for (Runnable touch : touches) {
            onShard(() -> {
                touch.run();
                return null;
            });
        }
    }

    @Test
    void theOwnerShardCanHandWorkToAnotherShardAndWaitForIt() {
        int result = onShard(() -> {
            Semaphore s = new Semaphore(1);
            return await(s.withUnits(1, () -> Smp.submitTo(1, () -> Future.ready(41)).map(v -> v + 1)));
        });
        assertEquals(42, result);
    }
}
