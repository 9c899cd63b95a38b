package io.percore.sys;

import static io.percore.sys.Native.C_INT;
import static io.percore.sys.Native.C_POINTER;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * The process's limit on open descriptors (RLIMIT_NOFILE), read and raised with getrlimit/setrlimit. A server
 * holding ten thousand connections needs more than the common default of 1024, and {@code ulimit -n} cannot be
 * run from inside the JVM. Raising the soft limit up to the hard one is always allowed; raising the hard limit
 * needs CAP_SYS_RESOURCE (root) and is capped by {@code /proc/sys/fs/nr_open}.
 *
 * <p>Thread-safety: any thread; the limit is process-wide. Start-up code, not a hot path.
 */
public final class ResourceLimit {
    private ResourceLimit() {}

    /** {@code RLIMIT_NOFILE} (7 on x86_64 and aarch64). */
    private static final int RLIMIT_NOFILE = 7;

    private static final MethodHandle GETRLIMIT =
            Native.downcallErrno("getrlimit", FunctionDescriptor.of(C_INT, C_INT, C_POINTER));
    private static final MethodHandle SETRLIMIT =
            Native.downcallErrno("setrlimit", FunctionDescriptor.of(C_INT, C_INT, C_POINTER));

    /** A soft and a hard limit; {@link Long#MAX_VALUE} stands for RLIM_INFINITY. */
    public record Limits(long soft, long hard) {}

    /** @return the current descriptor limits. */
    public static Limits openFiles() {
        MemorySegment s = Scratch.get();
        int r;
        try {
            r = (int) GETRLIMIT.invokeExact(Native.errnoSlot(), RLIMIT_NOFILE, s);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
        Native.check(r, "getrlimit");
        return new Limits(unsigned(s.get(ValueLayout.JAVA_LONG, 0)), unsigned(s.get(ValueLayout.JAVA_LONG, 8)));
    }

    /**
     * Raises the soft descriptor limit to at least {@code wanted}, raising the hard limit too when it is lower
     * (which works only with the privilege to do so). Never lowers either limit.
     *
     * @return the soft limit now in force (may stay below {@code wanted} when the hard limit could not be raised)
     */
    public static long raiseOpenFiles(long wanted) {
        Limits now = openFiles();
        if (now.soft() >= wanted) {
            return now.soft();
        }
        if (now.hard() < wanted && set(wanted, wanted)) {
            return wanted;
        }
        long soft = Math.min(wanted, now.hard());
        if (soft > now.soft()) {
            set(soft, now.hard());
        }
        return openFiles().soft();
    }

    private static boolean set(long soft, long hard) {
        MemorySegment s = Scratch.get();
        s.set(ValueLayout.JAVA_LONG, 0, soft == Long.MAX_VALUE ? -1L : soft);
        s.set(ValueLayout.JAVA_LONG, 8, hard == Long.MAX_VALUE ? -1L : hard);
        try {
            return (int) SETRLIMIT.invokeExact(Native.errnoSlot(), RLIMIT_NOFILE, s) == 0;
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    private static long unsigned(long v) {
        return v < 0 ? Long.MAX_VALUE : v;
    }
}
