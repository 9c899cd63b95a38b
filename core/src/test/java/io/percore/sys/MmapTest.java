package io.percore.sys;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class MmapTest {
    private static final long SIZE = 1 << 20;

    /** @return true when /proc/self/maps has a mapping starting at {@code address} */
    private static boolean mapped(long address) throws IOException {
        String start = Long.toHexString(address) + "-";
        try (var lines = Files.lines(Path.of("/proc/self/maps"))) {
            return lines.anyMatch(l -> l.startsWith(start));
        }
    }

    @Test
    void pageSizeIsAPowerOfTwoOfAtLeast4K() {
        long page = Mmap.pageSize();
        assertTrue(page >= 4096 && Long.bitCount(page) == 1, "page size " + page);
    }

    @Test
    void mappedMemoryIsZeroedWritableReadableAndUnmaps() throws IOException {
        MemorySegment seg = Mmap.mapAnonymous(SIZE);
        try {
            assertEquals(SIZE, seg.byteSize());
            assertEquals(0, seg.address() % Mmap.pageSize(), "page-aligned");
            assertTrue(mapped(seg.address()));
            assertEquals(0L, seg.get(ValueLayout.JAVA_LONG, 0));
            assertEquals(0L, seg.get(ValueLayout.JAVA_LONG, SIZE - 8));
            seg.set(ValueLayout.JAVA_LONG, 0, 0x1122334455667788L);
            seg.set(ValueLayout.JAVA_LONG, SIZE - 8, -2L);
            assertEquals(0x1122334455667788L, seg.get(ValueLayout.JAVA_LONG, 0));
            assertEquals(-2L, seg.get(ValueLayout.JAVA_LONG, SIZE - 8));
            assertThrows(IndexOutOfBoundsException.class, () -> seg.get(ValueLayout.JAVA_BYTE, SIZE));
        } finally {
            Mmap.unmap(seg);
        }
        assertFalse(mapped(seg.address()), "still in /proc/self/maps after unmap");
    }

    @Test
    void dontNeedZeroesAnonymousPages() {
        MemorySegment seg = Mmap.mapAnonymous(SIZE);
        try {
            seg.fill((byte) 0x5a);
            Mmap.madvise(seg, Mmap.MADV_DONTNEED);
            for (long off = 0; off < SIZE; off += Mmap.pageSize()) {
                assertEquals(0L, seg.get(ValueLayout.JAVA_LONG, off), "offset " + off);
            }
            Mmap.madvise(seg, Mmap.MADV_NORMAL); // and the memory stays usable
            seg.set(ValueLayout.JAVA_BYTE, 7, (byte) 1);
            assertEquals(1, seg.get(ValueLayout.JAVA_BYTE, 7));
        } finally {
            Mmap.unmap(seg);
        }
    }

    @Test
    void hugePageAdviceSucceedsWhereTheKernelHasTransparentHugePages() {
        MemorySegment seg = Mmap.mapAnonymous(4 * SIZE);
        try {
            if (Files.exists(Path.of("/sys/kernel/mm/transparent_hugepage"))) {
                Mmap.madvise(seg, Mmap.MADV_HUGEPAGE);
                Mmap.madvise(seg, Mmap.MADV_NOHUGEPAGE);
            } else {
                assertEquals(Errno.EINVAL, assertThrows(ErrnoException.class, () -> Mmap.madvise(seg, Mmap.MADV_HUGEPAGE)).errno());
            }
        } finally {
            Mmap.unmap(seg);
        }
    }

    @Test
    void unalignedRangesAreEinval() {
        MemorySegment seg = Mmap.mapAnonymous(SIZE);
        try {
            MemorySegment unaligned = seg.asSlice(1, 100);
            ErrnoException e = assertThrows(ErrnoException.class, () -> Mmap.madvise(unaligned, Mmap.MADV_DONTNEED));
            assertEquals(Errno.EINVAL, e.errno());
            assertEquals("madvise", e.call());
            assertEquals(Errno.EINVAL, assertThrows(ErrnoException.class, () -> Mmap.unmap(unaligned)).errno());
        } finally {
            Mmap.unmap(seg);
        }
    }

    @Test
    void arenaOwnedMappingIsUnmappedWhenTheArenaCloses() throws IOException {
        MemorySegment seg;
        try (Arena arena = Arena.ofConfined()) {
            seg = Mmap.mapAnonymous(SIZE, arena);
            assertEquals(SIZE, seg.byteSize());
            seg.set(ValueLayout.JAVA_INT, SIZE - 4, 17);
            assertEquals(17, seg.get(ValueLayout.JAVA_INT, SIZE - 4));
            assertTrue(mapped(seg.address()));
        }
        assertFalse(mapped(seg.address()), "closing the arena must unmap");
        assertThrows(IllegalStateException.class, () -> seg.get(ValueLayout.JAVA_INT, 0)); // and Java refuses access
    }

    private static long vmSizeKb() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmSize:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        throw new AssertionError("no VmSize in /proc/self/status");
    }

    @Test
    void mappingIntoAClosedArenaFailsAndLeavesNothingMapped() throws IOException {
        Arena arena = Arena.ofConfined();
        arena.close();
        long gib = 1L << 30;
        long before = vmSizeKb();
        assertThrows(IllegalStateException.class, () -> Mmap.mapAnonymous(gib, arena));
        long grownKb = vmSizeKb() - before;
        // a leaked mapping would add the whole GiB; the JVM itself does not grow by half of that meanwhile
        assertTrue(grownKb < gib / 2 / 1024, "address space grew by " + grownKb + " KiB");
    }

    @Test
    void nonPositiveSizesAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> Mmap.mapAnonymous(0));
        assertThrows(IllegalArgumentException.class, () -> Mmap.mapAnonymous(-1));
    }

    @Test
    void impossibleSizesAreEnomem() {
        ErrnoException e = assertThrows(ErrnoException.class, () -> Mmap.mapAnonymous(1L << 62));
        assertEquals(Errno.ENOMEM, e.errno());
        assertEquals("mmap", e.call());
    }
}
