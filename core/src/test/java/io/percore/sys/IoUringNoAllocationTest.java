package io.percore.sys;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.percore.testing.SteadyStateAllocation;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The ring's per-operation path (claim an entry, write it, submit, wait, reap) allocates nothing once compiled.
 * Measured as {@link NoAllocationTest} does: rounds of calls, passing once one whole round stays in budget.
 */
@Timeout(120)
class IoUringNoAllocationTest {
    private static final int CALLS_PER_ROUND = 20_000;
    private static final long BUDGET_BYTES = 16 * 1024;

    @Test
    void nopRoundTripsAndTimedWaitsAllocateNothing() {
        try (IoUring ring = IoUring.setup(64, 256, true)) {
            long[] seen = {0};
            IoUring.CompletionHandler handler = (userData, result, flags) -> seen[0] += userData;
            long bytes = SteadyStateAllocation.bytesPerRound(() -> {
                for (int i = 0; i < CALLS_PER_ROUND; i++) {
                    IoUringSqe.nop(ring.sqes(), ring.nextSqe(), 1);
                    IoUringSqe.nop(ring.sqes(), ring.nextSqe(), 2);
                    ring.submitAndWait(1_000_000_000L); // EXT_ARG timespec: built in the ring's own memory
                    while (ring.reap(handler, 8) == 0) {
                        ring.submit();
                    }
                    ring.reap(handler, 8);
                    ring.needsEnter();
                }
            }, b -> b < BUDGET_BYTES);
            assertTrue(bytes < BUDGET_BYTES, "a NOP round trip allocated " + bytes + " bytes per round of "
                    + CALLS_PER_ROUND);
            assertTrue(seen[0] > 0);
        }
    }
}
