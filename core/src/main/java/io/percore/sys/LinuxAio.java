package io.percore.sys;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;
import java.util.Objects;

/**
 * Linux native AIO (the {@code io_*} system calls, not POSIX aio): an I/O context per shard, iocbs submitted in
 * batches, completions read as {@code struct io_event}s. glibc has no wrappers for these calls, so they go through
 * libc's variadic {@code syscall(2)} with the architecture's numbers (x86_64 and aarch64).
 *
 * <p><b>What the kernel does with an iocb.</b> io_submit copies each iocb into the kernel and never reads it again;
 * the only thing that comes back is its address ({@code obj}) and {@code aio_data} in the completion. The memory an
 * iocb <em>points at</em> (the buffer of a read, the iovec array) is used until the completion, so it must outlive
 * the operation. An iocb must be fully zeroed apart from the fields set: the kernel refuses unknown flags,
 * {@code aio_reserved2} and, for POLL and FSYNC, any buffer, length or offset with EINVAL.
 *
 * <p><b>Operations.</b> PREAD/PWRITE/PREADV/PWRITEV run asynchronously only on files opened with O_DIRECT on a
 * filesystem that supports it; on buffered files the kernel does the I/O inside io_submit and the completion is
 * already queued when io_submit returns. FSYNC/FDSYNC (Linux 4.18+) run on a kernel worker. POLL (Linux 4.18+) is
 * a one-shot readiness wait: {@code aio_buf} holds the poll(2) events wanted, the result is the revents (the kernel
 * always adds POLLERR and POLLHUP). Mask the result: when the request completes from the wake-up callback the kernel
 * reports the waker's mask unfiltered, so a POLLIN wait on a pipe answers POLLIN|POLLRDNORM, and may carry bits that
 * were not asked for. Cancellation (io_cancel) applies to POLL only; it answers EINPROGRESS and the
 * cancelled request still completes through the completion ring.
 *
 * <p><b>Results.</b> Calls a reactor makes every turn do not throw for expected answers: {@link #submit} and
 * {@link #cancel} return {@code -errno}, {@link #getEvents} returns 0 on EINTR. Setup failures throw
 * {@link ErrnoException}.
 *
 * <p>Thread rules: any thread; a context is normally used by its shard only. The hot calls (submit, cancel,
 * getEvents, the prep helpers) do not allocate.
 */
public final class LinuxAio {
    private LinuxAio() {}

    // ---------------------------------------------------------------- system call numbers

    private static final boolean X86_64 = Native.isX86_64(System.getProperty("os.arch"));
    private static final boolean AARCH64 = "aarch64".equals(System.getProperty("os.arch"));
    /** True where this class knows the system call numbers (x86_64 and aarch64, which uses the generic table). */
    public static final boolean SUPPORTED_ARCH = X86_64 || AARCH64;

    static final long NR_IO_SETUP = X86_64 ? 206 : 0;
    static final long NR_IO_DESTROY = X86_64 ? 207 : 1;
    static final long NR_IO_GETEVENTS = X86_64 ? 208 : 4;
    static final long NR_IO_SUBMIT = X86_64 ? 209 : 2;
    static final long NR_IO_CANCEL = X86_64 ? 210 : 3;
    static final long NR_IO_PGETEVENTS = X86_64 ? 333 : 292;

    // ---------------------------------------------------------------- iocb commands and flags

    /** pread(2) into {@code aio_buf}. */
    public static final int IOCB_CMD_PREAD = 0;
    /** pwrite(2) from {@code aio_buf}. */
    public static final int IOCB_CMD_PWRITE = 1;
    /** fsync(2). */
    public static final int IOCB_CMD_FSYNC = 2;
    /** fdatasync(2). */
    public static final int IOCB_CMD_FDSYNC = 3;
    /** One-shot poll(2): {@code aio_buf} holds the events, the result is the revents. */
    public static final int IOCB_CMD_POLL = 5;
    /** Defined by the ABI but not implemented by Linux (io_submit answers EINVAL). */
    public static final int IOCB_CMD_NOOP = 6;
    /** preadv(2): {@code aio_buf} points at an iovec array, {@code aio_nbytes} is its length. */
    public static final int IOCB_CMD_PREADV = 7;
    /** pwritev(2): as {@link #IOCB_CMD_PREADV}. */
    public static final int IOCB_CMD_PWRITEV = 8;

