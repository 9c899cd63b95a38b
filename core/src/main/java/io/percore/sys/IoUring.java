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
import java.lang.invoke.VarHandle;

/**
 * One io_uring instance: a submission queue (SQ) the application fills and the kernel drains, and a completion
 * queue (CQ) the kernel fills and the application drains, both shared memory mapped from the ring's descriptor.
 * Bound with the raw system calls (425 io_uring_setup, 426 io_uring_enter, 427 io_uring_register, the same
 * numbers on x86_64 and aarch64) through libc's variadic {@code syscall}: no liburing.
 *
 * <h2>Protocol</h2>
 * The application is the only producer of SQ entries and the only consumer of CQ entries. It writes an entry
 * ({@link #nextSqe()} and the writers in {@link IoUringSqe}), publishes the SQ tail with a release store, and calls
 * io_uring_enter, which consumes the entries and advances the SQ head. The kernel writes CQ entries and publishes
 * the CQ tail with a release store; the application reads the tail with an acquire load, reads the entries, and
 * hands them back by a release store of the CQ head. Those four loads and stores are the only ordering needed,
 * and they are done with acquire/release {@link VarHandle}s on the mapped memory because the kernel is the other
 * side. The SQ's indirection array is filled once with the identity, so entry {@code i} is always slot {@code i}.
 *
 * <h2>What the ring needs from the kernel</h2>
 * FEAT_SINGLE_MMAP (5.4), FEAT_NODROP (5.5: a full CQ keeps completions in the kernel rather than losing them;
 * the SQ flags then say CQ_OVERFLOW and an enter with GETEVENTS flushes them) and the opcode probe (5.6). Timed
 * waits use IORING_ENTER_EXT_ARG (5.11) when the kernel has it and an IORING_OP_TIMEOUT entry otherwise. Setup asks
 * for the newest useful flags first (SINGLE_ISSUER, DEFER_TASKRUN, COOP_TASKRUN, TASKRUN_FLAG, SUBMIT_ALL) and
 * drops them one group at a time while the kernel answers EINVAL.
 *
 * <h2>user_data</h2>
 * Callers tag entries with non-negative user_data. Negative values belong to the ring itself (its timed-wait
 * TIMEOUT entries) and are consumed by {@link #reap} without reaching the handler.
 *
 * <p>Thread rules: everything but {@link #fd()} on the creating thread only (the mappings are confined to it,
 * and with SINGLE_ISSUER the kernel refuses other submitters). Hot-path calls ({@link #nextSqe()},
 * {@link #submit()}, {@link #submitAndWait}, {@link #reap}) do not allocate.
 */
public final class IoUring implements AutoCloseable {
    /** Largest SQ the kernel accepts. */
    public static final int MAX_ENTRIES = 32768;

    /** Size of a {@code struct io_uring_cqe} in bytes: u64 user_data, s32 res, u32 flags. */
    public static final int CQE_SIZE = 16;
    /** CQE flag: the upper 16 bits of flags name a provided buffer. */
    public static final int CQE_F_BUFFER = 1;
    /** CQE flag: the request stays armed and will post more completions (multishot). */
    public static final int CQE_F_MORE = 1 << 1;
    /** CQE flag: a zero-copy send's notification: the kernel no longer reads the buffer. */
    public static final int CQE_F_NOTIF = 1 << 3;
    /** With {@link #CQE_F_BUFFER}, the provided buffer's id is {@code flags >>> CQE_BUFFER_SHIFT}. */
    public static final int CQE_BUFFER_SHIFT = 16;

    /** SQ flag: completions were held back because the CQ was full; enter with GETEVENTS to flush them. */
    public static final int SQ_CQ_OVERFLOW = 1 << 1;
    /** SQ flag: completion work is waiting for the task to enter the kernel (COOP/DEFER_TASKRUN rings). */
    public static final int SQ_TASKRUN = 1 << 2;

    /** io_uring_enter flag: wait for completions (and run pending completion work). */
    public static final int ENTER_GETEVENTS = 1;
    /** io_uring_enter flag: the argument is a {@code struct io_uring_getevents_arg}. */
    public static final int ENTER_EXT_ARG = 1 << 3;

