package io.percore.sys;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * A system call failed: carries the call's name, errno, its symbolic name (ENOENT, EAGAIN, …) and
 * strerror's text, so a log line says what went wrong without a man page.
 *
 * <p>Callers that expect a particular errno (EAGAIN on a non-blocking fd, EINTR) test {@link #errno()}
 * against the constants in {@link Errno}.
 */
public class ErrnoException extends RuntimeException {
    private final int errno;
    private final String call;

    /**
     * @param errno  the errno the call left, e.g. {@link Errno#EINVAL}
     * @param call   the libc function or system call that failed, e.g. {@code "epoll_ctl"}
     * @param detail what was being done (fd, sizes, flags), or null
     */
    public ErrnoException(int errno, String call, String detail) {
        super(call + " failed: " + Errno.name(errno) + " (" + errno + "): " + strerror(errno)
                + (detail == null ? "" : " [" + detail + "]"));
        this.errno = errno;
        this.call = call;
    }

    /** @return an exception for {@code errno} raised by {@code call}. */
    public static ErrnoException of(int errno, String call) {
        return new ErrnoException(errno, call, null);
    }

    /** @return the errno value, e.g. {@link Errno#EAGAIN}. */
    public int errno() {
        return errno;
    }

    /** @return the name of the failed call, e.g. {@code "epoll_ctl"}. */
    public String call() {
        return call;
    }

    private static final MethodHandle STRERROR =
            Native.downcall("strerror", FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.JAVA_INT));

    /** @return libc's text for {@code errno}. strerror's buffer is static, so copy it at once. */
    public static String strerror(int errno) {
        try {
            MemorySegment s = (MemorySegment) STRERROR.invokeExact(errno);
            return s.reinterpret(512).getString(0);
        } catch (Throwable t) {
            return "errno " + errno;
        }
    }
}
