package io.percore.apps.iotester;

import io.percore.core.Timer;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;

/**
 * The CPU time a shard's thread spends inside the measurement window: sampled (the thread's own CPU clock) by a
 * timer at the window's start and another at its end, or when the run ends first. Beside the requests completed in
 * the same window it gives the CPU cost of a request on the shard: the I/O path's own work plus, unless the reactor
 * sleeps as soon as it is idle ({@code --idle-poll-time-us 0}), its polling while it waits. Shard thread only.
 */
final class ShardCpu {
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    private final Timer startTimer;
    private final Timer endTimer;
    private long startCpu = -1;
    private long endCpu = -1;

    /** Arms the samples at {@code measureFromNanos} and {@code endNanos} ({@link System#nanoTime()} clock). */
    ShardCpu(long measureFromNanos, long endNanos) {
        startTimer = new Timer(() -> startCpu = threadCpuNanos());
        endTimer = new Timer(() -> {
            if (startCpu >= 0) {
                endCpu = threadCpuNanos();
            }
        });
        startTimer.armAt(measureFromNanos);
        endTimer.armAt(endNanos);
    }

    /**
     * Ends the window now if its end has not come yet (the run was stopped early).
     *
     * @return the thread's CPU nanoseconds inside the window; 0 when the window never began
     */
    long finish() {
        startTimer.cancel();
        endTimer.cancel();
        if (startCpu < 0) {
            return 0;
        }
        if (endCpu < 0) {
            endCpu = threadCpuNanos();
        }
        return Math.max(0, endCpu - startCpu);
    }

    /** @return the calling thread's CPU time (user and system), nanoseconds; 0 where the JVM cannot measure it. */
    static long threadCpuNanos() {
        long t = THREADS.isCurrentThreadCpuTimeSupported() ? THREADS.getCurrentThreadCpuTime() : -1;
        return Math.max(t, 0);
    }
}
