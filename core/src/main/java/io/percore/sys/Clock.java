package io.percore.sys;

import static io.percore.sys.Native.C_INT;
import static io.percore.sys.Native.C_POINTER;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

/**
 * POSIX clocks through {@code clock_gettime}: the monotonic clock timers are set against (the same clock as
 * {@link System#nanoTime()} on Linux, and the one {@link TimerFd} uses), the cheaper coarse clock for
 * task-quota checks, and the calling thread's CPU time for scheduling-group accounting.
 *
 * <p>Readings go through a per-thread scratch timespec, so no call allocates. The monotonic clocks are
 * served from the vDSO without entering the kernel, so the downcall is "critical" (no thread-state
 * transition); the thread CPU clock does a short system call that cannot block either.
 *
 * <p>Thread-safety: any thread.
 */
public final class Clock {
    private Clock() {}

    /** Wall-clock time; jumps when the time is set. */
    public static final int CLOCK_REALTIME = 0;
    /** Time since boot, not counting suspend; never jumps. {@link System#nanoTime()} reads it. */
    public static final int CLOCK_MONOTONIC = 1;
    /** CPU time consumed by the whole process. */
    public static final int CLOCK_PROCESS_CPUTIME_ID = 2;
    /** CPU time consumed by the calling thread. */
    public static final int CLOCK_THREAD_CPUTIME_ID = 3;
    /** Like {@link #CLOCK_MONOTONIC} without NTP's rate adjustment. */
    public static final int CLOCK_MONOTONIC_RAW = 4;
    /** {@link #CLOCK_REALTIME} at timer-tick resolution, cheaper to read. */
    public static final int CLOCK_REALTIME_COARSE = 5;
    /** {@link #CLOCK_MONOTONIC} at timer-tick resolution (typically 1–4 ms), cheaper to read. */
    public static final int CLOCK_MONOTONIC_COARSE = 6;
    /** Like {@link #CLOCK_MONOTONIC} but counting time in suspend. */
    public static final int CLOCK_BOOTTIME = 7;

    private static final MethodHandle CLOCK_GETTIME = Native.downcallErrno("clock_gettime",
            FunctionDescriptor.of(C_INT, C_INT, C_POINTER), Linker.Option.critical(false));
    private static final MethodHandle CLOCK_GETRES = Native.downcallErrno("clock_getres",
            FunctionDescriptor.of(C_INT, C_INT, C_POINTER));

    /** @return {@link #CLOCK_MONOTONIC} in nanoseconds. */
    public static long monotonicNanos() {
        return nanos(CLOCK_MONOTONIC);
    }

    /** @return {@link #CLOCK_MONOTONIC_COARSE} in nanoseconds: behind {@link #monotonicNanos()} by up to a tick. */
    public static long monotonicCoarseNanos() {
        return nanos(CLOCK_MONOTONIC_COARSE);
    }

    /** @return CPU time the calling thread has used, in nanoseconds. */
    public static long threadCpuNanos() {
        return nanos(CLOCK_THREAD_CPUTIME_ID);
    }

    /**
     * @return the current reading of {@code clockId} in nanoseconds
     * @throws ErrnoException EINVAL when the clock does not exist
     */
    public static long nanos(int clockId) {
        MemorySegment ts = Scratch.get();
        int r;
        try {
            r = (int) CLOCK_GETTIME.invokeExact(Native.errnoSlot(), clockId, ts);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
        if (r < 0) {
            throw new ErrnoException(Native.lastErrno(), "clock_gettime", "clock " + clockId);
        }
        return Structs.getTimespec(ts, 0);
    }

    /**
     * @return the resolution of {@code clockId} in nanoseconds (1 for high-resolution clocks, a tick for coarse ones)
     * @throws ErrnoException EINVAL when the clock does not exist
     */
    public static long resolutionNanos(int clockId) {
        MemorySegment ts = Scratch.get();
        int r;
        try {
            r = (int) CLOCK_GETRES.invokeExact(Native.errnoSlot(), clockId, ts);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
        if (r < 0) {
            throw new ErrnoException(Native.lastErrno(), "clock_getres", "clock " + clockId);
        }
        return Structs.getTimespec(ts, 0);
    }
}
