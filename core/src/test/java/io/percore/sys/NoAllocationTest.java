package io.percore.sys;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.percore.testing.SteadyStateAllocation;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The hot-path calls a reactor makes every loop iteration must not allocate, measured over rounds of calls once
 * compiled ({@link SteadyStateAllocation}). A call that allocated even one 16-byte object each time would exceed the
 * budget in every round.
 */
@Timeout(120)
class NoAllocationTest {
    private static final int CALLS_PER_ROUND = 50_000;
    /** Far below one byte per call: room for the odd allocation by the JIT or the test harness itself. */
    private static final long BUDGET_BYTES = 16 * 1024;

    private static void assertNoAllocation(String what, Runnable call) {
        long bytes = SteadyStateAllocation.bytesPerRound(() -> {
            for (int i = 0; i < CALLS_PER_ROUND; i++) {
                call.run();
            }
        }, b -> b < BUDGET_BYTES);
        assertTrue(bytes < BUDGET_BYTES, what + " allocated at least " + bytes + " bytes in every round of "
                + CALLS_PER_ROUND + " calls for " + SteadyStateAllocation.DEFAULT_LIMIT_NANOS / 1_000_000_000L + " s");
    }

    @Test
    void clockReads() {
        assertNoAllocation("monotonicNanos", Clock::monotonicNanos);
        assertNoAllocation("monotonicCoarseNanos", Clock::monotonicCoarseNanos);
        assertNoAllocation("threadCpuNanos", Clock::threadCpuNanos);
    }

    @Test
    void affinityQueries() {
        assertNoAllocation("currentCpu", Affinity::currentCpu);
        assertNoAllocation("gettid", Affinity::gettid);
    }

    @Test
    void eventFdSignalAndDrainWithEpollPoll() {
        try (EventFd doorbell = EventFd.create(); Epoll epoll = Epoll.create(); EpollEvents events = new EpollEvents(4)) {
            epoll.add(doorbell.fd(), Epoll.EPOLLIN, 1);
            assertNoAllocation("signal+wait+drain", () -> {
                doorbell.signal();
                if (epoll.wait(events, 0) != 1 || events.data(0) != 1 || doorbell.drain() != 1) {
                    throw new AssertionError("doorbell did not ring");
                }
            });
            assertNoAllocation("modify", () -> epoll.modify(doorbell.fd(), Epoll.EPOLLIN, 1));
        }
    }

    @Test
    void timerFdArmAndDisarm() {
        try (TimerFd timer = TimerFd.create()) {
            long far = System.nanoTime() + 3_600_000_000_000L;
            assertNoAllocation("armAt+disarm+drain", () -> {
                timer.armAt(far);
                timer.disarm();
                timer.drain();
            });
        }
    }
}
