package io.percore.sys;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.util.Arrays;

/**
 * The one door to libc: looks up symbols, builds downcall handles that capture {@code errno}, and turns a
 * failed call into an {@link ErrnoException}. Every other class in {@code sys} binds its functions here;
 * no package outside {@code sys} touches {@link Linker}.
 *
 * <p>errno is captured by the linker right after the call ({@link Linker.Option#captureCallState}), into a
 * per-thread segment, because the JVM may itself call into libc between our call and our read of errno.
 *
 * <p>Thread-safety: all static methods may be called from any thread.
 */
public final class Native {
    private Native() {}

    static final Linker LINKER = Linker.nativeLinker();
    static final SymbolLookup LIBC = LINKER.defaultLookup();

    private static final StructLayoutHolder CAPTURE = new StructLayoutHolder();

    /** Holder for the captured-state layout and errno accessor. */
    private static final class StructLayoutHolder {
        final MemoryLayout layout = Linker.Option.captureStateLayout();
        final VarHandle errno = layout.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    }

    /** One capture segment per thread: downcalls write errno there, and we read it back on failure. */
    private static final ThreadLocal<MemorySegment> ERRNO_SLOT =
            ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(CAPTURE.layout));

    /** @return the per-thread segment that errno-capturing downcalls take as their first argument. */
    public static MemorySegment errnoSlot() {
        return ERRNO_SLOT.get();
    }

    /** @return the errno captured by the last errno-capturing downcall on this thread. */
    public static int lastErrno() {
        return (int) CAPTURE.errno.get(ERRNO_SLOT.get(), 0L);
    }

    /** @return true when libc exports the symbol (used to probe optional calls such as mbind or epoll_pwait2). */
    public static boolean hasSymbol(String name) {
        return LIBC.find(name).isPresent();
    }

    /**
     * Binds a libc function whose failures are reported through errno. The returned handle takes the
     * errno slot ({@link #errnoSlot()}) as an extra first argument.
     *
     * @param options further linker options, e.g. {@link Linker.Option#firstVariadicArg} for fcntl and
     *                syscall, or {@link Linker.Option#critical} for short calls that never block
     * @throws UnsatisfiedLinkError when libc has no such symbol
     */
    public static MethodHandle downcallErrno(String name, FunctionDescriptor descriptor, Linker.Option... options) {
        MemorySegment symbol = LIBC.find(name)
                .orElseThrow(() -> new UnsatisfiedLinkError("libc has no symbol " + name));
        Linker.Option[] all = Arrays.copyOf(options, options.length + 1);
        all[options.length] = Linker.Option.captureCallState("errno");
        return LINKER.downcallHandle(symbol, descriptor, all);
    }

    /** Binds a libc function that cannot fail (or reports failure by its return value only). */
    public static MethodHandle downcall(String name, FunctionDescriptor descriptor, Linker.Option... options) {
        MemorySegment symbol = LIBC.find(name)
                .orElseThrow(() -> new UnsatisfiedLinkError("libc has no symbol " + name));
        return LINKER.downcallHandle(symbol, descriptor, options);
    }

    /** Like {@link #downcallErrno} but for calls that must not be bound at class-load time when absent. */
    public static MethodHandle downcallErrnoOrNull(String name, FunctionDescriptor descriptor, Linker.Option... options) {
        return hasSymbol(name) ? downcallErrno(name, descriptor, options) : null;
    }

    /**
     * Reads errno after a non-blocking call on {@code fd} failed. Does not allocate unless it throws.
     *
     * @return true when the call would have blocked (EAGAIN); false when a signal interrupted it (EINTR): call again
     * @throws ErrnoException for any other errno, naming the call and the descriptor
     */
    public static boolean wouldBlock(String call, int fd) {
        int errno = lastErrno();
        if (errno == Errno.EAGAIN) {
            return true;
        }
        if (errno == Errno.EINTR) {
            return false;
        }
        throw new ErrnoException(errno, call, "fd " + fd);
    }

    /**
     * Checks an int result of the usual "-1 and errno" convention.
     *
     * @return {@code result} when it is not negative
     * @throws ErrnoException carrying errno and the call's name otherwise
     */
    public static int check(int result, String call) {
        if (result < 0) {
            throw ErrnoException.of(lastErrno(), call);
        }
        return result;
    }

    /** As {@link #check(int, String)} for long results (read/write sizes, mmap offsets). */
    public static long check(long result, String call) {
        if (result < 0) {
            throw ErrnoException.of(lastErrno(), call);
        }
        return result;
    }

    /** C {@code int} (also {@code pid_t}, {@code clockid_t}, {@code unsigned int}): 32 bits. */
    public static final ValueLayout.OfInt C_INT = ValueLayout.JAVA_INT;
    /** C {@code long} (also {@code ssize_t}, {@code off_t}, {@code time_t}): 64 bits on 64-bit Linux. */
    public static final ValueLayout.OfLong C_LONG = ValueLayout.JAVA_LONG;
    /** C {@code size_t}: 64 bits on 64-bit Linux. */
    public static final ValueLayout.OfLong C_SIZE_T = ValueLayout.JAVA_LONG;
    /** A C pointer. */
    public static final ValueLayout C_POINTER = ValueLayout.ADDRESS;

    /** @return true when {@code osArch} (a value of the {@code os.arch} property) names x86_64. */
    static boolean isX86_64(String osArch) {
        return "amd64".equals(osArch) || "x86_64".equals(osArch);
    }

    /** Wraps a Throwable thrown by {@code MethodHandle.invokeExact} (which declares Throwable) unchanged or as an Error. */
    public static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException re) {
            return re;
        }
        if (t instanceof Error e) {
            throw e;
        }
        return new IllegalStateException("native call failed", t);
    }
}
