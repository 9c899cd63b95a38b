package io.percore.testing;

import java.lang.management.ManagementFactory;
import java.util.function.LongPredicate;

/**
 * Measures what a hot path allocates once the JIT has compiled it, with the JVM's per-thread allocation counter.
 *
 * <p>Until C2 has compiled a call site, the interpreter and C1 allocate for the downcall plumbing and for objects
 * escape analysis would remove, so one round says nothing until compilation is done. How long that takes depends on
 * the machine: on a loaded one the compiler threads wait for a CPU, and a fixed number of rounds ended before C2 did
 * (CI saw 40 bytes per call in every one of 40 rounds). So rounds go on until one meets the bound or a time limit
 * passes; a path that really allocates fails after the limit, every round over the bound.
 */
public final class SteadyStateAllocation {
    /** Long enough for C2 on a loaded two-CPU machine; a path within bound passes in its first compiled round. */
    public static final long DEFAULT_LIMIT_NANOS = 30_000_000_000L;

    private static final com.sun.management.ThreadMXBean MX =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    private SteadyStateAllocation() {}

    /**
     * Runs {@code round} until the bytes it allocated on this thread satisfy {@code withinBound}, or
     * {@link #DEFAULT_LIMIT_NANOS} has passed.
     *
     * @return the fewest bytes any round allocated (the steady state when the bound was met)
     */
    public static long bytesPerRound(Runnable round, LongPredicate withinBound) {
        return bytesPerRound(round, withinBound, DEFAULT_LIMIT_NANOS);
    }

    /** As {@link #bytesPerRound(Runnable, LongPredicate)} with a time limit of {@code limitNanos}. */
    public static long bytesPerRound(Runnable round, LongPredicate withinBound, long limitNanos) {
        long start = System.nanoTime();
        long least = Long.MAX_VALUE;
        do {
            long before = MX.getCurrentThreadAllocatedBytes();
            round.run();
            long bytes = MX.getCurrentThreadAllocatedBytes() - before;
            least = Math.min(least, bytes);
            if (withinBound.test(bytes)) {
                return bytes;
            }
        } while (System.nanoTime() - start < limitNanos);
        return least;
    }
}