    private static final long SYS_IO_URING_SETUP = 425, SYS_IO_URING_ENTER = 426, SYS_IO_URING_REGISTER = 427;
    private static final long IORING_REGISTER_PROBE = 8;
    private static final long IORING_REGISTER_PBUF_RING = 22, IORING_UNREGISTER_PBUF_RING = 23;
    /** {@code struct io_uring_buf_reg { u64 ring_addr; u32 ring_entries; u16 bgid; u16 flags; u64 resv[3]; }}. */
    private static final int BUF_REG_SIZE = 40, BUF_REG_ENTRIES = 8, BUF_REG_BGID = 12;
    private static final int PROBE_OPS = 256, PROBE_HEADER = 16, PROBE_OP_SIZE = 8, IO_URING_OP_SUPPORTED = 1;
    private static final long IORING_OFF_SQ_RING = 0L, IORING_OFF_SQES = 0x10000000L;
    private static final int PROT_READ = 1, PROT_WRITE = 2, MAP_SHARED = 0x01, MAP_POPULATE = 0x08000;
    /** {@code struct io_uring_getevents_arg { u64 sigmask; u32 sigmask_sz; u32 min_wait_usec; u64 ts; }}. */
    private static final int GETEVENTS_ARG_SIZE = 24, GETEVENTS_ARG_TS = 16;
    /** user_data of the ring's own TIMEOUT_REMOVE entries; TIMEOUT entries use MIN_VALUE | sequence. */
    private static final long RESERVED_IGNORE = Long.MIN_VALUE;

    private static final VarHandle INT = ValueLayout.JAVA_INT.varHandle();

    private static final MethodHandle SYSCALL_SETUP = Native.downcallErrno("syscall",
            FunctionDescriptor.of(C_LONG, C_LONG, C_LONG, C_POINTER), Linker.Option.firstVariadicArg(1));
    private static final MethodHandle SYSCALL_ENTER = Native.downcallErrno("syscall",
            FunctionDescriptor.of(C_LONG, C_LONG, C_LONG, C_LONG, C_LONG, C_LONG, C_POINTER, C_LONG),
            Linker.Option.firstVariadicArg(1));
    private static final MethodHandle SYSCALL_REGISTER = Native.downcallErrno("syscall",
            FunctionDescriptor.of(C_LONG, C_LONG, C_LONG, C_LONG, C_POINTER, C_LONG),
            Linker.Option.firstVariadicArg(1));
    private static final MethodHandle MMAP = Native.downcallErrno("mmap",
            FunctionDescriptor.of(C_POINTER, C_POINTER, C_SIZE_T, C_INT, C_INT, C_INT, C_LONG));
    private static final MethodHandle MUNMAP = Native.downcallErrno("munmap",
            FunctionDescriptor.of(C_INT, C_POINTER, C_SIZE_T));

    /** Called by {@link #reap} for every completion the caller submitted. */
    @FunctionalInterface
    public interface CompletionHandler {
        /**
         * @param userData the entry's user_data
         * @param result   the operation's result: a count, a descriptor, poll bits, or -errno
         * @param flags    {@code CQE_F_*} bits
         */
        void onCompletion(long userData, int result, int flags);
    }

    private final int fd;
    private final Arena arena;
    private final MemorySegment ring;
    private final MemorySegment sqes;
    private final MemorySegment waitArg;
    private final int setupFlags;
    private final int features;
    private final IoUringProbe probe;

    private final int sqEntries;
    private final int sqMask;
    private final long sqHeadOff;
    private final long sqTailOff;
    private final long sqFlagsOff;
    private final int cqEntries;
    private final int cqMask;
    private final long cqHeadOff;
    private final long cqTailOff;
    private final long cqOverflowOff;
    private final long cqesOff;

    /** Next SQ tail to publish: entries up to here are written but maybe not yet submitted. */
    private int sqTail;
    /** The kernel's SQ head as last read. */
    private int sqHeadSeen;
    /** Our CQ head: entries before it are consumed. */
    private int cqHead;
    /** The kernel's CQ tail as last read. */
    private int cqTailSeen;

