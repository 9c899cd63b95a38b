package io.percore.sys;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * A small off-heap segment per thread, allocated on the thread's first use, for the structs a call passes
 * by pointer (timespec, itimerspec, epoll_event, an eventfd counter). It lets hot-path calls run without
 * allocating. A method may use it only between its own entry and return, and must not call another method
 * that uses it while its own contents are still needed.
 */
final class Scratch {
    private Scratch() {}

    /** Large enough for the largest user, an itimerspec (32 bytes). */
    static final long SIZE = 64;

    // Auto arena: the segment is freed once its thread (and so the ThreadLocal value) is gone.
    private static final ThreadLocal<MemorySegment> SEGMENT =
            ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(SIZE, 16));

    /** @return the calling thread's scratch segment, {@link #SIZE} bytes, 16-byte aligned. */
    static MemorySegment get() {
        return SEGMENT.get();
    }
}
