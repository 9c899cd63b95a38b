package io.percore.sys;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * The kernel calls behind the per-shard memory pools ({@code io.percore.memory}): anonymous mappings,
 * transparent-huge-page advice, and NUMA placement (node discovery from sysfs and {@code mbind}).
 *
 * <p>{@code mbind} is not exported by glibc (it lives in libnuma), so it is issued as a raw system call
 * through libc's variadic {@code syscall(2)}; every argument is passed as a 64-bit value because the
 * kernel reads whole registers.
 *
 * <p>The sysfs readers ({@link #numaNodeCount()}, {@link #numaNodeOfCpu(int)}) do blocking file I/O and
 * are meant for start-up, before a shard's reactor runs.
 *
 * <p>Thread-safety: every method may be called from any thread; a segment passed to {@link #unmap},
 * {@link #adviseHugePages} or {@link #bindToNode} must not be unmapped concurrently by another thread.
 */
public final class PoolMemory {
    private PoolMemory() {}

    private static final int PROT_READ = 0x1, PROT_WRITE = 0x2;
    private static final int MAP_PRIVATE = 0x02, MAP_ANONYMOUS = 0x20;
    private static final int MADV_HUGEPAGE = 14;
    private static final int MPOL_PREFERRED = 1;
    private static final int SC_PAGESIZE = 30;
    /** The kernel refuses node masks longer than a page of bits; nodes beyond this cannot exist. */
    private static final int MAX_NODE = 4096 * 8 - 1;

    /** mbind's number differs per architecture; -1 where we do not know it (then binding is refused). */
    private static final long SYS_MBIND = switch (System.getProperty("os.arch")) {
        case "amd64", "x86_64" -> 237;
        case "aarch64" -> 235;
        default -> -1;
    };

    private static final MethodHandle MMAP = Native.downcallErrno("mmap", FunctionDescriptor.of(
            Native.C_POINTER, Native.C_POINTER, Native.C_SIZE_T, Native.C_INT, Native.C_INT,
            Native.C_INT, Native.C_LONG));
    private static final MethodHandle MUNMAP = Native.downcallErrno("munmap", FunctionDescriptor.of(
            Native.C_INT, Native.C_POINTER, Native.C_SIZE_T));
    private static final MethodHandle MADVISE = Native.downcallErrno("madvise", FunctionDescriptor.of(
            Native.C_INT, Native.C_POINTER, Native.C_SIZE_T, Native.C_INT));
    /** long syscall(long number, ...): the six mbind arguments follow the fixed one. */
    private static final MethodHandle SYSCALL_6 = Native.LINKER.downcallHandle(
            Native.LIBC.find("syscall").orElseThrow(() -> new UnsatisfiedLinkError("libc has no symbol syscall")),
            FunctionDescriptor.of(Native.C_LONG, Native.C_LONG,
                    Native.C_LONG, Native.C_LONG, Native.C_LONG, Native.C_LONG, Native.C_LONG, Native.C_LONG),
            Linker.Option.firstVariadicArg(1),
            Linker.Option.captureCallState("errno"));
    private static final MethodHandle SYSCONF = Native.downcall("sysconf", FunctionDescriptor.of(
            Native.C_LONG, Native.C_INT));

    private static final long PAGE_SIZE = querySysconfPageSize();

    private static long querySysconfPageSize() {
        try {
            long size = (long) SYSCONF.invokeExact(SC_PAGESIZE);
            return size > 0 ? size : 4096;
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /**
     * @return the size of a base page in bytes (4096 on x86-64; 4 KiB, 16 KiB or 64 KiB on aarch64).
     *         Any thread.
     */
    public static long pageSize() {
        return PAGE_SIZE;
    }

    /**
     * Maps {@code size} bytes of private, zero-filled, read-write anonymous memory.
     *
     * <p>The segment has the global scope: it stays accessible until {@link #unmap} and touching it after
     * that crashes the process, so callers wrap it in a scope of their own ({@link #inScope}) when
     * others can see it. Any thread.
     *
     * @param size bytes to map, positive; the kernel rounds the mapping up to whole pages
     * @return a page-aligned segment of exactly {@code size} bytes
     * @throws ErrnoException when mmap fails (ENOMEM when the address space or overcommit limit is hit)
     */
    public static MemorySegment mapAnonymous(long size) {
        if (size <= 0) {
            throw new IllegalArgumentException("mapping size must be positive, got " + size);
        }
        MemorySegment address;
        try {
            address = (MemorySegment) MMAP.invokeExact(Native.errnoSlot(), MemorySegment.NULL, size,
                    PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0L);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
        if (address.address() == -1L) { // MAP_FAILED
            throw new ErrnoException(Native.lastErrno(), "mmap", size + " bytes");
        }
        return address.reinterpret(size);
    }

    /**
     * Views a mapping through {@code arena}'s lifetime: the returned segment addresses the same memory but
     * becomes inaccessible (access throws {@link IllegalStateException}) once the arena is closed. Closing
     * the arena does not unmap; the owner still calls {@link #unmap} on the original segment, after
     * closing the arena so that nothing can reach the pages once they are gone. Any thread.
     */
    public static MemorySegment inScope(MemorySegment mapping, Arena arena) {
        return mapping.reinterpret(arena, null);
    }

    /**
     * Unmaps the pages covering {@code segment} (which need not be a whole mapping, but must start on a
     * page boundary). Any thread, as long as no other thread still uses the memory.
     *
     * @throws ErrnoException when munmap fails (EINVAL for an unaligned address)
     */
    public static void unmap(MemorySegment segment) {
        int rc;
        try {
            rc = (int) MUNMAP.invokeExact(Native.errnoSlot(), segment, segment.byteSize());
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
        Native.check(rc, "munmap");
    }

    /**
     * Asks the kernel to back {@code segment} with transparent huge pages (MADV_HUGEPAGE), which matters
     * when THP is in "madvise" mode. A kernel built without THP answers EINVAL; that is ignored, as the
     * advice is only an optimisation. Any thread.
     *
     * @throws ErrnoException for any other failure (for example ENOMEM for an unmapped range)
     */
    public static void adviseHugePages(MemorySegment segment) {
        int rc;
        try {
            rc = (int) MADVISE.invokeExact(Native.errnoSlot(), segment, segment.byteSize(), MADV_HUGEPAGE);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
        if (rc < 0 && Native.lastErrno() != Errno.EINVAL) {
            throw ErrnoException.of(Native.lastErrno(), "madvise(MADV_HUGEPAGE)");
        }
    }

    /**
     * @return how many NUMA nodes are online according to {@code /sys/devices/system/node/online}, or 1
     *         when the file is absent (a kernel without NUMA support). Any thread; blocking file I/O.
     * @throws UncheckedIOException when the file exists but cannot be read
     * @throws IllegalStateException when its contents are not a node list
     */
    public static int numaNodeCount() {
        Path online = Path.of("/sys/devices/system/node/online");
        String text;
        try {
            text = Files.readString(online);
        } catch (NoSuchFileException e) {
            return 1;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + online, e);
        }
        return countNodeList(text, online.toString());
    }

    /**
     * Counts the entries of a kernel list such as {@code "0"}, {@code "0-3"} or {@code "0,2-3\n"}.
     *
     * @param source named in the exception message when the text is malformed
     */
    static int countNodeList(String text, String source) {
        String list = text.strip();
        if (list.isEmpty()) {
            throw new IllegalStateException(source + " holds an empty node list");
        }
        int count = 0;
        try {
            for (String part : list.split(",")) {
                int dash = part.indexOf('-');
                if (dash < 0) {
                    Integer.parseInt(part);
                    count++;
                } else {
                    int from = Integer.parseInt(part, 0, dash, 10);
                    int to = Integer.parseInt(part, dash + 1, part.length(), 10);
                    if (from < 0 || to < from) {
                        throw new NumberFormatException("bad range " + part);
                    }
                    count += to - from + 1;
                }
            }
        } catch (NumberFormatException e) {
            throw new IllegalStateException(source + " holds a malformed node list: \"" + list + "\"", e);
        }
        return count;
    }

    /**
     * Finds the NUMA node of a CPU by looking for the {@code nodeK} link in
     * {@code /sys/devices/system/cpu/cpuN/}. Any thread; blocking file I/O.
     *
     * @return the node number, or 0 when the CPU directory or its node link is absent (no NUMA support)
     * @throws UncheckedIOException when the directory exists but cannot be listed
     */
    public static int numaNodeOfCpu(int cpu) {
        if (cpu < 0) {
            throw new IllegalArgumentException("cpu must not be negative, got " + cpu);
        }
        Path dir = Path.of("/sys/devices/system/cpu/cpu" + cpu);
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir, "node[0-9]*")) {
            for (Path entry : entries) {
                Integer node = parseNodeEntry(entry.getFileName().toString());
                if (node != null) {
                    return node;
                }
            }
            return 0;
        } catch (NoSuchFileException e) {
            return 0;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + dir, e);
        }
    }

    /** @return K for a directory entry named exactly "node" followed by digits, else null. */
    static Integer parseNodeEntry(String name) {
        if (name.length() <= 4 || !name.startsWith("node")) {
            return null;
        }
        for (int i = 4; i < name.length(); i++) {
            if (name.charAt(i) < '0' || name.charAt(i) > '9') {
                return null;
            }
        }
        try {
            return Integer.parseInt(name, 4, name.length(), 10);
        } catch (NumberFormatException e) {
            return null; // more digits than an int holds: not a real node entry
        }
    }

    /**
     * Sets the NUMA policy of {@code segment}'s pages to MPOL_PREFERRED for {@code node}: pages are taken
     * from that node when it has free memory and from others otherwise, so binding never turns into an
     * out-of-memory kill. Call it before the pages are first touched; pages already faulted in stay where
     * they are (no MPOL_MF_MOVE).
     *
     * <p>A kernel built without NUMA answers ENOSYS; then this is a no-op, because on such a machine all
     * memory is equally near every CPU. On a NUMA kernel a single-node machine accepts node 0.
     * Any thread.
     *
     * @param segment page-aligned memory obtained from {@link #mapAnonymous}
     * @param node a node number, 0 ≤ node &lt; 32768
     * @throws ErrnoException when mbind fails for another reason (EINVAL for a node that is not online)
     * @throws UnsupportedOperationException on an architecture whose mbind number we do not know
     */
    public static void bindToNode(MemorySegment segment, int node) {
        if (node < 0 || node > MAX_NODE) {
            throw new IllegalArgumentException("NUMA node must be in [0, " + MAX_NODE + "], got " + node);
        }
        if (SYS_MBIND < 0) {
            throw new UnsupportedOperationException("mbind's system call number is unknown on "
                    + System.getProperty("os.arch"));
        }
        int words = node / 64 + 1;
        long rc;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment mask = arena.allocate(ValueLayout.JAVA_LONG, words);
            mask.setAtIndex(ValueLayout.JAVA_LONG, node / 64, 1L << (node % 64));
            // The kernel decrements maxnode before using it (an old off-by-one kept for ABI), hence +1.
            long maxNode = words * 64L + 1;
            rc = (long) SYSCALL_6.invokeExact(Native.errnoSlot(), SYS_MBIND, segment.address(),
                    segment.byteSize(), (long) MPOL_PREFERRED, mask.address(), maxNode, 0L);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
        if (rc < 0) {
            int errno = Native.lastErrno();
            if (errno == Errno.ENOSYS) {
                return;
            }
            throw new ErrnoException(errno, "mbind", "node " + node + ", " + segment.byteSize() + " bytes");
        }
    }
}
