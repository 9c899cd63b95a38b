package io.percore.reactor.uring;

import io.percore.core.Future;
import io.percore.core.Promise;
import io.percore.memory.Buffer;
import io.percore.reactor.FdClosedException;
import io.percore.reactor.FileOps;
import io.percore.reactor.PollableFd;
import io.percore.reactor.ReactorBackend;
import io.percore.reactor.Readiness;
import io.percore.reactor.SocketOps;
import io.percore.sys.Errno;
import io.percore.sys.ErrnoException;
import io.percore.sys.EventFd;
import io.percore.sys.Fd;
import io.percore.sys.IoUring;
import io.percore.sys.IoUringOpcode;
import io.percore.sys.IoUringParams;
import io.percore.sys.IoUringProbe;
import io.percore.sys.IoUringSqe;
import io.percore.sys.IoUringUnavailableException;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The io_uring backend: one ring per shard (1024 submission entries, 4096 completion entries by default), with
 * an eventfd that other shards ring to end an idle sleep. See the package documentation for the design.
 *
 * <p>Operations are written into the SQ as they are asked for and submitted together once per reactor turn, by
 * {@link #poll()} or {@link #sleep(long)}, or earlier when the SQ fills. Each operation takes a pooled
 * {@link PendingOp} whose slot is its user_data; the completion finds it there and resolves its promise. A
 * completion resolves promises from inside {@code poll}/{@code sleep}; their continuations run as tasks.
 *
 * <p>Thread rules: {@link #wakeup()} from any thread; everything else on the platform thread that created the
 * backend, its shard (the ring is single-issuer, so the kernel refuses submissions from any other thread, and its
 * mappings are confined to that thread).
 */
public final class IoUringBackend implements ReactorBackend {
    private static final Logger LOG = LoggerFactory.getLogger(IoUringBackend.class);

    /** Default submission queue size. */
    public static final int DEFAULT_SQ_ENTRIES = 1024;
    /** Default completion queue size: room for many more operations in flight than one turn submits. */
    public static final int DEFAULT_CQ_ENTRIES = 4096;

    /** user_data of the wake-up eventfd's poll. */
    private static final long WAKE = 1;
    /** user_data of entries whose completions mean nothing (cancels, abandoned entries). */
    private static final long IGNORE = 2;
    /** Operations' user_data is this plus their slot, so a zeroed entry (user_data 0) can never match one. */
    private static final long OP_BASE = 1L << 32;

    /** How long forget and close wait for the kernel to confirm cancellations; sockets confirm at once. */
    private static final long CANCEL_WAIT_NANOS = 2_000_000_000L;

    /** Opcodes every percore operation needs; all are in Linux 5.6, the oldest kernel with the probe. */
    private static final int[] REQUIRED = {IoUringOpcode.NOP, IoUringOpcode.POLL_ADD, IoUringOpcode.ASYNC_CANCEL,
        IoUringOpcode.TIMEOUT, IoUringOpcode.TIMEOUT_REMOVE, IoUringOpcode.READ, IoUringOpcode.WRITE,
        IoUringOpcode.FSYNC, IoUringOpcode.SEND, IoUringOpcode.RECV, IoUringOpcode.SENDMSG, IoUringOpcode.RECVMSG,
        IoUringOpcode.ACCEPT, IoUringOpcode.CONNECT};

    /** System property: {@code false} turns multishot receives into provided buffers off (single RECV per read). */
    public static final String PROP_RECV_MULTISHOT = "percore.io_uring.recv-multishot";
    /** System property: how many provided receive buffers a shard has (a power of two; default 256). */
    public static final String PROP_RECV_BUFFERS = "percore.io_uring.recv-buffers";
    /** System property: the size of each provided receive buffer in bytes (default 16384). */
    public static final String PROP_RECV_BUFFER_SIZE = "percore.io_uring.recv-buffer-size";
    /** System property: the smallest send made with SEND_ZC, in bytes; 0 (the default) never uses it. */
    public static final String PROP_SEND_ZC_THRESHOLD = "percore.io_uring.send-zc-threshold";

    /** Default count of provided receive buffers per shard. */
    public static final int DEFAULT_RECV_BUFFERS = 256;
    /** Default size of a provided receive buffer. */
    public static final int DEFAULT_RECV_BUFFER_SIZE = 16 << 10;

    /** Each fallback from a missing kernel feature is logged once per process, not once per shard. */
    private static final AtomicBoolean LOGGED_NO_RECV_MULTISHOT = new AtomicBoolean();
    private static final AtomicBoolean LOGGED_NO_SEND_ZC = new AtomicBoolean();

    private final IoUring ring;
    private final MemorySegment sqes;
    private final EventFd wake;
    private final boolean multishotAccept;
    /** The kernel has multishot RECV and SEND_ZC (6.0; buffer rings are 5.19). */
    private final boolean kernelHas60;
    private boolean receiveStreams;
    private int recvBufferCount = Integer.getInteger(PROP_RECV_BUFFERS, DEFAULT_RECV_BUFFERS);
    private int recvBufferSize = Integer.getInteger(PROP_RECV_BUFFER_SIZE, DEFAULT_RECV_BUFFER_SIZE);
    private int zeroCopyThreshold;
    /** Made on the first receive stream; null before, and when receive streams are off. */
    private BufferRing bufferRing;
    private final IoUring.CompletionHandler dispatcher = this::complete;
    private final IoUringSocketOps socketOps = new IoUringSocketOps(this);
    private final IoUringFileOps fileOps = new IoUringFileOps(this);
    private final int reapBatch;
    private boolean wakeMultishot;
    private boolean closed;

    private PendingOp[] ops = new PendingOp[64];
    private int[] freeSlots = new int[64];
    private int freeCount;
    private int slotsUsed;
    private int inFlight;

    private long completions;
    private long earlySubmissions;
    private long earlyFileSubmissions;
    /** File reads and writes put in the SQ since the last submission: at {@link FileOps#SUBMIT_BATCH} they go in. */
    private int queuedFileOps;
    /** File reads and writes started and not completed (queued in the SQ or in the kernel). */
    private int fileOpsOutstanding;
    private long zeroCopySends;
    private long zeroCopyNotifications;

    private IoUringBackend(IoUring ring, EventFd wake) {
        this.ring = ring;
        this.sqes = ring.sqes();
        this.wake = wake;
        this.reapBatch = ring.cqEntries();
        // No feature bit announces multishot POLL_ADD (5.13); RSRC_TAGS arrived in the same release.
        this.wakeMultishot = (ring.features() & IoUringParams.FEAT_RSRC_TAGS) != 0;
        // Nor multishot ACCEPT (5.19); IORING_OP_SOCKET arrived in the same release.
        this.multishotAccept = ring.probe().supports(IoUringOpcode.SOCKET);
        // Multishot RECV (6.0) has no opcode of its own either; SEND_ZC arrived in the same release.
        this.kernelHas60 = ring.probe().supports(IoUringOpcode.SEND_ZC);
        boolean wantStreams = !"false".equalsIgnoreCase(System.getProperty(PROP_RECV_MULTISHOT, "true"));
        this.receiveStreams = wantStreams && kernelHas60;
        if (wantStreams && !kernelHas60 && LOGGED_NO_RECV_MULTISHOT.compareAndSet(false, true)) {
            LOG.info("io_uring: this kernel has no multishot receive with provided buffers (Linux 6.0 needed); "
                    + "sockets use one RECV per read");
        }
        int zc = Integer.getInteger(PROP_SEND_ZC_THRESHOLD, 0);
        this.zeroCopyThreshold = zc > 0 && kernelHas60 ? zc : 0;
        if (zc > 0 && !kernelHas60 && LOGGED_NO_SEND_ZC.compareAndSet(false, true)) {
            LOG.info("io_uring: this kernel has no SEND_ZC (Linux 6.0 needed); sends copy");
        }
    }

    /**
     * Creates a backend with {@link #DEFAULT_SQ_ENTRIES} and {@link #DEFAULT_CQ_ENTRIES} for the calling thread,
     * which becomes its owner.
     *
     * @throws IoUringUnavailableException when this kernel or sandbox cannot run it: fall back to epoll
     */
    public static IoUringBackend create() {
        return create(DEFAULT_SQ_ENTRIES, DEFAULT_CQ_ENTRIES);
    }

    /**
     * Creates a backend with the given ring sizes for the calling thread, which becomes its owner.
     *
     * @param sqEntries submission entries (1 to 32768; rounded up to a power of two)
     * @param cqEntries completion entries, at least {@code sqEntries}
     * @throws IoUringUnavailableException when this kernel or sandbox cannot run it: fall back to epoll
     */
    public static IoUringBackend create(int sqEntries, int cqEntries) {
        return create(sqEntries, cqEntries, false);
    }

    /** As {@link #create(int, int)}; {@code timeoutSqeWaits} forces the pre-5.11 timed-wait path, for its tests. */
    static IoUringBackend create(int sqEntries, int cqEntries, boolean timeoutSqeWaits) {
        IoUring ring = IoUring.setup(sqEntries, cqEntries, true);
        EventFd wake = null;
        try {
            IoUringProbe probe = ring.probe();
            for (int op : REQUIRED) {
                if (!probe.supports(op)) {
                    throw new IoUringUnavailableException(0, "the kernel's io_uring lacks IORING_OP_"
                            + IoUringOpcode.name(op) + " (Linux 5.6 or later needed)");
                }
            }
            if (timeoutSqeWaits) {
                ring.useTimeoutSqeForWaits();
            }
            wake = EventFd.create();
            IoUringBackend backend = new IoUringBackend(ring, wake);
            backend.armWake();
            ring.submit();
            return backend;
        } catch (RuntimeException | Error e) {
            if (wake != null) {
                wake.close();
            }
            ring.close();
            throw e;
        }
    }

    @Override
    public String name() {
        return "io_uring";
    }

    // ---------------------------------------------------------------- the reactor's calls

    /**
     * {@inheritDoc}
     *
     * <p>Enters the kernel only when entries are queued or the kernel flagged completion work for this thread;
     * otherwise it only reads the CQ tail.
     *
     * @return true when an operation completed (wake-ups and cancellations do not count)
     */
    @Override
    public boolean poll() {
        queuedFileOps = 0;
        if (bufferRing != null && bufferRing.needsService()) {
            bufferRing.service();
        }
        if (ring.needsEnter()) {
            submitNow();
        }
        long before = completions;
        reap();
        return completions != before;
    }

    @Override
    public void sleep(long timeoutNanos) {
        queuedFileOps = 0;
        if (bufferRing != null && bufferRing.needsService()) {
            bufferRing.service();
        }
        // Completions already there (a wake-up included) end the sleep before it starts.
        if (ring.completionsReady() == 0) {
            ring.submitAndWait(timeoutNanos);
        } else if (ring.needsEnter()) {
            submitNow();
        }
        reap();
    }

    @Override
    public void wakeup() {
        wake.signal();
    }

    private void submitNow() {
        int pending = ring.pendingSubmissions();
        int taken = ring.submit();
        if (taken < pending) {
            // EBUSY/EAGAIN: the kernel wants its completions reaped first; the rest goes out next turn.
            reap();
        }
    }

    private int reap() {
        return ring.reap(dispatcher, reapBatch);
    }

    /**
     * Counts a file read or write just put in the SQ, and submits the SQ at once while the kernel holds fewer than
     * {@link FileOps#SUBMIT_BATCH} file requests, else when that many wait: the device starts on them while the
     * turn prepares the next ones. What the kernel does not take now goes with the turn's own submission.
     */
    void fileOpQueued() {
        fileOpsOutstanding++;
        queuedFileOps++;
        int inKernel = fileOpsOutstanding - queuedFileOps;
        if (FileOps.SUBMIT_BATCH > 0 && (inKernel < FileOps.SUBMIT_BATCH || queuedFileOps >= FileOps.SUBMIT_BATCH)) {
            queuedFileOps = 0;
            earlyFileSubmissions++;
            ring.submit();
        }
    }

    /** @return the offset of a free, zeroed SQE; submits what is queued first when the SQ is full. */
    long sqe() {
        long sqe = ring.nextSqe();
        return sqe >= 0 ? sqe : sqeAfterSubmitting();
    }

    private long sqeAfterSubmitting() {
        for (int attempt = 0; ; attempt++) {
            earlySubmissions++;
            ring.submit();
            long sqe = ring.nextSqe();
            if (sqe >= 0) {
                return sqe;
            }
            // The kernel took nothing (EBUSY/EAGAIN): completions must leave the CQ before it takes more.
            reap();
            if (attempt == 1000) {
                throw new ErrnoException(Errno.EBUSY, "io_uring_enter", "the SQ stays full; the kernel takes no entries");
            }
            if (attempt > 10) {
                Thread.yield();
            }
        }
    }

    MemorySegment sqes() {
        return sqes;
    }

    /** Turns a claimed entry that will not be used into a NOP whose completion is ignored. */
    void abandon(long sqe) {
        IoUringSqe.nop(sqes, sqe, IGNORE);
    }

    // ---------------------------------------------------------------- the wake-up eventfd

    private void armWake() {
        IoUringSqe.pollAdd(sqes, sqe(), wake.fd(), Readiness.IN, wakeMultishot, WAKE);
    }

    private void onWake(int result, int flags) {
        if (result < 0) {
            if (result == -Errno.EINVAL && wakeMultishot) {
                wakeMultishot = false; // a kernel before 5.13 after all: one-shot polls, re-armed per wake
                armWake();
                return;
            }
            throw new ErrnoException(-result, "io_uring POLL_ADD", "wake-up eventfd " + wake.fd());
        }
        wake.drain();
        if ((flags & IoUring.CQE_F_MORE) == 0) {
            armWake();
        }
    }

    // ---------------------------------------------------------------- operations

    /** Takes a pooled operation for {@code opcode} on {@code fd}. */
    PendingOp acquire(byte kind, int opcode, int fd) {
        int slot;
        if (freeCount > 0) {
            slot = freeSlots[--freeCount];
        } else {
            slot = slotsUsed++;
            if (slot == ops.length) {
                ops = Arrays.copyOf(ops, slot * 2);
                freeSlots = Arrays.copyOf(freeSlots, slot * 2);
            }
        }
        PendingOp op = ops[slot];
        if (op == null) {
            op = new PendingOp(slot, OP_BASE + slot);
            ops[slot] = op;
        }
        op.inUse = true;
        op.kind = kind;
        op.opcode = opcode;
        op.fd = fd;
        inFlight++;
        return op;
    }

    private void release(PendingOp op) {
        op.clear();
        freeSlots[freeCount++] = op.slot;
        inFlight--;
    }

    /**
     * Starts an operation on {@code fd} in the claimed entry {@code sqe}: a pooled op with a new promise, linked
     * to the descriptor so forget finds it.
     *
     * @return the op, or null when {@code fd} is forgotten (the entry is then abandoned)
     */
    PendingOp startOnFd(PollableFd fd, long sqe, int opcode, Object keep, Object keep2) {
        if (fd.isForgotten()) {
            abandon(sqe);
            return null;
        }
        PendingOp op = acquire(PendingOp.KIND_CALL, opcode, fd.fd());
        op.promise = new Promise<>();
        op.keep = keep;
        op.keep2 = keep2;
        stateOf(fd).link(op);
        return op;
    }

    /** Starts an operation tied to no PollableFd (files, NOP): forget does not reach it, close does. */
    PendingOp start(int opcode, int fd, Object keep) {
        PendingOp op = acquire(PendingOp.KIND_CALL, opcode, fd);
        op.promise = new Promise<>();
        op.keep = keep;
        return op;
    }

    private static FdState stateOf(PollableFd fd) {
        FdState st = (FdState) fd.backendState;
        if (st == null) {
            st = new FdState(fd);
            fd.backendState = st;
        }
        return st;
    }

    /** The completion of every entry this backend submitted. */
    private void complete(long userData, int result, int flags) {
        if (userData < OP_BASE) {
            if (userData == WAKE) {
                onWake(result, flags);
            }
            return;
        }
        PendingOp op = ops[(int) (userData - OP_BASE)];
        completions++;
        if (op.kind == PendingOp.KIND_MULTISHOT_RECV) {
            completeRecv(op, result, flags);
            return;
        }
        if (op.kind == PendingOp.KIND_SEND_ZC) {
            completeSendZc(op, result, flags);
            return;
        }
        if (op.kind == PendingOp.KIND_MULTISHOT_ACCEPT) {
            MultishotAccept accept = op.accept;
            boolean cancelled = op.cancelled;
            boolean more = (flags & IoUring.CQE_F_MORE) != 0;
            if (!more) {
                if (op.fdState != null) {
                    op.fdState.unlink(op);
                }
                release(op);
            }
            if (cancelled) {
                if (result >= 0) {
                    closeQuietly(result); // its listener was forgotten or the backend closed: nobody takes it
                }
            } else {
                accept.onCompletion(op, result, more);
            }
            return;
        }
        Promise<Integer> promise = op.promise;
        boolean cancelled = op.cancelled;
        int opcode = op.opcode;
        if (opcode == IoUringOpcode.READ || opcode == IoUringOpcode.WRITE) {
            fileOpsOutstanding--; // only IoUringFileOps issues READ and WRITE
        }
        int fd = op.fd;
        if (op.fdState != null) {
            op.fdState.unlink(op);
        }
        // Released before the promise resolves: code run by the resolution may start operations at once.
        release(op);
        if (cancelled) {
            if (opcode == IoUringOpcode.ACCEPT && result >= 0) {
                closeQuietly(result); // accepted after its listener was forgotten: nobody will take it
            }
            return;
        }
        if (result >= 0) {
            promise.setValue(result);
        } else {
            promise.setException(new ErrnoException(-result, "io_uring " + IoUringOpcode.name(opcode), "fd " + fd));
        }
    }

    /** A completion of a multishot receive: data in a ring buffer, end of stream, or why it ended. */
    private void completeRecv(PendingOp op, int result, int flags) {
        MultishotRecv recv = op.recv;
        boolean cancelled = op.cancelled;
        boolean more = (flags & IoUring.CQE_F_MORE) != 0;
        if (!more) {
            if (op.fdState != null) {
                op.fdState.unlink(op);
            }
            release(op);
        }
        Buffer data = null;
        if ((flags & IoUring.CQE_F_BUFFER) != 0) {
            int bid = flags >>> IoUring.CQE_BUFFER_SHIFT;
            if (cancelled || result <= 0) {
                bufferRing.putBack(bid); // nobody will read it: straight back to the kernel
            } else {
                data = bufferRing.lend(bid, result);
            }
        }
        if (!cancelled) {
            recv.onCompletion(op, result, more, data);
        }
    }

    /**
     * A completion of a SEND_ZC: first the result (with CQE_F_MORE when a notification follows), then the
     * notification. The operation leaves its descriptor's list with the result, so forgetting the descriptor
     * does not wait for notifications, which TCP sends only once the peer acknowledged the data; the buffer
     * stays held by {@code onKernelDone} until then.
     */
    private void completeSendZc(PendingOp op, int result, int flags) {
        if ((flags & IoUring.CQE_F_NOTIF) != 0) {
            zeroCopyNotifications++;
            Runnable done = op.onKernelDone;
            release(op);
            done.run();
            return;
        }
        Promise<Integer> promise = op.promise;
        boolean cancelled = op.cancelled;
        int fd = op.fd;
        op.promise = null;
        if (op.fdState != null) {
            op.fdState.unlink(op);
        }
        if ((flags & IoUring.CQE_F_MORE) == 0) {
            Runnable done = op.onKernelDone;
            release(op);
            done.run();
        }
        if (cancelled || promise == null) {
            return;
        }
        if (result >= 0) {
            promise.setValue(result);
        } else {
            promise.setException(new ErrnoException(-result, "io_uring SEND_ZC", "fd " + fd));
        }
    }

    static void closeQuietly(int fd) {
        try {
            Fd.close(fd);
        } catch (ErrnoException e) {
            LOG.debug("closing fd {} failed: {}", fd, e.getMessage());
        }
    }

    /** Asks the kernel to cancel {@code op}; its completion still arrives and releases it. */
    void cancel(PendingOp op) {
        IoUringSqe.cancel(sqes, sqe(), op.userData, IGNORE);
    }

    /** From now on {@code op}'s results are dropped (a descriptor it yields is closed); forget waits for it. */
    void markCancelled(PendingOp op) {
        op.cancelled = true;
        if (op.fdState != null) {
            op.fdState.cancelling++;
        }
    }

    // ---------------------------------------------------------------- readiness

    /**
     * {@inheritDoc}
     *
     * <p>Each wait is a one-shot IORING_OP_POLL_ADD, which reports readiness that is already there at once (level
     * semantics: nothing is cached between waits). Asking for IN also reports PRI and RDHUP, as epoll's does.
     */
    @Override
    public Future<Integer> pollReady(PollableFd fd, int events) {
        boolean in = (events & (Readiness.IN | Readiness.PRI | Readiness.RDHUP)) != 0;
        boolean out = (events & Readiness.OUT) != 0;
        if (!in && !out) {
            return Future.failed(new IllegalArgumentException("no readiness asked for (events 0x"
                    + Integer.toHexString(events) + ") on " + fd));
        }
        // Claim the entry first: claiming may reap completions, which can end earlier waits or forget fd.
        long sqe = sqe();
        Future<Integer> refused = null;
        FdState st = fd.isForgotten() ? null : stateOf(fd);
        if (st == null) {
            refused = Future.failed(new FdClosedException(fd));
        } else if (in && st.pollIn != null) {
            refused = Future.failed(new IllegalStateException("a read-readiness wait is already pending on " + fd));
        } else if (out && st.pollOut != null) {
            refused = Future.failed(new IllegalStateException("a write-readiness wait is already pending on " + fd));
        }
        if (refused != null) {
            abandon(sqe);
            return refused;
        }
        PendingOp op = startOnFd(fd, sqe, IoUringOpcode.POLL_ADD, null, null);
        int mask = (in ? Readiness.IN | Readiness.PRI | Readiness.RDHUP : 0) | (out ? Readiness.OUT : 0);
        IoUringSqe.pollAdd(sqes, sqe, fd.fd(), mask, false, op.userData);
        if (in) {
            st.pollIn = op;
        }
        if (out) {
            st.pollOut = op;
        }
        return op.promise;
    }

    /**
     * {@inheritDoc}
     *
     * <p>Each pending operation on {@code fd} gets an IORING_OP_ASYNC_CANCEL, and this method waits until the
     * kernel has delivered every such operation's completion (for socket operations, which the kernel cancels at
     * once, one io_uring_enter), so a failed future means the kernel no longer touches its buffers. Only then do
     * the futures fail with {@link FdClosedException}. If the kernel has not finished within two seconds the
     * operations stay in the table, holding their buffers, until it does; that is logged.
     */
    @Override
    public void forget(PollableFd fd) {
        if (fd.isForgotten()) {
            return;
        }
        fd.markForgotten();
        FdState st = (FdState) fd.backendState;
        fd.backendState = null;
        if (st == null || st.pending == 0) {
            return;
        }
        FdClosedException closedEx = new FdClosedException(fd);
        // Snapshot first: claiming cancel entries may reap completions that unlink ops from the list.
        PendingOp[] snapshot = new PendingOp[st.pending];
        int n = 0;
        for (PendingOp op = st.head; op != null; op = op.nextOnFd) {
            snapshot[n++] = op;
        }
        Object[] waiters = new Object[n];
        for (int i = 0; i < n; i++) {
            PendingOp op = snapshot[i];
            if (!op.cancelled) { // some may have been cancelled already (a closed multishot accept)
                markCancelled(op);
                waiters[i] = waiterOf(op);
                op.promise = null;
            }
        }
        for (int i = 0; i < n; i++) {
            PendingOp op = snapshot[i];
            if (op.fdState == st) { // still in flight
                cancel(op);
            }
        }
        awaitCancelled(st, fd);
        for (Object w : waiters) {
            if (w instanceof MultishotAccept accept) {
                accept.onForgotten(closedEx);
            } else if (w instanceof MultishotRecv recv) {
                recv.onForgotten(closedEx);
            } else if (w instanceof Promise<?> p) {
                p.trySetException(closedEx);
            }
        }
    }

    /** @return who learns that {@code op} was cancelled: its promise, or its multishot owner. */
    private static Object waiterOf(PendingOp op) {
        return switch (op.kind) {
            case PendingOp.KIND_MULTISHOT_ACCEPT -> op.accept;
            case PendingOp.KIND_MULTISHOT_RECV -> op.recv;
            default -> op.promise;
        };
    }

    private void awaitCancelled(FdState st, PollableFd fd) {
        long deadline = System.nanoTime() + CANCEL_WAIT_NANOS;
        submitNow();
        reap();
        while (st.cancelling > 0) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                LOG.warn("{}: {} cancelled io_uring operation(s) still running after {} ms; their buffers stay held",
                        fd, st.cancelling, CANCEL_WAIT_NANOS / 1_000_000);
                return;
            }
            ring.submitAndWait(left);
            reap();
        }
    }

    // ---------------------------------------------------------------- completion-style operations

    @Override
    public SocketOps socketOps() {
        return socketOps;
    }

    @Override
    public FileOps fileOps() {
        return fileOps;
    }

    /**
     * Submits a NOP: the cheapest full trip through the ring, for tests and measurements. Shard thread only.
     *
     * @return a future resolved with 0 when its completion is reaped
     */
    public Future<Integer> nop() {
        long sqe = sqe();
        PendingOp op = start(IoUringOpcode.NOP, -1, null);
        IoUringSqe.nop(sqes, sqe, op.userData);
        return op.promise;
    }

    /**
     * @return true when the kernel accepts multishot IORING_OP_ACCEPT (Linux 5.19), so
     *         {@link #acceptMultishot} can be used
     */
    public boolean supportsMultishotAccept() {
        return multishotAccept;
    }

    /**
     * Starts accepting connections on a listening socket with one multishot ACCEPT: the kernel accepts each
     * connection as it arrives and posts its descriptor, with no entry submitted per connection. Shard thread.
     *
     * @param listener a listening socket
     * @param flags    accept4 flags for the new descriptors (SOCK_NONBLOCK, SOCK_CLOEXEC)
     * @throws UnsupportedOperationException when {@link #supportsMultishotAccept()} is false
     */
    public MultishotAccept acceptMultishot(PollableFd listener, int flags) {
        if (!multishotAccept) {
            throw new UnsupportedOperationException("this kernel has no multishot accept (Linux 5.19 or later needed)");
        }
        return new MultishotAccept(this, listener, flags);
    }

    /** Arms a multishot accept for {@code accept}; null when the listener is forgotten. */
    PendingOp armMultishotAccept(MultishotAccept accept, PollableFd listener, int flags) {
        long sqe = sqe();
        if (listener.isForgotten()) {
            abandon(sqe);
            return null;
        }
        PendingOp op = acquire(PendingOp.KIND_MULTISHOT_ACCEPT, IoUringOpcode.ACCEPT, listener.fd());
        op.accept = accept;
        stateOf(listener).link(op);
        IoUringSqe.accept(sqes, sqe, listener.fd(), 0, 0, flags, true, op.userData);
        return op;
    }

    // ---------------------------------------------------------------- receive streams and zero-copy sends

    /**
     * @return true when sockets' input is received by multishot receives into provided buffers: the kernel has
     *         them (Linux 6.0), {@link #PROP_RECV_MULTISHOT} did not turn them off, and neither did
     *         {@link #setReceiveStreams}. Shard thread.
     */
    public boolean usesReceiveStreams() {
        return receiveStreams;
    }

    /**
     * Turns multishot receives on or off for receive streams made from now on; on only takes effect when the
     * kernel has them. Off makes {@link SocketOps#receiveStream} return null, so the POSIX stack issues one
     * RECV per read. Shard thread.
     */
    public void setReceiveStreams(boolean on) {
        receiveStreams = on && kernelHas60;
    }

    /**
     * Sets the provided receive buffers: {@code count} buffers of {@code size} bytes per shard. Only before the
     * first receive stream, which registers them. Shard thread.
     *
     * @param count a power of two, 2 to 32768
     * @throws IllegalStateException once the buffers are registered
     */
    public void setReceiveBuffers(int count, int size) {
        if (bufferRing != null) {
            throw new IllegalStateException("the receive buffers are registered already: " + bufferRing);
        }
        if (count < 2 || count > 32768 || Integer.bitCount(count) != 1 || size < 1) {
            throw new IllegalArgumentException("receive buffers: count must be a power of two from 2 to 32768 and "
                    + "size positive, got " + count + " × " + size);
        }
        recvBufferCount = count;
        recvBufferSize = size;
    }

    /**
     * Sets the smallest send made with SEND_ZC (the kernel then sends from the buffer itself and says when it is
     * done with it); 0 turns zero-copy sends off. Has no effect on a kernel without SEND_ZC. Shard thread.
     */
    public void setZeroCopyThreshold(int bytes) {
        if (bytes < 0) {
            throw new IllegalArgumentException("a zero-copy threshold cannot be negative: " + bytes);
        }
        zeroCopyThreshold = kernelHas60 ? bytes : 0;
    }

    /** @return the smallest send made with SEND_ZC, or 0 when zero-copy sends are off. Shard thread. */
    public int zeroCopyThreshold() {
        return zeroCopyThreshold;
    }

    /** @return the shard's provided receive buffers, registering them on first use; null when off or refused. */
    BufferRing bufferRing() {
        if (bufferRing == null && receiveStreams) {
            try {
                bufferRing = BufferRing.create(this, ring, recvBufferCount, recvBufferSize);
            } catch (ErrnoException e) {
                receiveStreams = false;
                if (LOGGED_NO_RECV_MULTISHOT.compareAndSet(false, true)) {
                    LOG.info("io_uring: the kernel refused a provided-buffer ring ({}); sockets use one RECV per read",
                            e.getMessage());
                }
            }
        }
        return bufferRing;
    }

    /** Arms a multishot receive for {@code recv}; null when {@code fd} is forgotten. */
    PendingOp armMultishotRecv(MultishotRecv recv, PollableFd fd) {
        long sqe = sqe();
        if (fd.isForgotten()) {
            abandon(sqe);
            return null;
        }
        PendingOp op = acquire(PendingOp.KIND_MULTISHOT_RECV, IoUringOpcode.RECV, fd.fd());
        op.recv = recv;
        stateOf(fd).link(op);
        IoUringSqe.recvMultishot(sqes, sqe, fd.fd(), BufferRing.GROUP, op.userData);
        return op;
    }

    /** Starts a SEND_ZC; {@code onKernelDone} runs at its notification (or at once if none follows). */
    PendingOp startSendZc(PollableFd fd, long sqe, Object keep, Runnable onKernelDone) {
        if (fd.isForgotten()) {
            abandon(sqe);
            return null;
        }
        PendingOp op = acquire(PendingOp.KIND_SEND_ZC, IoUringOpcode.SEND_ZC, fd.fd());
        op.promise = new Promise<>();
        op.keep = keep;
        op.onKernelDone = onKernelDone;
        stateOf(fd).link(op);
        zeroCopySends++;
        return op;
    }

    // ---------------------------------------------------------------- introspection

    /** @return the kernel's supported opcodes, probed when the ring was made. */
    public IoUringProbe probe() {
        return ring.probe();
    }

    /** @return the ring's sizes, accepted setup flags and the kernel's features, for logs. */
    public String describe() {
        return ring + (wakeMultishot ? "; multishot poll" : "; one-shot poll")
                + (multishotAccept ? "; multishot accept" : "")
                + (receiveStreams ? "; multishot receive" : "")
                + (zeroCopyThreshold > 0 ? "; SEND_ZC from " + zeroCopyThreshold + " bytes" : "")
                + (ring.usesExtArg() ? "; timed waits by EXT_ARG" : "; timed waits by TIMEOUT entries");
    }

    /** @return operations submitted (or queued) whose last completion has not been reaped. Shard thread. */
    public int pendingOperations() {
        return inFlight;
    }

    /** @return completions of operations reaped so far. Shard thread. */
    public long completions() {
        return completions;
    }

    /** @return SEND_ZC operations started so far. Shard thread. */
    public long zeroCopySends() {
        return zeroCopySends;
    }

    /** @return SEND_ZC notifications (the kernel done with a buffer) reaped so far. Shard thread. */
    public long zeroCopyNotifications() {
        return zeroCopyNotifications;
    }

    /** @return how many times a full SQ made the backend submit before the end of the turn. Shard thread. */
    public long earlySubmissions() {
        return earlySubmissions;
    }

    /** @return how many times file requests were submitted before the turn's end ({@link FileOps#SUBMIT_BATCH}). */
    public long earlyFileSubmissions() {
        return earlyFileSubmissions;
    }

    IoUring ring() {
        return ring;
    }

    // ---------------------------------------------------------------- close

    /**
     * {@inheritDoc}
     *
     * <p>Cancels every operation still pending, waits (at most two seconds) for the kernel to deliver their
     * completions, fails their futures with {@link IllegalStateException}, then closes the eventfd and the ring.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            if (inFlight > 0) {
                cancelAll();
            }
            if (bufferRing != null) {
                bufferRing.close();
            }
        } finally {
            try {
                wake.close();
            } finally {
                ring.close();
            }
        }
    }

    private void cancelAll() {
        IllegalStateException closedEx = new IllegalStateException(
                "the io_uring backend was closed while the operation was pending");
        Object[] waiters = new Object[inFlight];
        int n = 0;
        int used = slotsUsed;
        for (int slot = 0; slot < used; slot++) {
            PendingOp op = ops[slot];
            if (op != null && op.inUse && !op.cancelled) {
                markCancelled(op);
                if (n == waiters.length) {
                    waiters = Arrays.copyOf(waiters, n * 2);
                }
                waiters[n++] = waiterOf(op);
                op.promise = null;
            }
        }
        for (int slot = 0; slot < used; slot++) {
            PendingOp op = ops[slot];
            if (op != null && op.inUse) {
                cancel(op);
            }
        }
        long deadline = System.nanoTime() + CANCEL_WAIT_NANOS;
        submitNow();
        reap();
        while (inFlight > 0) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                LOG.warn("io_uring backend closed with {} operation(s) the kernel had not finished", inFlight);
                break;
            }
            ring.submitAndWait(left);
            reap();
        }
        for (int i = 0; i < n; i++) {
            if (waiters[i] instanceof MultishotAccept accept) {
                accept.onClosed(closedEx);
            } else if (waiters[i] instanceof MultishotRecv recv) {
                recv.onClosed(closedEx);
            } else if (waiters[i] instanceof Promise<?> p) {
                p.trySetException(closedEx);
            }
        }
    }
}
