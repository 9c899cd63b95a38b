package io.percore.reactor.uring;

import java.lang.foreign.MemorySegment;

/** Checks on the segments handed to the kernel: it needs real addresses, and writes only where it may. */
final class Buffers {
    private Buffers() {}

    /** @return the length to ask the kernel for (an SQE length is 32 bits; larger segments are read in part). */
    static int readableLength(MemorySegment buf) {
        if (!buf.isNative()) {
            throw new IllegalArgumentException("the kernel needs native memory, not a heap segment: " + buf);
        }
        return (int) Math.min(buf.byteSize(), Integer.MAX_VALUE);
    }

    /** As {@link #readableLength}, and the kernel will write into it. */
    static int writableLength(MemorySegment buf) {
        if (buf.isReadOnly()) {
            throw new IllegalArgumentException("the kernel would write into a read-only segment: " + buf);
        }
        return readableLength(buf);
    }

    /** @throws IllegalArgumentException unless {@code seg} is native and at least {@code size} bytes */
    static void requireNative(MemorySegment seg, long size, String what) {
        if (!seg.isNative() || seg.byteSize() < size) {
            throw new IllegalArgumentException(what + " must be native memory of at least " + size + " bytes: " + seg);
        }
    }
}
