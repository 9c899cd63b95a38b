package io.percore.sys;

import static io.percore.sys.Native.C_INT;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A doorbell: a kernel counter that other threads increment with {@link #signal()} and its owner reads and
 * zeroes with {@link #drain()}. A shard registers {@link #fd()} with its reactor backend before sleeping, so
 * a message from another shard wakes it.
 *
 * <p>Thread rules: {@link #signal()} and {@link #fd()} may be called from any thread; {@link #drain()} and
 * {@link #close()} by the owner only. close may race with signal: signals that began before close finish
 * first (close waits for them), signals after close do nothing, so the fd number is never written after the
 * kernel may have handed it to someone else.
 */
public final class EventFd implements AutoCloseable {
    /** {@code EFD_CLOEXEC}: not inherited by exec'd children. */
    public static final int EFD_CLOEXEC = Fd.O_CLOEXEC;
    /** {@code EFD_NONBLOCK}: read on a zero counter says EAGAIN instead of sleeping. */
    public static final int EFD_NONBLOCK = Fd.O_NONBLOCK;

    private static final MethodHandle EVENTFD =
            Native.downcallErrno("eventfd", FunctionDescriptor.of(C_INT, C_INT, C_INT));

    /** The 8-byte value 1 that every signal writes; shared read-only by all threads, so signal allocates nothing. */
    private static final MemorySegment ONE = Arena.global().allocate(ValueLayout.JAVA_LONG);

    static {
        ONE.set(ValueLayout.JAVA_LONG, 0, 1L);
    }

    /** Sign bit of {@link #state}: closed. */
    private static final int CLOSED = Integer.MIN_VALUE;
    private static final VarHandle STATE;

    static {
        try {
            STATE = MethodHandles.lookup().findVarHandle(EventFd.class, "state", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final int fd;
    /** {@link #CLOSED} bit plus the number of signals in progress; updated through {@link #STATE}. */
    private volatile int state;

    private EventFd(int fd) {
        this.fd = fd;
    }

    /**
     * Creates an eventfd with counter 0, {@link #EFD_CLOEXEC} and {@link #EFD_NONBLOCK}. Any thread.
     *
     * @throws ErrnoException e.g. EMFILE
     */
    public static EventFd create() {
        int fd;
        try {
            fd = (int) EVENTFD.invokeExact(Native.errnoSlot(), 0, EFD_CLOEXEC | EFD_NONBLOCK);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
        return new EventFd(Native.check(fd, "eventfd"));
    }

    /** @return the descriptor, to register for EPOLLIN. Any thread. */
    public int fd() {
        return fd;
    }

    /**
     * Adds 1 to the counter, waking a thread that polls {@link #fd()}. Any thread; does not allocate. A
     * counter already at its maximum (EAGAIN) is left as it is: the owner is awake anyway. Does nothing
     * after {@link #close()}.
     *
     * @throws ErrnoException only on a failure other than EAGAIN, which would be a bug
     */
    public void signal() {
        if ((int) STATE.getAndAdd(this, 1) < 0) {
            STATE.getAndAdd(this, -1);
            return;
        }
        try {
            Fd.write(fd, ONE, Long.BYTES);
        } finally {
            STATE.getAndAdd(this, -1);
        }
    }

    /**
     * Reads and zeroes the counter. Owner thread only; does not allocate.
     *
     * @return the sum of the signals since the last drain; 0 when there were none
     * @throws IllegalStateException after {@link #close()}
     */
    public long drain() {
        if (state < 0) {
            throw new IllegalStateException("eventfd " + fd + " is closed");
        }
        MemorySegment counter = Scratch.get();
        return Fd.read(fd, counter, Long.BYTES) < 0 ? 0 : counter.get(ValueLayout.JAVA_LONG, 0);
    }

    /**
     * Closes the descriptor once signals already in progress have finished. Owner thread; idempotent.
     *
     * @throws ErrnoException when close(2) fails
     */
    @Override
    public void close() {
        if ((int) STATE.getAndBitwiseOr(this, CLOSED) < 0) {
            return;
        }
        // A signaller that saw "open" is inside write(2) for a microsecond or so; wait for it.
        for (int spins = 0; ((int) STATE.getVolatile(this) & ~CLOSED) != 0; spins++) {
            if (spins < 1000) {
                Thread.onSpinWait();
            } else {
                Thread.yield(); // the signaller may have been preempted; let it run
            }
        }
        Fd.close(fd);
    }
}
