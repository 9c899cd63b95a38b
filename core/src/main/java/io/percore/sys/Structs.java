package io.percore.sys;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;

/**
 * Layouts of the small kernel structs that more than one binding passes: {@code struct timespec} and
 * {@code struct itimerspec}. percore runs on 64-bit Linux only, where {@code time_t} and {@code long}
 * are both 64 bits, so a timespec is two longs and glibc's timespec equals the kernel's
 * {@code __kernel_timespec} (which io_uring takes too).
 *
 * <p>Thread-safety: the layouts are immutable; the helpers touch only the segment they are given.
 */
public final class Structs {
    private Structs() {}

    /** {@code struct timespec { time_t tv_sec; long tv_nsec; }}: 16 bytes. */
    public static final StructLayout TIMESPEC = MemoryLayout.structLayout(
            ValueLayout.JAVA_LONG.withName("tv_sec"),
            ValueLayout.JAVA_LONG.withName("tv_nsec")).withName("timespec");

    /** {@code struct itimerspec { timespec it_interval; timespec it_value; }}: 32 bytes. */
    public static final StructLayout ITIMERSPEC = MemoryLayout.structLayout(
            TIMESPEC.withName("it_interval"),
            TIMESPEC.withName("it_value")).withName("itimerspec");

    /** Byte offset of {@code it_value} in {@link #ITIMERSPEC}. */
    public static final long ITIMERSPEC_VALUE = ITIMERSPEC.byteOffset(MemoryLayout.PathElement.groupElement("it_value"));

    private static final long NANOS_PER_SECOND = 1_000_000_000L;

    /**
     * Writes {@code nanos} as a timespec at {@code offset}.
     *
     * @param nanos a duration or clock reading, not negative
     */
    public static void putTimespec(MemorySegment segment, long offset, long nanos) {
        segment.set(ValueLayout.JAVA_LONG, offset, nanos / NANOS_PER_SECOND);
        segment.set(ValueLayout.JAVA_LONG, offset + 8, nanos % NANOS_PER_SECOND);
    }

    /** @return the timespec at {@code offset} in nanoseconds. */
    public static long getTimespec(MemorySegment segment, long offset) {
        return segment.get(ValueLayout.JAVA_LONG, offset) * NANOS_PER_SECOND
                + segment.get(ValueLayout.JAVA_LONG, offset + 8);
    }
}