    private boolean extArg;
    private long timeoutUserData;
    private long timeoutSeq;
    private boolean closed;

    private IoUring(int fd, Arena arena, MemorySegment params, MemorySegment ring, MemorySegment sqes,
                    MemorySegment waitArg, int setupFlags, IoUringProbe probe) {
        this.fd = fd;
        this.arena = arena;
        this.ring = ring;
        this.sqes = sqes;
        this.waitArg = waitArg;
        this.setupFlags = setupFlags;
        this.features = params.get(ValueLayout.JAVA_INT, IoUringParams.FEATURES);
        this.probe = probe;
        this.sqHeadOff = offset(params, IoUringParams.SQ_OFF_HEAD);
        this.sqTailOff = offset(params, IoUringParams.SQ_OFF_TAIL);
        this.sqFlagsOff = offset(params, IoUringParams.SQ_OFF_FLAGS);
        this.sqEntries = ring.get(ValueLayout.JAVA_INT, offset(params, IoUringParams.SQ_OFF_RING_ENTRIES));
        this.sqMask = ring.get(ValueLayout.JAVA_INT, offset(params, IoUringParams.SQ_OFF_RING_MASK));
        this.cqHeadOff = offset(params, IoUringParams.CQ_OFF_HEAD);
        this.cqTailOff = offset(params, IoUringParams.CQ_OFF_TAIL);
        this.cqOverflowOff = offset(params, IoUringParams.CQ_OFF_OVERFLOW);
        this.cqesOff = offset(params, IoUringParams.CQ_OFF_CQES);
        this.cqEntries = ring.get(ValueLayout.JAVA_INT, offset(params, IoUringParams.CQ_OFF_RING_ENTRIES));
        this.cqMask = ring.get(ValueLayout.JAVA_INT, offset(params, IoUringParams.CQ_OFF_RING_MASK));
        this.sqTail = (int) INT.getAcquire(ring, sqTailOff);
        this.sqHeadSeen = (int) INT.getAcquire(ring, sqHeadOff);
        this.cqHead = (int) INT.getAcquire(ring, cqHeadOff);
        this.cqTailSeen = cqHead;
        this.extArg = (features & IoUringParams.FEAT_EXT_ARG) != 0;
        // Identity indirection, written once: SQ slot i always holds entry i.
        long array = offset(params, IoUringParams.SQ_OFF_ARRAY);
        for (int i = 0; i < sqEntries; i++) {
            ring.set(ValueLayout.JAVA_INT, array + 4L * i, i);
        }
        waitArg.set(ValueLayout.JAVA_LONG, GETEVENTS_ARG_TS, waitArg.address() + GETEVENTS_ARG_SIZE);
    }

    private static long offset(MemorySegment params, int field) {
        return Integer.toUnsignedLong(params.get(ValueLayout.JAVA_INT, field));
    }