    /** {@code aio_flags}: signal the eventfd in {@code aio_resfd} when the request completes. */
    public static final int IOCB_FLAG_RESFD = 1;
    /** {@code aio_flags}: {@code aio_reqprio} holds an ioprio value. */
    public static final int IOCB_FLAG_IOPRIO = 1 << 1;

    // ---------------------------------------------------------------- struct iocb (64 bytes)

    /** Offset of {@code __u64 aio_data}: returned untouched in the completion's {@code data}. */
    public static final long IOCB_DATA = 0;
    /** Offset of {@code __u32 aio_key}: the kernel writes its key here at submission (little-endian order). */
    public static final long IOCB_KEY = 8;
    /** Offset of {@code __kernel_rwf_t aio_rw_flags} (RWF_* per-request flags). */
    public static final long IOCB_RW_FLAGS = 12;
    /** Offset of {@code __u16 aio_lio_opcode}: an IOCB_CMD_* value. */
    public static final long IOCB_OPCODE = 16;
    /** Offset of {@code __s16 aio_reqprio}. */
    public static final long IOCB_REQPRIO = 18;
    /** Offset of {@code __u32 aio_fildes}. */
    public static final long IOCB_FILDES = 20;
    /** Offset of {@code __u64 aio_buf}: buffer address, iovec array address, or poll events. */
    public static final long IOCB_BUF = 24;
    /** Offset of {@code __u64 aio_nbytes}: byte count, or iovec count. */
    public static final long IOCB_NBYTES = 32;
    /** Offset of {@code __s64 aio_offset}: file position. */
    public static final long IOCB_OFFSET = 40;
    /** Offset of {@code __u64 aio_reserved2}: must be zero. */
    public static final long IOCB_RESERVED2 = 48;
    /** Offset of {@code __u32 aio_flags}: IOCB_FLAG_*. */
    public static final long IOCB_FLAGS = 56;
    /** Offset of {@code __u32 aio_resfd}: the eventfd of {@link #IOCB_FLAG_RESFD}. */
    public static final long IOCB_RESFD = 60;
    /** {@code sizeof(struct iocb)}. */
    public static final long IOCB_SIZE = 64;

    /** {@code struct iocb} as linux/aio_abi.h declares it on little-endian 64-bit machines, offsets explicit. */
    public static final StructLayout IOCB = MemoryLayout.structLayout(
            JAVA_LONG.withName("aio_data"),
            JAVA_INT.withName("aio_key"),
            JAVA_INT.withName("aio_rw_flags"),
            JAVA_SHORT.withName("aio_lio_opcode"),
            JAVA_SHORT.withName("aio_reqprio"),
            JAVA_INT.withName("aio_fildes"),
            JAVA_LONG.withName("aio_buf"),
            JAVA_LONG.withName("aio_nbytes"),
            JAVA_LONG.withName("aio_offset"),
            JAVA_LONG.withName("aio_reserved2"),
            JAVA_INT.withName("aio_flags"),
            JAVA_INT.withName("aio_resfd")).withName("iocb");

    // ---------------------------------------------------------------- struct io_event (32 bytes)

    /** Offset of {@code __u64 data}: the iocb's {@code aio_data}. */
    public static final long EVENT_DATA = 0;
    /** Offset of {@code __u64 obj}: the address of the iocb as submitted. */
    public static final long EVENT_OBJ = 8;
    /** Offset of {@code __s64 res}: the result (bytes, revents) or a negative errno. */
    public static final long EVENT_RES = 16;
    /** Offset of {@code __s64 res2}: secondary result, 0 for everything percore submits. */
    public static final long EVENT_RES2 = 24;
    /** {@code sizeof(struct io_event)}. */
    public static final long EVENT_SIZE = 32;

    /** {@code struct io_event}, offsets explicit. */
    public static final StructLayout IO_EVENT = MemoryLayout.structLayout(
            JAVA_LONG.withName("data"),
            JAVA_LONG.withName("obj"),
            JAVA_LONG.withName("res"),
            JAVA_LONG.withName("res2")).withName("io_event");

