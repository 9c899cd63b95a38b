package io.percore.sys;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import org.junit.jupiter.api.Test;

class ClockTest {
    @Test
    void monotonicIsTheClockBehindNanoTime() {
        // Bracketing proves the same clock: another clock (realtime, boottime) would sit far outside.
        for (int i = 0; i < 1000; i++) {
            long before = System.nanoTime();
            long ours = Clock.monotonicNanos();
            long after = System.nanoTime();
            assertTrue(before <= ours && ours <= after, before + " <= " + ours + " <= " + after);
        }
    }

    @Test
    void coarseLagsMonotonicByAtMostATick() {
        long tick = Clock.resolutionNanos(Clock.CLOCK_MONOTONIC_COARSE);
        long coarse = Clock.monotonicCoarseNanos();
        long fine = Clock.monotonicNanos();
        assertTrue(coarse <= fine, coarse + " <= " + fine);
        // one tick behind, plus generous room for preemption between the two reads
        assertTrue(fine - coarse < tick + 100_000_000L, "coarse lags by " + (fine - coarse) + " ns, tick " + tick);
    }

    @Test
    void threadCpuTimeMatchesTheJvmsAndGrowsWithWork() {
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        long jvmBefore = mx.getCurrentThreadCpuTime();
        long start = Clock.threadCpuNanos();
        long wallStart = System.nanoTime();
        long spin = 0;
        while (System.nanoTime() - wallStart < 20_000_000L) {
            spin++;
        }
        long end = Clock.threadCpuNanos();
        long wall = System.nanoTime() - wallStart;
        long jvmAfter = mx.getCurrentThreadCpuTime();
        assertTrue(spin > 0);
        assertTrue(jvmBefore <= start && end <= jvmAfter, jvmBefore + " <= " + start + " .. " + end + " <= " + jvmAfter);
        assertTrue(end > start, "spinning used no CPU time?");
        assertTrue(end - start <= wall + 1_000_000L, "one thread cannot use more CPU than wall time");
    }

    @Test
    void threadCpuClockIsPerThread() throws Exception {
        long[] other = new long[1];
        OnThread.run(() -> other[0] = Clock.threadCpuNanos());
        // a fresh thread has used far less CPU than this one, which has run the test framework
        long mine = Clock.threadCpuNanos();
        assertTrue(other[0] < mine, other[0] + " < " + mine);
    }

    @Test
    void resolutions() {
        assertEquals(1, Clock.resolutionNanos(Clock.CLOCK_MONOTONIC), "high-resolution timers");
        long coarse = Clock.resolutionNanos(Clock.CLOCK_MONOTONIC_COARSE);
        assertTrue(coarse >= 1_000_000L && coarse <= 10_000_000L, "a tick between 1 and 10 ms: " + coarse);
    }

    @Test
    void unknownClockThrowsEinval() {
        ErrnoException get = assertThrows(ErrnoException.class, () -> Clock.nanos(999));
        assertEquals(Errno.EINVAL, get.errno());
        assertEquals("clock_gettime", get.call());
        ErrnoException res = assertThrows(ErrnoException.class, () -> Clock.resolutionNanos(999));
        assertEquals(Errno.EINVAL, res.errno());
        assertEquals("clock_getres", res.call());
    }

    @Test
    void otherClocksReadTheirOwnTime() {
        long realtime = Clock.nanos(Clock.CLOCK_REALTIME);
        long millis = System.currentTimeMillis();
        assertTrue(Math.abs(realtime / 1_000_000L - millis) < 1_000, realtime + " vs " + millis);
        assertTrue(Clock.nanos(Clock.CLOCK_BOOTTIME) >= Clock.monotonicNanos() - 1_000_000_000L);
    }
}
