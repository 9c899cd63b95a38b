package io.percore.sys;

import static io.percore.sys.Native.C_INT;
import static io.percore.sys.Native.C_POINTER;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

/**
 * An epoll instance: the readiness set the epoll reactor backend sleeps on.
 *
 * <p>{@link #wait} takes a timeout in nanoseconds. It uses {@code epoll_pwait2} (Linux 5.11, glibc 2.35),
 * whose timespec timeout lets a shard sleep exactly until its next timer; where libc lacks the symbol or the
 * kernel answers ENOSYS (checked once, when the class loads), it falls back to {@code epoll_wait}, rounding
 * the timeout <em>up</em> to whole milliseconds so a wait never ends before its deadline.
 *
 * <p>Thread rules: an Epoll belongs to one thread (its shard); {@link #fd()} may be read from any. The
 * kernel would accept epoll_ctl from other threads, but percore routes registrations through the owner.
 * add, modify, remove and wait do not allocate.
 */
public final class Epoll implements AutoCloseable {
    /** Readable. */
    public static final int EPOLLIN = 0x001;
    /** Urgent data readable. */
    public static final int EPOLLPRI = 0x002;
    /** Writable. */
    public static final int EPOLLOUT = 0x004;
    /** Error condition; always reported, need not be requested. */
    public static final int EPOLLERR = 0x008;
    /** Hang-up; always reported, need not be requested. */
    public static final int EPOLLHUP = 0x010;
    /** The peer closed its writing half. */
    public static final int EPOLLRDHUP = 0x2000;
    /** Wake only one of several epoll instances waiting on the same fd (add only). */
    public static final int EPOLLEXCLUSIVE = 1 << 28;
    /** Report once, then disable the fd until {@link #modify} re-arms it. */
    public static final int EPOLLONESHOT = 1 << 30;
    /** Edge-triggered: report changes, not levels. */
    public static final int EPOLLET = 1 << 31;

    private static final int EPOLL_CLOEXEC = Fd.O_CLOEXEC;
    private static final int EPOLL_CTL_ADD = 1, EPOLL_CTL_DEL = 2, EPOLL_CTL_MOD = 3;
    private static final long NANOS_PER_MILLI = 1_000_000L;

    private static final MethodHandle EPOLL_CREATE1 =
            Native.downcallErrno("epoll_create1", FunctionDescriptor.of(C_INT, C_INT));
    private static final MethodHandle EPOLL_CTL =
            Native.downcallErrno("epoll_ctl", FunctionDescriptor.of(C_INT, C_INT, C_INT, C_INT, C_POINTER));
    private static final MethodHandle EPOLL_WAIT =
            Native.downcallErrno("epoll_wait", FunctionDescriptor.of(C_INT, C_INT, C_POINTER, C_INT, C_INT));
    /** {@code epoll_pwait2(epfd, events, maxevents, const struct timespec *timeout, const sigset_t *sigmask)}; null when libc lacks it. */
    private static final MethodHandle EPOLL_PWAIT2 = Native.downcallErrnoOrNull("epoll_pwait2",
            FunctionDescriptor.of(C_INT, C_INT, C_POINTER, C_INT, C_POINTER, C_POINTER));
    private static final boolean PWAIT2 = probePwait2();

    private int fd;

    private Epoll(int fd) {
        this.fd = fd;
    }