    /** {@code sizeof(struct iovec)} ({@code { void *iov_base; size_t iov_len; }}). */
    public static final long IOVEC_SIZE = 16;

    static {
        // The named layouts and the offset constants describe the same ABI; a typo in either fails class loading.
        check(IOCB, "aio_data", IOCB_DATA);
        check(IOCB, "aio_key", IOCB_KEY);
        check(IOCB, "aio_rw_flags", IOCB_RW_FLAGS);
        check(IOCB, "aio_lio_opcode", IOCB_OPCODE);
        check(IOCB, "aio_reqprio", IOCB_REQPRIO);
        check(IOCB, "aio_fildes", IOCB_FILDES);
        check(IOCB, "aio_buf", IOCB_BUF);
        check(IOCB, "aio_nbytes", IOCB_NBYTES);
        check(IOCB, "aio_offset", IOCB_OFFSET);
        check(IOCB, "aio_reserved2", IOCB_RESERVED2);
        check(IOCB, "aio_flags", IOCB_FLAGS);
        check(IOCB, "aio_resfd", IOCB_RESFD);
        check(IO_EVENT, "data", EVENT_DATA);
        check(IO_EVENT, "obj", EVENT_OBJ);
        check(IO_EVENT, "res", EVENT_RES);
        check(IO_EVENT, "res2", EVENT_RES2);
        if (IOCB.byteSize() != IOCB_SIZE || IO_EVENT.byteSize() != EVENT_SIZE) {
            throw new ExceptionInInitializerError("iocb/io_event sizes disagree with the kernel ABI");
        }
    }

    private static void check(StructLayout layout, String field, long offset) {
        if (layout.byteOffset(MemoryLayout.PathElement.groupElement(field)) != offset) {
            throw new ExceptionInInitializerError(layout.name().orElse("?") + "." + field + " is not at " + offset);
        }
    }

    // ---------------------------------------------------------------- bindings

