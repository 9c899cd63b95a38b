package io.percore.sys;

import static io.percore.sys.Native.C_INT;
import static io.percore.sys.Native.C_POINTER;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * A one-shot timer on {@link Clock#CLOCK_MONOTONIC} that becomes readable at an absolute deadline. A shard
 * arms it for its earliest timer and registers {@link #fd()} with its reactor backend, so sleeping in the
 * backend ends when the timer is due. Deadlines are {@link System#nanoTime()} values, which on Linux are
 * CLOCK_MONOTONIC readings.
 *
 * <p>Thread rules: owned by one thread (its shard); {@link #fd()} may be read from any. armAt, disarm and
 * drain do not allocate.
 */
public final class TimerFd implements AutoCloseable {
    /** {@code TFD_NONBLOCK}: read on an unexpired timer says EAGAIN instead of sleeping. */
    public static final int TFD_NONBLOCK = Fd.O_NONBLOCK;
    /** {@code TFD_CLOEXEC}: not inherited by exec'd children. */
    public static final int TFD_CLOEXEC = Fd.O_CLOEXEC;
    /** {@code TFD_TIMER_ABSTIME}: it_value is a clock reading, not a delay. */
    public static final int TFD_TIMER_ABSTIME = 1;

    private static final MethodHandle TIMERFD_CREATE =
            Native.downcallErrno("timerfd_create", FunctionDescriptor.of(C_INT, C_INT, C_INT));
    /** {@code timerfd_settime(fd, flags, const struct itimerspec *new, struct itimerspec *old)}. */
    private static final MethodHandle TIMERFD_SETTIME = Native.downcallErrno("timerfd_settime",
            FunctionDescriptor.of(C_INT, C_INT, C_INT, C_POINTER, C_POINTER));

    private int fd;

    private TimerFd(int fd) {
        this.fd = fd;
    }

    /**
     * Creates a disarmed timer on CLOCK_MONOTONIC with {@link #TFD_NONBLOCK} and {@link #TFD_CLOEXEC}. Any thread.
     *
     * @throws ErrnoException e.g. EMFILE
     */
    public static TimerFd create() {
        int fd;
        try {
            fd = (int) TIMERFD_CREATE.invokeExact(Native.errnoSlot(), Clock.CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
        return new TimerFd(Native.check(fd, "timerfd_create"));
    }

    /** @return the descriptor, readable (EPOLLIN) once the timer has expired. Any thread. */
    public int fd() {
        return fd;
    }

    /**
     * Arms the timer to expire once at {@code monotonicDeadlineNanos}, replacing any earlier setting. A
     * deadline already past expires at once. Owner thread.
     *
     * @param monotonicDeadlineNanos a {@link System#nanoTime()} / {@link Clock#monotonicNanos()} value
     */
    public void armAt(long monotonicDeadlineNanos) {
        // An all-zero it_value would disarm; every monotonic reading after boot is positive, so 1 ns is
        // a deadline already past and expires at once, as the caller asked.
        settime(Math.max(monotonicDeadlineNanos, 1L), "armAt");
    }

    /** Stops the timer; an expiration not yet drained stays readable. Owner thread. */
    public void disarm() {
        settime(0L, "disarm");
    }

    private void settime(long valueNanos, String what) {
        MemorySegment spec = Scratch.get();
        Structs.putTimespec(spec, 0, 0L); // it_interval 0: one-shot
        Structs.putTimespec(spec, Structs.ITIMERSPEC_VALUE, valueNanos);
        int r;
        try {
            r = (int) TIMERFD_SETTIME.invokeExact(Native.errnoSlot(), fd, TFD_TIMER_ABSTIME, spec, MemorySegment.NULL);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
        if (r < 0) {
            throw new ErrnoException(Native.lastErrno(), "timerfd_settime", what + " " + valueNanos + " on fd " + fd);
        }
    }

    /**
     * Reads and resets the expiration count. Owner thread.
     *
     * @return expirations since the last drain (1 for a one-shot timer that fired), 0 when none (EAGAIN)
     */
    public long drain() {
        MemorySegment count = Scratch.get();
        return Fd.read(fd, count, Long.BYTES) < 0 ? 0 : count.get(ValueLayout.JAVA_LONG, 0);
    }

    /** Closes the descriptor. Owner thread; idempotent. */
    @Override
    public void close() {
        if (fd >= 0) {
            int f = fd;
            fd = -1;
            Fd.close(f);
        }
    }
}