    /**
     * Creates an epoll instance with close-on-exec set. Any thread.
     *
     * @throws ErrnoException e.g. EMFILE
     */
    public static Epoll create() {
        int fd;
        try {
            fd = (int) EPOLL_CREATE1.invokeExact(Native.errnoSlot(), EPOLL_CLOEXEC);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
        return new Epoll(Native.check(fd, "epoll_create1"));
    }

    /**
     * @return true when {@link #wait} honours nanosecond timeouts (epoll_pwait2), false when it rounds up to
     *         milliseconds (epoll_wait)
     */
    public static boolean preciseTimeouts() {
        return PWAIT2;
    }

    /** @return the epoll descriptor (e.g. to nest it in another epoll or an io_uring poll). Any thread. */
    public int fd() {
        return fd;
    }

    /**
     * Starts watching {@code fd}.
     *
     * @param events EPOLLIN, EPOLLOUT, … combined with flags such as {@link #EPOLLET}
     * @param data   returned with every event of this fd, typically an index into the owner's table
     * @throws ErrnoException EEXIST when already watched, EPERM for fds epoll cannot watch (regular files), …
     */
    public void add(int fd, int events, long data) {
        control(EPOLL_CTL_ADD, fd, events, data, "EPOLL_CTL_ADD");
    }

    /**
     * Changes the events and data of a watched {@code fd}; also re-arms an {@link #EPOLLONESHOT} fd.
     *
     * @throws ErrnoException ENOENT when {@code fd} is not watched
     */
    public void modify(int fd, int events, long data) {
        control(EPOLL_CTL_MOD, fd, events, data, "EPOLL_CTL_MOD");
    }

    /**
     * Stops watching {@code fd}. Closing an fd removes it too, unless a dup of it is still open.
     *
     * @throws ErrnoException ENOENT when {@code fd} is not watched
     */
    public void remove(int fd) {
        control(EPOLL_CTL_DEL, fd, 0, 0, "EPOLL_CTL_DEL");
    }

    private void control(int op, int target, int events, long data, String opName) {
        MemorySegment event = Scratch.get();
        EpollEvents.put(event, events, data);
        int r;
        try {
            r = (int) EPOLL_CTL.invokeExact(Native.errnoSlot(), fd, op, target, event);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
        if (r < 0) {
            throw new ErrnoException(Native.lastErrno(), "epoll_ctl", opName + " fd " + target + " on epoll " + fd);
        }
    }

    /**
     * Waits for events and writes them to {@code out}. Owner thread; does not allocate.
     *
     * @param timeoutNanos how long to wait: negative waits until an event, 0 only polls
     * @return the number of entries written to {@code out} (at most its capacity); 0 when the timeout
     *         expired or a signal interrupted the wait (EINTR)
     * @throws ErrnoException e.g. EBADF after {@link #close()}
     */
    public int wait(EpollEvents out, long timeoutNanos) {
        return PWAIT2 ? waitNanos(out, timeoutNanos) : waitMillis(out, timeoutNanos);
    }

    /** {@link #wait} through epoll_pwait2; callable only when {@link #preciseTimeouts()}. */
    int waitNanos(EpollEvents out, long timeoutNanos) {
        MemorySegment timeout = MemorySegment.NULL; // NULL: no timeout
        if (timeoutNanos >= 0) {
            timeout = Scratch.get();
            Structs.putTimespec(timeout, 0, timeoutNanos);
        }
        int n;
        try {
            n = (int) EPOLL_PWAIT2.invokeExact(Native.errnoSlot(), fd, out.segment(), out.capacity(),
                    timeout, MemorySegment.NULL);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
        return waited(n, "epoll_pwait2");
    }

    /** {@link #wait} through epoll_wait, the timeout rounded up to milliseconds. */
    int waitMillis(EpollEvents out, long timeoutNanos) {
        int n;
        try {
            n = (int) EPOLL_WAIT.invokeExact(Native.errnoSlot(), fd, out.segment(), out.capacity(),
                    toMillisRoundUp(timeoutNanos));
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
        return waited(n, "epoll_wait");
    }

    private int waited(int n, String call) {
        if (n >= 0) {
            return n;
        }
        int errno = Native.lastErrno();
        if (errno == Errno.EINTR) {
            return 0; // the caller's loop re-checks its timers and queues, then waits again
        }
        throw new ErrnoException(errno, call, "epoll " + fd);
    }

    /** @return epoll_wait's timeout: -1 (infinite) for negative, otherwise whole ms rounded up, capped at int. */
    static int toMillisRoundUp(long nanos) {
        if (nanos < 0) {
            return -1;
        }
        long millis = nanos / NANOS_PER_MILLI + (nanos % NANOS_PER_MILLI == 0 ? 0 : 1);
        return (int) Math.min(millis, Integer.MAX_VALUE);
    }

    /** Closes the epoll descriptor. Owner thread; idempotent. */
    @Override
    public void close() {
        if (fd >= 0) {
            int f = fd;
            fd = -1;
            Fd.close(f);
        }
    }

    /**
     * Asks the kernel with an invalid epfd, which costs nothing: a kernel with epoll_pwait2 answers EBADF,
     * one without answers ENOSYS, and a seccomp filter that does not know the call (older container
     * runtimes) answers EPERM.
     */
    private static boolean probePwait2() {
        if (EPOLL_PWAIT2 == null) {
            return false;
        }
        int r;
        try {
            r = (int) EPOLL_PWAIT2.invokeExact(Native.errnoSlot(), -1, MemorySegment.NULL, 1,
                    MemorySegment.NULL, MemorySegment.NULL);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
        if (r >= 0) {
            return true;
        }
        int errno = Native.lastErrno();
        return errno != Errno.ENOSYS && errno != Errno.EPERM;
    }
}