    /**
     * Creates a ring owned by the calling thread.
     *
     * @param sqEntries    submission entries, 1 to {@link #MAX_ENTRIES} (the kernel rounds up to a power of two)
     * @param cqEntries    completion entries, at least {@code sqEntries} (rounded up, clamped to the kernel's limit)
     * @param singleIssuer promise that only this thread will ever submit: lets the kernel use SINGLE_ISSUER and
     *                     DEFER_TASKRUN (completion work then runs only inside this thread's io_uring_enter)
     * @throws IllegalArgumentException     for sizes out of range
     * @throws IoUringUnavailableException  when the kernel has no usable io_uring (ENOSYS, EPERM, ENOMEM, no
     *                                      NODROP or probe): fall back to another backend
     * @throws ErrnoException               for other failures (EMFILE, ENFILE)
     */
    public static IoUring setup(int sqEntries, int cqEntries, boolean singleIssuer) {
        if (sqEntries < 1 || sqEntries > MAX_ENTRIES) {
            throw new IllegalArgumentException("SQ entries must be 1.." + MAX_ENTRIES + ": " + sqEntries);
        }
        if (cqEntries < sqEntries) {
            throw new IllegalArgumentException("CQ entries (" + cqEntries + ") must be at least SQ entries ("
                    + sqEntries + ")");
        }
        int base = IoUringParams.SETUP_CQSIZE | IoUringParams.SETUP_CLAMP;
        int coop = IoUringParams.SETUP_SUBMIT_ALL | IoUringParams.SETUP_TASKRUN_FLAG;
        int[] candidates = singleIssuer
                ? new int[] {
                    base | coop | IoUringParams.SETUP_SINGLE_ISSUER | IoUringParams.SETUP_DEFER_TASKRUN,
                    base | coop | IoUringParams.SETUP_SINGLE_ISSUER | IoUringParams.SETUP_COOP_TASKRUN,
                    base | coop | IoUringParams.SETUP_COOP_TASKRUN,
                    base | IoUringParams.SETUP_SUBMIT_ALL,
                    base}
                : new int[] {base | coop | IoUringParams.SETUP_COOP_TASKRUN, base | IoUringParams.SETUP_SUBMIT_ALL, base};
        Arena arena = Arena.ofConfined();
        int fd = -1;
        try {
            MemorySegment params = arena.allocate(IoUringParams.SIZE, 8);
            int flags = 0;
            int errno = 0;
            for (int candidate : candidates) {
                params.fill((byte) 0);
                params.set(ValueLayout.JAVA_INT, IoUringParams.CQ_ENTRIES, cqEntries);
                params.set(ValueLayout.JAVA_INT, IoUringParams.FLAGS, candidate);
                long r = (long) SYSCALL_SETUP.invokeExact(Native.errnoSlot(), SYS_IO_URING_SETUP, (long) sqEntries,
                        params);
                if (r >= 0) {
                    fd = (int) r;
                    flags = candidate;
                    break;
                }
                errno = Native.lastErrno();
                if (errno != Errno.EINVAL) {
                    break;
                }
            }
            if (fd < 0) {
                throw setupFailure(errno, sqEntries, cqEntries);
            }
            int features = params.get(ValueLayout.JAVA_INT, IoUringParams.FEATURES);
            if ((features & IoUringParams.FEAT_NODROP) == 0 || (features & IoUringParams.FEAT_SINGLE_MMAP) == 0) {
                throw new IoUringUnavailableException(0, "the kernel's io_uring lacks NODROP or SINGLE_MMAP "
                        + "(Linux 5.5 or later needed; features: " + IoUringParams.featureNames(features) + ")");
            }
            int sqN = params.get(ValueLayout.JAVA_INT, IoUringParams.SQ_ENTRIES);
            int cqN = params.get(ValueLayout.JAVA_INT, IoUringParams.CQ_ENTRIES);
            long sqRingSize = offset(params, IoUringParams.SQ_OFF_ARRAY) + 4L * sqN;
            long cqRingSize = offset(params, IoUringParams.CQ_OFF_CQES) + (long) CQE_SIZE * cqN;
            // SINGLE_MMAP: one mapping at the SQ ring's offset holds both rings.
            MemorySegment ring = map(fd, Math.max(sqRingSize, cqRingSize), IORING_OFF_SQ_RING, arena);
            MemorySegment sqes = map(fd, (long) IoUringSqe.SIZE * sqN, IORING_OFF_SQES, arena);
            IoUringProbe probe = probe(fd, arena);
            MemorySegment waitArg = arena.allocate(GETEVENTS_ARG_SIZE + Structs.TIMESPEC.byteSize(), 8);
            return new IoUring(fd, arena, params, ring, sqes, waitArg, flags, probe);
        } catch (Throwable t) {
            if (fd >= 0) {
                try {
                    Fd.close(fd);
                } catch (RuntimeException e) {
                    t.addSuppressed(e);
                }
            }
            arena.close();
            throw Native.rethrow(t);
        }
    }

