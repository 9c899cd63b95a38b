package io.percore.sys;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.BitSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NumaTest {
    private static final Path ONLINE = Path.of("/sys/devices/system/node/online");

    @Test
    void nodeCountMatchesSysfsAndIsAtLeastOne() throws IOException {
        int count = Numa.nodeCount();
        assertTrue(count >= 1);
        if (Files.exists(ONLINE)) {
            assertEquals(CpuList.parse(Files.readString(ONLINE)).cardinality(), count);
        }
        assertEquals(count > 1, Numa.available());
        assertEquals(count, Numa.onlineNodes().cardinality());
    }

    @Test
    void everyCpuBelongsToAnOnlineNode() {
        BitSet nodes = Numa.onlineNodes();
        BitSet cpus = Affinity.get();
        for (int cpu = cpus.nextSetBit(0); cpu >= 0; cpu = cpus.nextSetBit(cpu + 1)) {
            assertTrue(nodes.get(Numa.nodeOfCpu(cpu)), "cpu " + cpu);
        }
        assertThrows(IllegalArgumentException.class, () -> Numa.nodeOfCpu(-1));
    }

    @Test
    void readsAMultiNodeTopologyFromSysfs(@TempDir Path sys) throws IOException {
        Files.createDirectories(sys.resolve("devices/system/node"));
        Files.writeString(sys.resolve("devices/system/node/online"), "0-1,3\n");
        Files.createDirectories(sys.resolve("devices/system/cpu/cpu0/node0"));
        Files.createDirectories(sys.resolve("devices/system/cpu/cpu5/node3"));
        Files.createDirectories(sys.resolve("devices/system/cpu/cpu5/cache"));
        Files.createDirectories(sys.resolve("devices/system/cpu/cpu6"));
        assertEquals(3, Numa.nodeCount(sys));
        assertEquals(CpuList.parse("0-1,3"), Numa.onlineNodes(sys));
        assertEquals(0, Numa.nodeOfCpu(sys, 0));
        assertEquals(3, Numa.nodeOfCpu(sys, 5));
        assertEquals(0, Numa.nodeOfCpu(sys, 6), "no node link");
        assertEquals(0, Numa.nodeOfCpu(sys, 7), "no such cpu");
    }

    @Test
    void missingSysfsMeansOneNode(@TempDir Path sys) {
        assertEquals(1, Numa.nodeCount(sys));
        assertEquals(0, Numa.nodeOfCpu(sys, 0));
    }

    @Test
    void mbindSystemCallNumbers() {
        assertEquals(237, Numa.mbindNumber("amd64"));
        assertEquals(237, Numa.mbindNumber("x86_64"));
        assertEquals(235, Numa.mbindNumber("aarch64"));
        assertEquals(-1, Numa.mbindNumber("riscv64"));
    }

    /** @return the /proc/self/numa_maps line of the mapping at {@code address}, or null */
    private static String numaMapsLine(long address) throws IOException {
        String start = Long.toHexString(address) + " ";
        try (var lines = Files.lines(Path.of("/proc/self/numa_maps"))) {
            return lines.filter(l -> l.startsWith(start)).findFirst().orElse(null);
        }
    }

    @Test
    void bindToNodeZeroSetsAPreferredPolicy() throws IOException {
        MemorySegment seg = Mmap.mapAnonymous(1 << 20);
        try {
            Numa.bind(seg, 0);
            if (Files.exists(Path.of("/proc/self/numa_maps"))) {
                // a NUMA kernel records the policy; without NUMA, bind is the documented no-op
                String line = numaMapsLine(seg.address());
                assertTrue(line != null && line.contains("prefer:0"), "numa_maps: " + line);
            }
            seg.fill((byte) 1); // the memory stays usable
        } finally {
            Mmap.unmap(seg);
        }
    }

    @Test
    void bindToANodeThatIsNotOnlineIsEinval() {
        assumeNumaKernel();
        int offline = Numa.onlineNodes().nextClearBit(0);
        MemorySegment seg = Mmap.mapAnonymous(1 << 20);
        try {
            ErrnoException e = assertThrows(ErrnoException.class, () -> Numa.bind(seg, offline));
            assertEquals(Errno.EINVAL, e.errno());
            assertEquals("mbind", e.call());
            assertTrue(e.getMessage().contains("node " + offline), e.getMessage());
        } finally {
            Mmap.unmap(seg);
        }
    }

    @Test
    void bindOfAnUnalignedSegmentIsEinval() {
        assumeNumaKernel();
        MemorySegment seg = Mmap.mapAnonymous(1 << 20);
        try {
            assertEquals(Errno.EINVAL, assertThrows(ErrnoException.class, () -> Numa.bind(seg.asSlice(8), 0)).errno());
        } finally {
            Mmap.unmap(seg);
        }
    }

    @Test
    void outOfRangeNodesAreRejected() {
        MemorySegment seg = Mmap.mapAnonymous(4096);
        try {
            assertThrows(IllegalArgumentException.class, () -> Numa.bind(seg, -1));
            assertThrows(IllegalArgumentException.class, () -> Numa.bind(seg, Numa.MAX_NODES));
        } finally {
            Mmap.unmap(seg);
        }
    }

    private static void assumeNumaKernel() {
        // /proc/PID/numa_maps exists exactly when the kernel is built with CONFIG_NUMA, i.e. has mbind.
        assumeTrue(Files.exists(Path.of("/proc/self/numa_maps")), "kernel without NUMA: mbind is a no-op");
    }
}
