package io.percore.sys;

import static io.percore.sys.Native.C_INT;
import static io.percore.sys.Native.C_LONG;
import static io.percore.sys.Native.C_POINTER;
import static io.percore.sys.Native.C_SIZE_T;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.BitSet;

/**
 * CPU affinity and identity of the calling thread: which CPUs it may run on, which one it runs on now, its
 * kernel thread id. A shard pins its thread once at start-up with {@link #pinTo}.
 *
 * <p>Every method acts on the <em>calling</em> thread (pid 0 in the kernel's terms), never on the whole
 * process, so pinning a shard leaves the JVM's other threads where they were.
 *
 * <p>Thread-safety: any thread. {@link #currentCpu()} and {@link #gettid()} do not allocate.
 */
public final class Affinity {
    private Affinity() {}

    /** glibc's CPU_SETSIZE (1024 CPUs); masks grow beyond it only on machines that need more. */
    private static final int DEFAULT_MASK_BYTES = 128;
    /** Stop doubling here (half a million CPUs): past it EINVAL means a bad call, not a small mask. */
    private static final int MAX_MASK_BYTES = 1 << 16;
    private static final int SC_NPROCESSORS_ONLN = 84;

    private static final MethodHandle SCHED_GETAFFINITY = Native.downcallErrno("sched_getaffinity",
            FunctionDescriptor.of(C_INT, C_INT, C_SIZE_T, C_POINTER));
    private static final MethodHandle SCHED_SETAFFINITY = Native.downcallErrno("sched_setaffinity",
            FunctionDescriptor.of(C_INT, C_INT, C_SIZE_T, C_POINTER));
    // Both read per-thread data the kernel shares with user space (rseq, the TCB): short and never blocking,
    // so "critical" skips the thread-state transition that would cost more than the call.
    private static final MethodHandle SCHED_GETCPU = Native.downcallErrno("sched_getcpu",
            FunctionDescriptor.of(C_INT), Linker.Option.critical(false));
    private static final MethodHandle GETTID = Native.downcall("gettid",
            FunctionDescriptor.of(C_INT), Linker.Option.critical(false));
    private static final MethodHandle SYSCONF = Native.downcallErrno("sysconf",
            FunctionDescriptor.of(C_LONG, C_INT));

    /**
     * @return the CPUs the calling thread may run on
     * @throws ErrnoException when the kernel refuses (it should not)
     */
    public static BitSet get() {
        for (int bytes = DEFAULT_MASK_BYTES; ; bytes *= 2) {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment mask = arena.allocate(bytes, 8);
                int r = (int) SCHED_GETAFFINITY.invokeExact(Native.errnoSlot(), 0, (long) bytes, mask);
                if (r == 0) {
                    // cpu_set_t is an array of unsigned longs, CPU n at bit n % 64 of word n / 64: BitSet's own order.
                    return BitSet.valueOf(mask.toArray(ValueLayout.JAVA_LONG));
                }
                int errno = Native.lastErrno();
                // EINVAL here means the kernel has more possible CPUs than the mask has bits.
                if (errno != Errno.EINVAL || bytes >= MAX_MASK_BYTES) {
                    throw new ErrnoException(errno, "sched_getaffinity", "mask of " + bytes + " bytes");
                }
            } catch (Throwable t) {
                throw Native.rethrow(t);
            }
        }
    }

    /**
     * Restricts the calling thread to {@code cpus}. The kernel moves the thread before returning when its
     * current CPU is not in the set.
     *
     * @throws ErrnoException EINVAL when no CPU in {@code cpus} is online and allowed for this process (an
     *                        empty set, a CPU that does not exist, one outside the cgroup's cpuset); the
     *                        detail names the requested and current sets
     */
    public static void set(BitSet cpus) {
        long[] words = cpus.toLongArray();
        int bytes = Math.max(DEFAULT_MASK_BYTES, words.length * Long.BYTES);
        int r;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment mask = arena.allocate(bytes, 8);
            MemorySegment.copy(words, 0, mask, ValueLayout.JAVA_LONG, 0, words.length);
            r = (int) SCHED_SETAFFINITY.invokeExact(Native.errnoSlot(), 0, (long) bytes, mask);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
        if (r < 0) {
            int errno = Native.lastErrno();
            String detail = "requested CPUs {" + CpuList.format(cpus) + "}";
            if (errno == Errno.EINVAL) {
                detail += " but none of them is online and allowed; this thread may run on {"
                        + CpuList.format(get()) + "}, " + onlineCpus() + " CPUs online";
            }
            throw new ErrnoException(errno, "sched_setaffinity", detail);
        }
    }

    /**
     * Pins the calling thread to one CPU.
     *
     * @throws IllegalArgumentException when {@code cpu} is negative
     * @throws ErrnoException EINVAL when {@code cpu} is not online or not allowed (see {@link #set})
     */
    public static void pinTo(int cpu) {
        if (cpu < 0) {
            throw new IllegalArgumentException("cpu must not be negative: " + cpu);
        }
        BitSet one = new BitSet(cpu + 1);
        one.set(cpu);
        set(one);
    }

    /**
     * @return the CPU the calling thread is running on now; exact once the thread is pinned, a hint otherwise
     * @throws ErrnoException ENOSYS when the kernel cannot tell
     */
    public static int currentCpu() {
        try {
            return Native.check((int) SCHED_GETCPU.invokeExact(Native.errnoSlot()), "sched_getcpu");
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /** @return the kernel's id of the calling thread (what {@code top -H} and {@code /proc/PID/task} show). */
    public static int gettid() {
        try {
            return (int) GETTID.invokeExact();
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /** @return the number of CPUs online now (sysconf(_SC_NPROCESSORS_ONLN)), whatever this thread's mask. */
    public static int onlineCpus() {
        try {
            return (int) Native.check((long) SYSCONF.invokeExact(Native.errnoSlot(), SC_NPROCESSORS_ONLN), "sysconf");
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }
}
