package io.percore.sys;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class PoolMemoryTest {
    private static final long MIB = 1 << 20;

    @Test
    void mapsZeroedWritableMemoryAndUnmapsIt() {
        MemorySegment seg = PoolMemory.mapAnonymous(3 * MIB + 5);
        try {
            assertEquals(3 * MIB + 5, seg.byteSize());
            assertEquals(0, seg.address() % PoolMemory.pageSize(), "mmap returns page-aligned memory");
            assertEquals(0L, seg.get(ValueLayout.JAVA_LONG, 2 * MIB), "anonymous memory starts zeroed");
            seg.set(ValueLayout.JAVA_LONG, 3 * MIB - 8, 0x1122334455667788L);
            assertEquals(0x1122334455667788L, seg.get(ValueLayout.JAVA_LONG, 3 * MIB - 8));
        } finally {
            PoolMemory.unmap(seg);
        }
    }

    @Test
    void aScopedViewDiesWithItsArenaWhileTheMappingLives() {
        MemorySegment seg = PoolMemory.mapAnonymous(PoolMemory.pageSize());
        try {
            Arena arena = Arena.ofShared();
            MemorySegment scoped = PoolMemory.inScope(seg, arena);
            scoped.set(ValueLayout.JAVA_INT, 0, 77);
            assertEquals(77, seg.get(ValueLayout.JAVA_INT, 0), "the same memory");
            arena.close();
            assertThrows(IllegalStateException.class, () -> scoped.get(ValueLayout.JAVA_INT, 0));
            assertEquals(77, seg.get(ValueLayout.JAVA_INT, 0), "closing the arena does not unmap");
        } finally {
            PoolMemory.unmap(seg);
        }
    }

    @Test
    void unmapOfAnUnalignedAddressReportsEinval() {
        MemorySegment seg = PoolMemory.mapAnonymous(2 * PoolMemory.pageSize());
        try {
            ErrnoException e = assertThrows(ErrnoException.class, () -> PoolMemory.unmap(seg.asSlice(1, 8)));
            assertEquals(Errno.EINVAL, e.errno());
            assertEquals("munmap", e.call());
        } finally {
            PoolMemory.unmap(seg);
        }
    }

    @Test
    void rejectsNonPositiveMappingSize() {
        assertThrows(IllegalArgumentException.class, () -> PoolMemory.mapAnonymous(0));
    }

    @Test
    void hugePageAdviceIsAcceptedOnAMapping() {
        MemorySegment seg = PoolMemory.mapAnonymous(4 * MIB);
        try {
            PoolMemory.adviseHugePages(seg);
        } finally {
            PoolMemory.unmap(seg);
        }
    }

    @Test
    void hugePageAdviceOnUnmappedMemoryFails() {
        MemorySegment seg = PoolMemory.mapAnonymous(2 * MIB);
        PoolMemory.unmap(seg);
        ErrnoException e = assertThrows(ErrnoException.class, () -> PoolMemory.adviseHugePages(seg));
        assertEquals(Errno.ENOMEM, e.errno());
    }

    @Test
    void countsNodeLists() {
        assertEquals(1, PoolMemory.countNodeList("0\n", "t"));
        assertEquals(2, PoolMemory.countNodeList("0-1", "t"));
        assertEquals(4, PoolMemory.countNodeList("0,2-4\n", "t"));
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> PoolMemory.countNodeList("0-x", "/sys/x"));
        assertTrue(e.getMessage().contains("/sys/x") && e.getMessage().contains("0-x"), e.getMessage());
        assertThrows(IllegalStateException.class, () -> PoolMemory.countNodeList("3-1", "t"));
        assertThrows(IllegalStateException.class, () -> PoolMemory.countNodeList(" \n", "t"));
    }

    @Test
    void parsesOnlyNodeDirectoryEntries() {
        assertEquals(0, PoolMemory.parseNodeEntry("node0"));
        assertEquals(12, PoolMemory.parseNodeEntry("node12"));
        assertNull(PoolMemory.parseNodeEntry("node"));
        assertNull(PoolMemory.parseNodeEntry("nodex"));
        assertNull(PoolMemory.parseNodeEntry("node99999999999"));
    }

    @Test
    void machineNodeCountMatchesSysfs() throws Exception {
        Path online = Path.of("/sys/devices/system/node/online");
        int expected = Files.exists(online) ? PoolMemory.countNodeList(Files.readString(online), "t") : 1;
        assertEquals(expected, PoolMemory.numaNodeCount());
        assertTrue(PoolMemory.numaNodeCount() >= 1);
    }

    @Test
    void cpuZeroIsOnAnOnlineNode() {
        int node = PoolMemory.numaNodeOfCpu(0);
        assertTrue(node >= 0, "node " + node);
        assertEquals(0, PoolMemory.numaNodeOfCpu(1 << 20), "an absent CPU reports node 0");
        assertThrows(IllegalArgumentException.class, () -> PoolMemory.numaNodeOfCpu(-1));
    }

    @Test
    void bindsToTheNodeOfCpuZeroAndTheMemoryStaysUsable() {
        MemorySegment seg = PoolMemory.mapAnonymous(2 * MIB);
        try {
            PoolMemory.bindToNode(seg, PoolMemory.numaNodeOfCpu(0));
            seg.fill((byte) 7);
            assertEquals(7, seg.get(ValueLayout.JAVA_BYTE, 2 * MIB - 1));
        } finally {
            PoolMemory.unmap(seg);
        }
    }

    @Test
    void bindingToANodeThatIsNotOnlineFailsUnlessTheKernelLacksNuma() {
        MemorySegment seg = PoolMemory.mapAnonymous(PoolMemory.pageSize());
        try {
            boolean numaKernel = Files.exists(Path.of("/sys/devices/system/node"));
            // Node 4000 is far beyond any real machine's node count.
            if (numaKernel) {
                ErrnoException e = assertThrows(ErrnoException.class, () -> PoolMemory.bindToNode(seg, 4000));
                assertEquals(Errno.EINVAL, e.errno(), e.getMessage());
            } else {
                PoolMemory.bindToNode(seg, 4000); // ENOSYS: documented no-op
            }
            assertThrows(IllegalArgumentException.class, () -> PoolMemory.bindToNode(seg, -1));
        } finally {
            PoolMemory.unmap(seg);
        }
    }
}
