package io.percore.core;

/**
 * A cheap clock for timeouts and statistics that need no precision: the time the reactor read at the start of
 * its current turn (so it lags by at most one task quota while busy). Reading it is a field load, not a call
 * into the kernel. Off-shard it falls back to {@link System#nanoTime()}.
 */
public final class LowresClock {
    private LowresClock() {}

    /** @return the current shard's turn-start time in {@link System#nanoTime()} units. */
    public static long nanos() {
        return Thread.currentThread() instanceof Shard s ? s.reactor.lowresNanos : System.nanoTime();
    }
}
