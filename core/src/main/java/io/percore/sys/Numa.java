package io.percore.sys;

import static io.percore.sys.Native.C_LONG;
import static io.percore.sys.Native.C_POINTER;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.BitSet;

/**
 * NUMA topology and placement: how many memory nodes there are, which node a CPU belongs to, and binding a
 * shard's memory to its node so it is allocated close to the CPU that uses it.
 *
 * <p>Topology comes from sysfs ({@code /sys/devices/system/node}, {@code /sys/devices/system/cpu}); a
 * machine or container without those files (or unable to read them) is treated as one node, node 0. Placement uses the
 * {@code mbind} system call, issued through libc's {@code syscall} because glibc does not export mbind
 * (libnuma does, and percore does not depend on it).
 *
 * <p>Thread-safety: any thread. These are start-up calls; they allocate.
 */
public final class Numa {
    private Numa() {}

    /** {@code MPOL_PREFERRED}: allocate on the given node, falling back to others when it is full. */
    static final int MPOL_PREFERRED = 1;
    /** Linux's largest MAX_NUMNODES (NODES_SHIFT 10); a node beyond it is a caller's mistake. */
    static final int MAX_NODES = 1024;

    private static final Path SYS = Path.of("/sys");

    private static final long SYS_MBIND = mbindNumber(System.getProperty("os.arch"));
    /** {@code long syscall(long number, ...)}; mbind's six arguments passed as register-width longs and a pointer. */
    private static final MethodHandle SYSCALL_MBIND = Native.downcallErrno("syscall",
            FunctionDescriptor.of(C_LONG, C_LONG, C_LONG, C_LONG, C_LONG, C_POINTER, C_LONG, C_LONG),
            Linker.Option.firstVariadicArg(1));

    /** @return the number of online NUMA nodes; 1 when sysfs does not say */
    public static int nodeCount() {
        return nodeCount(SYS);
    }

    /** @return the online NUMA nodes ({@code {0}} when sysfs does not say). Ids may have gaps. */
    public static BitSet onlineNodes() {
        return onlineNodes(SYS);
    }

    /**
     * @return the node that {@code cpu} belongs to; 0 when sysfs does not say
     * @throws IllegalArgumentException when {@code cpu} is negative
     */
    public static int nodeOfCpu(int cpu) {
        return nodeOfCpu(SYS, cpu);
    }

    /** @return true when there is more than one node, so placement matters. */
    public static boolean available() {
        return nodeCount() > 1;
    }

    /**
     * Asks the kernel to allocate {@code segment}'s pages on {@code node}. Call it before the memory is
     * first touched: pages already allocated stay where they are.
     *
     * <p>The policy is MPOL_PREFERRED, not MPOL_BIND: node-local memory is a speed-up, not a correctness
     * condition, so when the node runs out the kernel should take memory from another node rather than
     * reclaim hard and finally call the OOM killer, as MPOL_BIND would. A kernel built without NUMA
     * (ENOSYS) makes this a no-op, since all memory is then equally local.
     *
     * @param segment page-aligned, e.g. from {@link Mmap#mapAnonymous(long)}
     * @param node    an online node, e.g. {@link #nodeOfCpu} of the shard's CPU
     * @throws IllegalArgumentException when {@code node} is negative or beyond Linux's limit
     * @throws ErrnoException EINVAL when {@code node} is not online or the segment is not page-aligned;
     *                        EPERM where a seccomp filter forbids mbind (containers without CAP_SYS_NICE)
     * @throws UnsupportedOperationException on an architecture other than x86_64 and aarch64
     */
    public static void bind(MemorySegment segment, int node) {
        if (node < 0 || node >= MAX_NODES) {
            throw new IllegalArgumentException("node must be in [0, " + MAX_NODES + "): " + node);
        }
        if (SYS_MBIND < 0) {
            throw new UnsupportedOperationException("mbind's system call number is unknown on " + System.getProperty("os.arch"));
        }
        int words = node / Long.SIZE + 1;
        long r;
        try (Arena arena = Arena.ofConfined()) {
            // The nodemask is an array of unsigned longs, node n at bit n % 64 of word n / 64.
            MemorySegment mask = arena.allocate(ValueLayout.JAVA_LONG, words);
            mask.setAtIndex(ValueLayout.JAVA_LONG, node / Long.SIZE, 1L << (node % Long.SIZE));
            // maxnode is one more than the mask's bits: the kernel decrements it before use (a historic off-by-one).
            long maxNode = (long) words * Long.SIZE + 1;
            r = (long) SYSCALL_MBIND.invokeExact(Native.errnoSlot(), SYS_MBIND, segment.address(),
                    segment.byteSize(), (long) MPOL_PREFERRED, mask, maxNode, 0L);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
        if (r < 0) {
            int errno = Native.lastErrno();
            if (errno != Errno.ENOSYS) {
                throw new ErrnoException(errno, "mbind", "MPOL_PREFERRED node " + node + " for "
                        + segment.byteSize() + " bytes at 0x" + Long.toHexString(segment.address())
                        + "; online nodes {" + CpuList.format(onlineNodes()) + "}");
            }
        }
    }

    static BitSet onlineNodes(Path sys) {
        try {
            BitSet nodes = CpuList.parse(Files.readString(sys.resolve("devices/system/node/online")));
            if (!nodes.isEmpty()) {
                return nodes;
            }
        } catch (IOException e) {
            // No NUMA in this kernel, or sysfs absent or hidden (some containers): assume one node.
        }
        BitSet one = new BitSet();
        one.set(0);
        return one;
    }

    static int nodeCount(Path sys) {
        return onlineNodes(sys).cardinality();
    }

    static int nodeOfCpu(Path sys, int cpu) {
        if (cpu < 0) {
            throw new IllegalArgumentException("cpu must not be negative: " + cpu);
        }
        Path dir = sys.resolve("devices/system/cpu/cpu" + cpu);
        if (!Files.isDirectory(dir)) {
            return 0;
        }
        // The kernel puts one link "nodeK" in each CPU's directory.
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir, "node[0-9]*")) {
            for (Path entry : entries) {
                String name = entry.getFileName().toString().substring(4);
                if (name.chars().allMatch(Character::isDigit)) {
                    return Integer.parseInt(name);
                }
            }
        } catch (IOException e) {
            // unreadable sysfs: as if it did not say
        }
        return 0;
    }

    static long mbindNumber(String osArch) {
        if (Native.isX86_64(osArch)) {
            return 237;
        }
        if ("aarch64".equals(osArch)) {
            return 235;
        }
        return -1;
    }
}