    private static final Linker.Option VARIADIC = Linker.Option.firstVariadicArg(1);
    /** {@code syscall(nr, long, ptr)}: io_setup(nr_events, aio_context_t *). */
    private static final MethodHandle SYSCALL_LP = Native.downcallErrno("syscall",
            FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, ADDRESS), VARIADIC);
    /** {@code syscall(nr, long)}: io_destroy(ctx). */
    private static final MethodHandle SYSCALL_L = Native.downcallErrno("syscall",
            FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG), VARIADIC);
    /** {@code syscall(nr, long, long, ptr)}: io_submit(ctx, n, iocb **) and io_cancel(ctx, iocb *, io_event *). */
    private static final MethodHandle SYSCALL_LLP = Native.downcallErrno("syscall",
            FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, ADDRESS), VARIADIC);
    /** {@code syscall(nr, long, long, long, ptr, ptr)}: io_getevents(ctx, min_nr, nr, io_event *, timespec *). */
    private static final MethodHandle SYSCALL_LLLPP = Native.downcallErrno("syscall",
            FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, ADDRESS, ADDRESS), VARIADIC);
    /**
     * {@code syscall(nr, long, long, long, ptr, ptr, ptr)}: io_pgetevents(…, const struct __aio_sigset *); the last
     * pointer is passed as an address, as it points inside the scratch segment.
     */
    private static final MethodHandle SYSCALL_LLLPPL = Native.downcallErrno("syscall",
            FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, ADDRESS, ADDRESS, JAVA_LONG),
            VARIADIC);

    /** The kernel's {@code sizeof(sigset_t)}: 64 signals, 8 bytes on both architectures. */
    public static final long KERNEL_SIGSET_SIZE = 8;

    // ---------------------------------------------------------------- context

    /**
     * Creates an AIO context (io_setup) able to hold at least {@code maxEvents} requests in flight. Its completion
     * ring is mapped into this process at the returned address (see {@link LinuxAioRing}). Counts against the
     * system-wide {@code /proc/sys/fs/aio-max-nr}. Any thread.
     *
     * @return the context id ({@code aio_context_t}), never 0
     * @throws IllegalArgumentException when {@code maxEvents} is not positive
     * @throws ErrnoException EAGAIN when aio-max-nr would be exceeded, ENOSYS without AIO support, …
     */
    public static long setup(int maxEvents) {
        if (maxEvents <= 0) {
            throw new IllegalArgumentException("maxEvents must be positive: " + maxEvents);
        }
        if (!SUPPORTED_ARCH) {
            throw new ErrnoException(Errno.ENOSYS, "io_setup", "no system call numbers for " + System.getProperty("os.arch"));
        }
        MemorySegment ctxp = Scratch.get();
        ctxp.set(JAVA_LONG, 0, 0L); // the kernel insists on a zeroed aio_context_t
        long r;
        try {
            r = (long) SYSCALL_LP.invokeExact(Native.errnoSlot(), NR_IO_SETUP, (long) maxEvents, ctxp);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
        if (r < 0) {
            throw new ErrnoException(Native.lastErrno(), "io_setup", maxEvents + " events");
        }
        return ctxp.get(JAVA_LONG, 0);
    }

    /**
     * Destroys a context (io_destroy): cancels what can be cancelled, waits until every request has completed (so
     * no buffer is touched afterwards), and unmaps the completion ring. It takes an RCU grace period, tens of
     * milliseconds on some kernels. Any thread; the context must not be used afterwards.
     *
     * @throws ErrnoException EINVAL when {@code ctx} is not a live context of this process
     */
    public static void destroy(long ctx) {
        long r;
        try {
            r = (long) SYSCALL_L.invokeExact(Native.errnoSlot(), NR_IO_DESTROY, ctx);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
        if (r < 0) {
            throw new ErrnoException(Native.lastErrno(), "io_destroy", "context 0x" + Long.toHexString(ctx));
        }
    }

    /**
     * Submits {@code count} iocbs whose addresses are the first {@code count} longs of {@code iocbPointers}
     * (io_submit). The kernel stops at the first iocb it refuses; submit again from there to learn why.
     * Does not allocate.
     *
     * @return how many were submitted (from the first, possibly fewer than {@code count}), or {@code -errno} when
     *         the first was refused: EAGAIN (no room in the context right now), EBADF, EINVAL (bad field), …
     * @throws IndexOutOfBoundsException when {@code iocbPointers} holds fewer than {@code count} pointers
     */
    public static int submit(long ctx, MemorySegment iocbPointers, int count) {
        Objects.checkFromIndexSize(0L, count * 8L, iocbPointers.byteSize());
        long r;
        try {
            r = (long) SYSCALL_LLP.invokeExact(Native.errnoSlot(), NR_IO_SUBMIT, ctx, (long) count, iocbPointers);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
        return r < 0 ? -Native.lastErrno() : (int) r;
    }

    /**
     * Asks the kernel to cancel the in-flight request whose iocb is at {@code iocbAddress} (io_cancel). Since
     * Linux 4.18 a cancelled request always completes through the ring. Does not allocate.
     *
     * @return {@code -EINPROGRESS} when cancellation started (the completion follows), {@code -EINVAL} when the
     *         request is not cancellable or already completed (its completion is or will be in the ring), other
     *         {@code -errno} on failure, or 0 from kernels before 4.18, which completed it on the spot
     */
    public static int cancel(long ctx, long iocbAddress) {
        MemorySegment result = Scratch.get(); // old kernels write the io_event here; current ones ignore it
        long r;
        try {
            r = (long) SYSCALL_LLP.invokeExact(Native.errnoSlot(), NR_IO_CANCEL, ctx, iocbAddress, result);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
        return r < 0 ? -Native.lastErrno() : (int) r;
    }

    /**
     * Waits for completions (io_getevents) and copies up to {@code max} of them into {@code events}, an array of
     * {@link #IO_EVENT}, consuming them from the ring. Does not allocate.
     *
     * @param minNr        return as soon as this many are available (0 with a zero timeout only polls)
     * @param timeoutNanos how long to wait for {@code minNr}: negative means no limit
     * @return how many events were written; 0 when the timeout passed or a signal interrupted the wait (EINTR)
     * @throws ErrnoException e.g. EINVAL for a dead context
     */
    public static int getEvents(long ctx, int minNr, int max, MemorySegment events, long timeoutNanos) {
        Objects.checkFromIndexSize(0L, max * EVENT_SIZE, events.byteSize());
        MemorySegment timeout = MemorySegment.NULL;
        if (timeoutNanos >= 0) {
            timeout = Scratch.get();
            Structs.putTimespec(timeout, 0, timeoutNanos);
        }
        long r;
        try {
            r = (long) SYSCALL_LLLPP.invokeExact(Native.errnoSlot(), NR_IO_GETEVENTS, ctx, (long) minNr, (long) max,
                    events, timeout);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
        return waited(r, "io_getevents", ctx);
    }

    /**
     * As {@link #getEvents}, with {@code sigmask} (a kernel sigset of {@link #KERNEL_SIGSET_SIZE} bytes, or
     * {@link MemorySegment#NULL} to keep the thread's mask) installed atomically for the wait (io_pgetevents,
     * Linux 4.18+). Does not allocate.
     *
     * @throws ErrnoException ENOSYS on kernels without it
     */
    public static int pgetEvents(long ctx, int minNr, int max, MemorySegment events, long timeoutNanos,
                                 MemorySegment sigmask) {
        Objects.checkFromIndexSize(0L, max * EVENT_SIZE, events.byteSize());
        MemorySegment scratch = Scratch.get();
        MemorySegment timeout = MemorySegment.NULL;
        if (timeoutNanos >= 0) {
            timeout = scratch;
            Structs.putTimespec(scratch, 0, timeoutNanos);
        }
        // struct __aio_sigset { const sigset_t *sigmask; size_t sigsetsize; } after the timespec.
        scratch.set(JAVA_LONG, 16, sigmask.address());
        scratch.set(JAVA_LONG, 24, KERNEL_SIGSET_SIZE);
        long r;
        try {
            r = (long) SYSCALL_LLLPPL.invokeExact(Native.errnoSlot(), NR_IO_PGETEVENTS, ctx, (long) minNr, (long) max,
                    events, timeout, scratch.address() + 16);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
        return waited(r, "io_pgetevents", ctx);
    }

    private static int waited(long r, String call, long ctx) {
        if (r >= 0) {
            return (int) r;
        }
        int errno = Native.lastErrno();
        if (errno == Errno.EINTR) {
            return 0; // the caller's loop looks at its timers and queues, then waits again
        }
        throw new ErrnoException(errno, call, "context 0x" + Long.toHexString(ctx));
    }

    // ---------------------------------------------------------------- preparing iocbs (no allocation)

    /**
     * Prepares a POLL iocb at {@code offset} in {@code iocbs}: one-shot, completes with the revents once
     * {@code fd} is ready for any of {@code events} (poll(2) bits; POLLERR and POLLHUP always count).
     */
    public static void prepPoll(MemorySegment iocbs, long offset, int fd, int events, long data) {
        prep(iocbs, offset, IOCB_CMD_POLL, fd, events & 0xFFFFL, 0, 0, data);
    }

    /**
     * Prepares a PREAD of up to {@code len} bytes at file position {@code position} into the start of {@code buf},
     * which must be native and stay valid until the completion.
     *
     * @throws IllegalArgumentException when {@code buf} is not native
     * @throws IndexOutOfBoundsException when {@code len} is negative or exceeds {@code buf}
     */
    public static void prepRead(MemorySegment iocbs, long offset, int fd, MemorySegment buf, long len, long position,
                                long data) {
        prep(iocbs, offset, IOCB_CMD_PREAD, fd, bufferAddress(buf, len), len, position, data);
    }

    /** Prepares a PWRITE of {@code len} bytes from the start of {@code buf}; as {@link #prepRead}. */
    public static void prepWrite(MemorySegment iocbs, long offset, int fd, MemorySegment buf, long len, long position,
                                 long data) {
        prep(iocbs, offset, IOCB_CMD_PWRITE, fd, bufferAddress(buf, len), len, position, data);
    }

    /**
     * Prepares a PREADV into the {@code count} iovecs at the start of {@code iovecs} (each {@link #IOVEC_SIZE}
     * bytes); the array and the buffers it names must stay valid until the completion.
     */
    public static void prepReadv(MemorySegment iocbs, long offset, int fd, MemorySegment iovecs, int count,
                                 long position, long data) {
        prep(iocbs, offset, IOCB_CMD_PREADV, fd, bufferAddress(iovecs, count * IOVEC_SIZE), count, position, data);
    }

    /** Prepares a PWRITEV from {@code count} iovecs; as {@link #prepReadv}. */
    public static void prepWritev(MemorySegment iocbs, long offset, int fd, MemorySegment iovecs, int count,
                                  long position, long data) {
        prep(iocbs, offset, IOCB_CMD_PWRITEV, fd, bufferAddress(iovecs, count * IOVEC_SIZE), count, position, data);
    }

    /** Prepares an FSYNC (file data and metadata). */
    public static void prepFsync(MemorySegment iocbs, long offset, int fd, long data) {
        prep(iocbs, offset, IOCB_CMD_FSYNC, fd, 0, 0, 0, data);
    }

    /** Prepares an FDSYNC (file data and the metadata needed to read it back). */
    public static void prepFdsync(MemorySegment iocbs, long offset, int fd, long data) {
        prep(iocbs, offset, IOCB_CMD_FDSYNC, fd, 0, 0, 0, data);
    }

    /** Makes the prepared iocb at {@code offset} signal {@code eventFd} when it completes (IOCB_FLAG_RESFD). */
    public static void setResfd(MemorySegment iocbs, long offset, int eventFd) {
        iocbs.set(JAVA_INT, offset + IOCB_FLAGS, iocbs.get(JAVA_INT, offset + IOCB_FLAGS) | IOCB_FLAG_RESFD);
        iocbs.set(JAVA_INT, offset + IOCB_RESFD, eventFd);
    }

    private static void prep(MemorySegment s, long o, int opcode, int fd, long buf, long nbytes, long position,
                             long data) {
        // Every byte is written (no slice + fill, which would allocate): stale fields from a pooled iocb's last
        // use would make the kernel refuse it or, worse, act on them.
        s.set(JAVA_LONG, o + IOCB_DATA, data);
        s.set(JAVA_LONG, o + IOCB_KEY, 0L); // aio_key and aio_rw_flags
        s.set(JAVA_SHORT, o + IOCB_OPCODE, (short) opcode);
        s.set(JAVA_SHORT, o + IOCB_REQPRIO, (short) 0);
        s.set(JAVA_INT, o + IOCB_FILDES, fd);
        s.set(JAVA_LONG, o + IOCB_BUF, buf);
        s.set(JAVA_LONG, o + IOCB_NBYTES, nbytes);
        s.set(JAVA_LONG, o + IOCB_OFFSET, position);
        s.set(JAVA_LONG, o + IOCB_RESERVED2, 0L);
        s.set(JAVA_LONG, o + IOCB_FLAGS, 0L); // aio_flags and aio_resfd
    }

    private static long bufferAddress(MemorySegment buf, long len) {
        if (!buf.isNative()) {
            throw new IllegalArgumentException("the kernel needs a native segment, not a heap one");
        }
        Objects.checkFromIndexSize(0L, len, buf.byteSize());
        return buf.address();
    }

    // ---------------------------------------------------------------- reading io_events

    /** @return {@code data} (the iocb's aio_data) of entry {@code i} of an io_event array. */
    public static long eventData(MemorySegment events, int i) {
        return events.get(JAVA_LONG, i * EVENT_SIZE + EVENT_DATA);
    }

    /** @return {@code obj} (the iocb's address) of entry {@code i}. */
    public static long eventObj(MemorySegment events, int i) {
        return events.get(JAVA_LONG, i * EVENT_SIZE + EVENT_OBJ);
    }

    /** @return {@code res} of entry {@code i}: the result, or a negative errno. */
    public static long eventRes(MemorySegment events, int i) {
        return events.get(JAVA_LONG, i * EVENT_SIZE + EVENT_RES);
    }

    /** @return {@code res2} of entry {@code i}. */
    public static long eventRes2(MemorySegment events, int i) {
        return events.get(JAVA_LONG, i * EVENT_SIZE + EVENT_RES2);
    }
}
