package io.percore.sys;

import static io.percore.sys.Native.C_INT;
import static io.percore.sys.Native.C_POINTER;
import static io.percore.sys.Native.C_SIZE_T;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.Objects;

/**
 * Plain file-descriptor calls: close, read, write, O_NONBLOCK, pipe2.
 *
 * <p>read and write report "would block" (EAGAIN) as -1, not as an exception, because on a non-blocking
 * fd it is the normal answer a reactor waits on; every other failure throws {@link ErrnoException}.
 * Buffers must be native segments (the kernel writes through their address), and {@code len} must fit
 * inside them: it is checked, so a wrong length cannot make the kernel write past a segment.
 *
 * <p>Thread-safety: any thread; the kernel serialises calls on one fd. read and write do not allocate.
 */
public final class Fd {
    private Fd() {}

    /** {@code O_NONBLOCK} (same value on x86_64 and aarch64). */
    public static final int O_NONBLOCK = 0_4000;
    /** {@code O_CLOEXEC} (same value on x86_64 and aarch64). */
    public static final int O_CLOEXEC = 0_2000000;

    private static final int F_GETFL = 3, F_SETFL = 4;

    private static final MethodHandle CLOSE =
            Native.downcallErrno("close", FunctionDescriptor.of(C_INT, C_INT));
    private static final MethodHandle READ =
            Native.downcallErrno("read", FunctionDescriptor.of(Native.C_LONG, C_INT, C_POINTER, C_SIZE_T));
    private static final MethodHandle WRITE =
            Native.downcallErrno("write", FunctionDescriptor.of(Native.C_LONG, C_INT, C_POINTER, C_SIZE_T));
    /** {@code int fcntl(int fd, int cmd, ...)}: one int variadic argument serves both F_GETFL (which ignores it) and F_SETFL. */
    private static final MethodHandle FCNTL = Native.downcallErrno("fcntl",
            FunctionDescriptor.of(C_INT, C_INT, C_INT, C_INT), Linker.Option.firstVariadicArg(2));
    private static final MethodHandle PIPE2 =
            Native.downcallErrno("pipe2", FunctionDescriptor.of(C_INT, C_POINTER, C_INT));

    /**
     * Closes {@code fd}. EINTR counts as success: Linux releases the descriptor before it can report EINTR,
     * and retrying could close a descriptor another thread has just been given.
     *
     * @throws ErrnoException EBADF when {@code fd} is not open, or EIO from a deferred write error
     */
    public static void close(int fd) {
        int r;
        try {
            r = (int) CLOSE.invokeExact(Native.errnoSlot(), fd);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
        if (r < 0) {
            int errno = Native.lastErrno();
            if (errno != Errno.EINTR) {
                throw new ErrnoException(errno, "close", "fd " + fd);
            }
        }
    }

    /**
     * Reads up to {@code len} bytes into the start of {@code buf}, retrying on EINTR.
     *
     * @return bytes read, 0 at end of file, or -1 when a non-blocking fd has nothing to read (EAGAIN)
     * @throws IndexOutOfBoundsException when {@code len} is negative or larger than {@code buf}
     * @throws ErrnoException on any other failure
     */
    public static long read(int fd, MemorySegment buf, long len) {
        Objects.checkFromIndexSize(0L, len, buf.byteSize());
        try {
            for (;;) {
                long n = (long) READ.invokeExact(Native.errnoSlot(), fd, buf, len);
                if (n >= 0) {
                    return n;
                }
                if (Native.wouldBlock("read", fd)) {
                    return -1;
                }
            }
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /**
     * Writes up to {@code len} bytes from the start of {@code buf}, retrying on EINTR.
     *
     * @return bytes written (possibly fewer than {@code len}), or -1 when a non-blocking fd cannot take any
     *         now (EAGAIN)
     * @throws IndexOutOfBoundsException when {@code len} is negative or larger than {@code buf}
     * @throws ErrnoException on any other failure, e.g. EPIPE when the reader is gone
     */
    public static long write(int fd, MemorySegment buf, long len) {
        Objects.checkFromIndexSize(0L, len, buf.byteSize());
        try {
            for (;;) {
                long n = (long) WRITE.invokeExact(Native.errnoSlot(), fd, buf, len);
                if (n >= 0) {
                    return n;
                }
                if (Native.wouldBlock("write", fd)) {
                    return -1;
                }
            }
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /**
     * Sets or clears O_NONBLOCK on {@code fd}, keeping its other status flags.
     *
     * @throws ErrnoException e.g. EBADF
     */
    public static void setNonBlocking(int fd, boolean nonBlocking) {
        int flags = statusFlags(fd);
        int wanted = nonBlocking ? flags | O_NONBLOCK : flags & ~O_NONBLOCK;
        if (wanted != flags) {
            try {
                int r = (int) FCNTL.invokeExact(Native.errnoSlot(), fd, F_SETFL, wanted);
                if (r < 0) {
                    throw new ErrnoException(Native.lastErrno(), "fcntl", "F_SETFL on fd " + fd);
                }
            } catch (Throwable t) {
                throw Native.rethrow(t);
            }
        }
    }

    /**
     * @return true when O_NONBLOCK is set on {@code fd}
     * @throws ErrnoException e.g. EBADF
     */
    public static boolean isNonBlocking(int fd) {
        return (statusFlags(fd) & O_NONBLOCK) != 0;
    }

    private static int statusFlags(int fd) {
        try {
            int flags = (int) FCNTL.invokeExact(Native.errnoSlot(), fd, F_GETFL, 0);
            if (flags < 0) {
                throw new ErrnoException(Native.lastErrno(), "fcntl", "F_GETFL on fd " + fd);
            }
            return flags;
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /**
     * Creates a pipe (mostly for tests and wake-ups). The caller owns both descriptors.
     *
     * @param flags 0 or a combination of {@link #O_NONBLOCK} and {@link #O_CLOEXEC}
     * @return {@code {readFd, writeFd}}
     * @throws ErrnoException e.g. EMFILE
     */
    public static int[] pipe2(int flags) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment fds = arena.allocate(ValueLayout.JAVA_INT, 2);
            int r = (int) PIPE2.invokeExact(Native.errnoSlot(), fds, flags);
            if (r < 0) {
                throw new ErrnoException(Native.lastErrno(), "pipe2", "flags 0x" + Integer.toHexString(flags));
            }
            return fds.toArray(ValueLayout.JAVA_INT);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }
}