    /** @return what a failed io_uring_setup means: "not usable here" for the errnos a fallback should follow. */
    static RuntimeException setupFailure(int errno, int sqEntries, int cqEntries) {
        return switch (errno) {
            case Errno.ENOSYS -> new IoUringUnavailableException(errno, "the kernel has no io_uring");
            case Errno.EPERM -> new IoUringUnavailableException(errno,
                    "io_uring_setup is forbidden (the kernel.io_uring_disabled sysctl or a seccomp filter)");
            case Errno.ENOMEM -> new IoUringUnavailableException(errno,
                    "the ring's memory could not be locked (raise RLIMIT_MEMLOCK on kernels before 5.12)");
            case Errno.EINVAL -> new IoUringUnavailableException(errno,
                    "the kernel refused every ring configuration percore can use");
            default -> new ErrnoException(errno, "io_uring_setup", sqEntries + " SQ / " + cqEntries + " CQ entries");
        };
    }

    private static MemorySegment map(int fd, long size, long offset, Arena arena) throws Throwable {
        MemorySegment address = (MemorySegment) MMAP.invokeExact(Native.errnoSlot(), MemorySegment.NULL, size,
                PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, offset);
        if (address.address() == -1L) {
            throw new ErrnoException(Native.lastErrno(), "mmap", "io_uring fd " + fd + " offset 0x"
                    + Long.toHexString(offset) + ", " + size + " bytes");
        }
        long at = address.address();
        return address.reinterpret(size, arena, unused -> unmap(at, size));
    }

