package io.percore.sys;

import static io.percore.sys.Native.C_INT;
import static io.percore.sys.Native.C_LONG;
import static io.percore.sys.Native.C_POINTER;
import static io.percore.sys.Native.C_SIZE_T;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

/**
 * Anonymous memory straight from the kernel: the backing store of per-shard pools, page-aligned, zeroed on
 * first touch, and placeable on a NUMA node ({@link Numa#bind}) before it is touched.
 *
 * <p>A segment from {@link #mapAnonymous(long)} has no lifetime of its own: after {@link #unmap} any access
 * through it crashes the JVM (SIGSEGV), so its owner must drop it first. {@link #mapAnonymous(long, Arena)}
 * ties the mapping to an arena instead, and closing the arena unmaps it.
 *
 * <p>Thread-safety: any thread.
 */
public final class Mmap {
    private Mmap() {}

    /** No special treatment (the default). */
    public static final int MADV_NORMAL = 0;
    /** Expect random access: read ahead less. */
    public static final int MADV_RANDOM = 1;
    /** Expect sequential access: read ahead more. */
    public static final int MADV_SEQUENTIAL = 2;
    /** Expect access soon: fault in ahead. */
    public static final int MADV_WILLNEED = 3;
    /** Free the pages now; private anonymous memory reads as zeroes afterwards. */
    public static final int MADV_DONTNEED = 4;
    /** Free the pages lazily, when the kernel needs memory; contents undefined until rewritten. */
    public static final int MADV_FREE = 8;
    /** Back the range with transparent huge pages where possible. */
    public static final int MADV_HUGEPAGE = 14;
    /** Never back the range with transparent huge pages. */
    public static final int MADV_NOHUGEPAGE = 15;

    private static final int PROT_READ = 1, PROT_WRITE = 2;
    private static final int MAP_PRIVATE = 0x02, MAP_ANONYMOUS = 0x20;
    private static final long MAP_FAILED = -1L;
    private static final int SC_PAGESIZE = 30;

    private static final MethodHandle MMAP = Native.downcallErrno("mmap",
            FunctionDescriptor.of(C_POINTER, C_POINTER, C_SIZE_T, C_INT, C_INT, C_INT, C_LONG));
    private static final MethodHandle MUNMAP = Native.downcallErrno("munmap",
            FunctionDescriptor.of(C_INT, C_POINTER, C_SIZE_T));
    private static final MethodHandle MADVISE = Native.downcallErrno("madvise",
            FunctionDescriptor.of(C_INT, C_POINTER, C_SIZE_T, C_INT));
    private static final MethodHandle SYSCONF = Native.downcallErrno("sysconf",
            FunctionDescriptor.of(C_LONG, C_INT));

    private static final long PAGE_SIZE = sysconfPageSize();

    /**
     * Maps {@code size} bytes of private, anonymous, readable and writable memory.
     *
     * @return a page-aligned segment of exactly {@code size} bytes (the kernel rounds the mapping up to
     *         whole pages), valid until {@link #unmap}
     * @throws IllegalArgumentException when {@code size} is not positive
     * @throws ErrnoException ENOMEM when the address space or overcommit limit is exhausted
     */
    public static MemorySegment mapAnonymous(long size) {
        if (size <= 0) {
            throw new IllegalArgumentException("size must be positive: " + size);
        }
        MemorySegment address;
        try {
            address = (MemorySegment) MMAP.invokeExact(Native.errnoSlot(), MemorySegment.NULL, size,
                    PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0L);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
        if (address.address() == MAP_FAILED) {
            throw new ErrnoException(Native.lastErrno(), "mmap", size + " anonymous bytes");
        }
        return address.reinterpret(size);
    }

    /**
     * Maps as {@link #mapAnonymous(long)}, tying the mapping to {@code arena}: the segment is usable while
     * the arena is open (and only from the threads the arena allows), and closing the arena unmaps it. Do
     * not pass the result to {@link #unmap}.
     *
     * @throws IllegalStateException when {@code arena} is already closed (nothing stays mapped)
     */
    public static MemorySegment mapAnonymous(long size, Arena arena) {
        MemorySegment mapped = mapAnonymous(size);
        long address = mapped.address();
        try {
            return mapped.reinterpret(size, arena, unused -> munmap(address, size));
        } catch (RuntimeException | Error e) {
            try {
                munmap(address, size);
            } catch (RuntimeException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    /**
     * Unmaps a segment from {@link #mapAnonymous(long)}, or a page-aligned part of one. The segment must
     * not be used afterwards.
     *
     * @throws ErrnoException EINVAL when the segment does not start on a page boundary
     */
    public static void unmap(MemorySegment segment) {
        munmap(segment.address(), segment.byteSize());
    }

    private static void munmap(long address, long size) {
        int r;
        try {
            r = (int) MUNMAP.invokeExact(Native.errnoSlot(), MemorySegment.ofAddress(address), size);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
        if (r < 0) {
            throw new ErrnoException(Native.lastErrno(), "munmap", size + " bytes at 0x" + Long.toHexString(address));
        }
    }

    /**
     * Gives the kernel advice about {@code segment}'s pages.
     *
     * @param advice one of the {@code MADV_*} constants
     * @throws ErrnoException EINVAL when the segment does not start on a page boundary or the kernel does
     *                        not support {@code advice} (MADV_HUGEPAGE without transparent huge pages)
     */
    public static void madvise(MemorySegment segment, int advice) {
        int r;
        try {
            r = (int) MADVISE.invokeExact(Native.errnoSlot(), segment, segment.byteSize(), advice);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
        if (r < 0) {
            throw new ErrnoException(Native.lastErrno(), "madvise", "advice " + advice + " on "
                    + segment.byteSize() + " bytes at 0x" + Long.toHexString(segment.address()));
        }
    }

    /**
     * Asks for transparent huge pages on {@code segment} (MADV_HUGEPAGE), which matters when THP is in
     * "madvise" mode. A kernel without THP answers EINVAL: ignored, as the advice is only an optimisation.
     * Any thread.
     *
     * @throws ErrnoException for any other failure
     */
    public static void adviseHugePages(MemorySegment segment) {
        try {
            madvise(segment, MADV_HUGEPAGE);
        } catch (ErrnoException e) {
            if (e.errno() != Errno.EINVAL) {
                throw e;
            }
        }
    }

    /**
     * Views a mapping through {@code arena}'s lifetime: the same memory, but access throws
     * {@link IllegalStateException} once the arena is closed. Closing the arena does not unmap; the owner
     * still calls {@link #unmap} on the original segment, after closing the arena. Any thread.
     */
    public static MemorySegment inScope(MemorySegment mapping, Arena arena) {
        return mapping.reinterpret(arena, null);
    }

    /** @return the size of a base page in bytes (4096 on x86_64; 4, 16 or 64 KiB on aarch64). */
    public static long pageSize() {
        return PAGE_SIZE;
    }

    private static long sysconfPageSize() {
        try {
            return Native.check((long) SYSCONF.invokeExact(Native.errnoSlot(), SC_PAGESIZE), "sysconf(_SC_PAGESIZE)");
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }
}