    private static void unmap(long address, long size) {
        int r;
        try {
            r = (int) MUNMAP.invokeExact(Native.errnoSlot(), MemorySegment.ofAddress(address), size);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
        if (r < 0) {
            throw new ErrnoException(Native.lastErrno(), "munmap", "io_uring ring at 0x" + Long.toHexString(address));
        }
    }

    /** IORING_REGISTER_PROBE: which opcodes this kernel supports. The kernel wants a zeroed probe buffer. */
    private static IoUringProbe probe(int fd, Arena arena) throws Throwable {
        MemorySegment p = arena.allocate(PROBE_HEADER + (long) PROBE_OP_SIZE * PROBE_OPS, 8);
        long r = (long) SYSCALL_REGISTER.invokeExact(Native.errnoSlot(), SYS_IO_URING_REGISTER, (long) fd,
                IORING_REGISTER_PROBE, p, (long) PROBE_OPS);
        if (r < 0) {
            int errno = Native.lastErrno();
            if (errno == Errno.EINVAL) {
                throw new IoUringUnavailableException(errno, "the kernel cannot probe io_uring opcodes (Linux 5.6 or later needed)");
            }
            throw new ErrnoException(errno, "io_uring_register", "IORING_REGISTER_PROBE");
        }
        int lastOp = Byte.toUnsignedInt(p.get(ValueLayout.JAVA_BYTE, 0));
        int opsLen = Byte.toUnsignedInt(p.get(ValueLayout.JAVA_BYTE, 1));
        boolean[] supported = new boolean[opsLen];
        for (int i = 0; i < opsLen; i++) {
            long op = PROBE_HEADER + (long) PROBE_OP_SIZE * i;
            int flags = Short.toUnsignedInt(p.get(ValueLayout.JAVA_SHORT, op + 2));
            supported[i] = (flags & IO_URING_OP_SUPPORTED) != 0;
        }
        return new IoUringProbe(lastOp, supported);
    }

    /**
     * IORING_REGISTER_PBUF_RING (5.19): lends the kernel a ring of provided buffers as group {@code group}. The
     * ring memory ({@link IoUringBufRing}) must stay valid and mapped until {@link #unregisterBufferRing} or
     * {@link #close()}.
     *
     * @param ring    page-aligned native memory of {@code entries} × {@link IoUringBufRing#ENTRY_SIZE} bytes
     * @param entries a power of two, at most 32768
     * @throws ErrnoException EINVAL when the kernel has no buffer rings (before 5.19) or refuses the arguments
     */
    public void registerBufferRing(MemorySegment ring, int entries, int group) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment reg = a.allocate(BUF_REG_SIZE, 8);
            reg.set(ValueLayout.JAVA_LONG, 0, ring.address());
            reg.set(ValueLayout.JAVA_INT, BUF_REG_ENTRIES, entries);
            reg.set(ValueLayout.JAVA_SHORT, BUF_REG_BGID, (short) group);
            register(IORING_REGISTER_PBUF_RING, reg, "IORING_REGISTER_PBUF_RING group " + group);
        }
    }

    /** IORING_UNREGISTER_PBUF_RING: takes back buffer group {@code group}; the kernel no longer reads its ring. */
    public void unregisterBufferRing(int group) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment reg = a.allocate(BUF_REG_SIZE, 8);
            reg.set(ValueLayout.JAVA_SHORT, BUF_REG_BGID, (short) group);
            register(IORING_UNREGISTER_PBUF_RING, reg, "IORING_UNREGISTER_PBUF_RING group " + group);
        }
    }

    private void register(long opcode, MemorySegment arg, String what) {
        long r;
        try {
            r = (long) SYSCALL_REGISTER.invokeExact(Native.errnoSlot(), SYS_IO_URING_REGISTER, (long) fd, opcode, arg,
                    1L);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
        if (r < 0) {
            throw new ErrnoException(Native.lastErrno(), "io_uring_register", what);
        }
    }

    /** @return the ring's descriptor. Any thread. */
    public int fd() {
        return fd;
    }

    /** @return SQ entries granted (a power of two). */
    public int sqEntries() {
        return sqEntries;
    }

    /** @return CQ entries granted (a power of two). */
    public int cqEntries() {
        return cqEntries;
    }

    /** @return the {@code IORING_FEAT_*} bits the kernel reported ({@link IoUringParams}). */
    public int features() {
        return features;
    }

    /** @return the {@code IORING_SETUP_*} flags the kernel accepted ({@link IoUringParams}). */
    public int setupFlags() {
        return setupFlags;
    }

    /** @return the kernel's supported opcodes, probed at setup. */
    public IoUringProbe probe() {
        return probe;
    }

    /** @return true when timed waits use IORING_ENTER_EXT_ARG; false when they submit a TIMEOUT entry. */
    public boolean usesExtArg() {
        return extArg;
    }

    /**
     * Makes timed waits submit an IORING_OP_TIMEOUT entry even though the kernel has EXT_ARG: what kernels
     * before 5.11 need. Exists so that path can be exercised on a newer kernel.
     */
    public void useTimeoutSqeForWaits() {
        extArg = false;
    }

    /** @return the SQ flags word ({@link #SQ_CQ_OVERFLOW}, {@link #SQ_TASKRUN}). */
    public int sqFlags() {
        return (int) INT.getAcquire(ring, sqFlagsOff);
    }

    /** @return completions the kernel lost to a full CQ; stays 0 with NODROP, which every ring here has. */
    public int cqOverflow() {
        return (int) INT.getAcquire(ring, cqOverflowOff);
    }

    /** @return the SQE array; entries sit at the offsets {@link #nextSqe()} returns. */
    public MemorySegment sqes() {
        return sqes;
    }

    /**
     * Claims the next submission entry and zeroes it.
     *
     * @return its byte offset in {@link #sqes()}, or -1 when the SQ is full (submit, then ask again)
     */
    public long nextSqe() {
        int tail = sqTail;
        if (tail - sqHeadSeen == sqEntries) {
            sqHeadSeen = (int) INT.getAcquire(ring, sqHeadOff);
            if (tail - sqHeadSeen == sqEntries) {
                return -1;
            }
        }
        sqTail = tail + 1;
        long sqe = (long) (tail & sqMask) * IoUringSqe.SIZE;
        for (int i = 0; i < IoUringSqe.SIZE; i += Long.BYTES) {
            sqes.set(ValueLayout.JAVA_LONG, sqe + i, 0L);
        }
        return sqe;
    }

    /** @return entries written but not yet taken by the kernel. */
    public int pendingSubmissions() {
        return sqTail - (int) INT.getAcquire(ring, sqHeadOff);
    }

    /** @return completions waiting in the CQ. */
    public int completionsReady() {
        return (int) INT.getAcquire(ring, cqTailOff) - cqHead;
    }

    /**
     * @return true when an io_uring_enter would do something: entries wait for submission, completions wait to
     *         be flushed from the kernel's overflow list, or completion work waits for this thread
     */
    public boolean needsEnter() {
        return sqTail != (int) INT.getAcquire(ring, sqHeadOff) || (sqFlags() & (SQ_CQ_OVERFLOW | SQ_TASKRUN)) != 0;
    }

    /** Publishes the SQ tail and returns how many entries the kernel has not consumed yet. */
    private int publish() {
        INT.setRelease(ring, sqTailOff, sqTail);
        int head = (int) INT.getAcquire(ring, sqHeadOff);
        sqHeadSeen = head;
        return sqTail - head;
    }

    /** @return io_uring_enter's result, or -errno. */
    private int enter(int toSubmit, int minComplete, int flags, MemorySegment arg, long argSize) {
        long r;
        try {
            r = (long) SYSCALL_ENTER.invokeExact(Native.errnoSlot(), SYS_IO_URING_ENTER, (long) fd, (long) toSubmit,
                    (long) minComplete, (long) flags, arg, argSize);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
        return r >= 0 ? (int) r : -Native.lastErrno();
    }

    /**
     * Submits every written entry without waiting; also flushes held-back completions and runs completion work
     * waiting for this thread when the SQ flags ask for it.
     *
     * @return entries the kernel took; fewer than written when it answered EAGAIN or EBUSY (out of memory for
     *         requests, or completions must be reaped first): reap, then submit again
     * @throws ErrnoException for failures that mean a bug (EBADF, EFAULT…)
     */
    public int submit() {
        int flags = (sqFlags() & (SQ_CQ_OVERFLOW | SQ_TASKRUN)) != 0 ? ENTER_GETEVENTS : 0;
        int total = 0;
        for (;;) {
            int pending = publish();
            if (pending == 0 && flags == 0) {
                return total;
            }
            int r = enter(pending, 0, flags, MemorySegment.NULL, 0);
            if (r < 0) {
                if (r == -Errno.EINTR) {
                    continue;
                }
                if (r == -Errno.EAGAIN || r == -Errno.EBUSY) {
                    return total;
                }
                throw new ErrnoException(-r, "io_uring_enter", "submitting " + pending + " entries on ring " + fd);
            }
            total += r;
            flags = 0;
            // Fewer taken than offered: an entry failed at submission (its error is in the CQ); offer the rest.
            if (r == 0 || r >= pending) {
                return total;
            }
        }
    }

    /**
     * Submits every written entry and waits until at least one completion is in the CQ, the timeout passes, or a
     * signal interrupts. Returns at once when completions are already there.
     *
     * @param timeoutNanos how long at most; 0 only submits; negative waits without limit
     * @throws ErrnoException for failures that mean a bug
     */
    public void submitAndWait(long timeoutNanos) {
        if (timeoutNanos == 0) {
            submit();
            return;
        }
        MemorySegment arg = MemorySegment.NULL;
        long argSize = 0;
        int flags = ENTER_GETEVENTS;
        if (timeoutNanos > 0) {
            if (extArg) {
                Structs.putTimespec(waitArg, GETEVENTS_ARG_SIZE, timeoutNanos);
                arg = waitArg;
                argSize = GETEVENTS_ARG_SIZE;
                flags |= ENTER_EXT_ARG;
            } else if (!armTimeout(timeoutNanos)) {
                // No room for the TIMEOUT entry even after submitting: return rather than wait unbounded.
                submit();
                return;
            }
        }
        boolean timeoutEntry = timeoutNanos > 0 && !extArg;
        for (;;) {
            int pending = publish();
            int r = enter(pending, 1, flags, arg, argSize);
            if (r < 0 && r != -Errno.EINTR && r != -Errno.ETIME && r != -Errno.EAGAIN && r != -Errno.EBUSY) {
                throw new ErrnoException(-r, "io_uring_enter", "waiting on ring " + fd);
            }
            // Without EXT_ARG the ring's own entries (removing an older TIMEOUT) also end the wait: drop them,
            // and wait on unless a caller's completion or our TIMEOUT arrived.
            if (!timeoutEntry || r == -Errno.EINTR || !skipInternalCompletions() || timeoutUserData == 0) {
                return;
            }
        }
    }

    /**
     * Consumes the ring's own completions at the head of the CQ.
     *
     * @return true when the CQ is then empty
     */
    private boolean skipInternalCompletions() {
        for (;;) {
            int head = cqHead;
            if (head == cqTailSeen) {
                cqTailSeen = (int) INT.getAcquire(ring, cqTailOff);
                if (head == cqTailSeen) {
                    return true;
                }
            }
            long userData = ring.get(ValueLayout.JAVA_LONG, cqesOff + (long) (head & cqMask) * CQE_SIZE);
            if (userData >= 0) {
                return false;
            }
            if (userData == timeoutUserData) {
                timeoutUserData = 0;
            }
            cqHead = head + 1;
            INT.setRelease(ring, cqHeadOff, head + 1);
        }
    }

    /**
     * Queues a pure TIMEOUT entry for a wait without EXT_ARG, first removing the previous one if it has not
     * completed (a wait that ended early leaves it armed).
     *
     * @return false when the SQ has no room for it
     */
    private boolean armTimeout(long timeoutNanos) {
        int needed = timeoutUserData != 0 ? 2 : 1;
        if (sqEntries - (sqTail - sqHeadSeen) < needed) {
            submit();
            sqHeadSeen = (int) INT.getAcquire(ring, sqHeadOff);
            if (sqEntries - (sqTail - sqHeadSeen) < needed) {
                return false;
            }
        }
        if (timeoutUserData != 0) {
            IoUringSqe.timeoutRemove(sqes, nextSqe(), timeoutUserData, RESERVED_IGNORE);
        }
        Structs.putTimespec(waitArg, GETEVENTS_ARG_SIZE, timeoutNanos);
        timeoutUserData = RESERVED_IGNORE | ++timeoutSeq;
        IoUringSqe.timeout(sqes, nextSqe(), waitArg.address() + GETEVENTS_ARG_SIZE, timeoutUserData);
        return true;
    }

    /**
     * Consumes up to {@code max} completions, handing each one the caller submitted to {@code handler}. Each
     * entry is released to the kernel before the handler runs, so a handler may submit, and may even call
     * {@code reap} again, without seeing an entry twice.
     *
     * @return completions handed to {@code handler}
     */
    public int reap(CompletionHandler handler, int max) {
        int n = 0;
        while (n < max) {
            int head = cqHead;
            if (head == cqTailSeen) {
                cqTailSeen = (int) INT.getAcquire(ring, cqTailOff);
                if (head == cqTailSeen) {
                    break;
                }
            }
            long cqe = cqesOff + (long) (head & cqMask) * CQE_SIZE;
            long userData = ring.get(ValueLayout.JAVA_LONG, cqe);
            int result = ring.get(ValueLayout.JAVA_INT, cqe + 8);
            int flags = ring.get(ValueLayout.JAVA_INT, cqe + 12);
            cqHead = head + 1;
            INT.setRelease(ring, cqHeadOff, head + 1);
            if (userData < 0) {
                if (userData == timeoutUserData) {
                    timeoutUserData = 0;
                }
                continue;
            }
            n++;
            handler.onCompletion(userData, result, flags);
        }
        return n;
    }

    /**
     * Closes the ring: the kernel cancels what is still in flight, and the mappings are removed. Owner thread;
     * idempotent. The caller must have waited for the completions of operations whose memory it frees.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            Fd.close(fd);
        } finally {
            arena.close();
        }
    }

    @Override
    public String toString() {
        return "io_uring fd " + fd + " (" + sqEntries + " SQ / " + cqEntries + " CQ entries; setup "
                + IoUringParams.setupFlagNames(setupFlags) + "; features " + IoUringParams.featureNames(features) + ")";
    }
}
