package io.percore.reactor.aio;

import io.percore.core.Future;
import io.percore.core.Promise;
import io.percore.reactor.FdClosedException;
import io.percore.reactor.FileOps;
import io.percore.reactor.PollableFd;
import io.percore.reactor.ReactorBackend;
import io.percore.reactor.Readiness;
import io.percore.sys.Epoll;
import io.percore.sys.EpollEvents;
import io.percore.sys.Errno;
import io.percore.sys.ErrnoException;
import io.percore.sys.EventFd;
import io.percore.sys.LinuxAio;
import io.percore.sys.LinuxAioRing;
import io.percore.sys.Mmap;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/**
 * The linux-aio backend, Seastar's default before io_uring: one AIO context per shard; readiness waits are
 * one-shot {@code IOCB_CMD_POLL} requests, file reads and writes are PREAD/PWRITE/FDSYNC requests, and both kinds
 * complete through the same ring. See the package documentation for the design; in short:
 *
 * <ul>
 * <li>Each operation owns a pooled 64-byte iocb (a slot) from a lazily touched mapping, identified by its address
 *     in {@code aio_data}. A slot is reused only after the kernel's completion for it has been reaped.</li>
 * <li>Operations are queued and submitted with one io_submit per {@link #poll()} or {@link #sleep(long)}, earlier
 *     when {@value #BATCH} are waiting; file reads and writes go in at once while the kernel holds fewer than
 *     {@link FileOps#SUBMIT_BATCH} of them, then every {@link FileOps#SUBMIT_BATCH}. At most {@code maxEvents}
 *     requests are in the kernel; the rest wait in the queue, which is what a refused (EAGAIN) or partial io_submit
 *     leaves too.</li>
 * <li>{@link #poll()} reads the completion ring from user space (no system call) when the kernel's ring header is
 *     the known one, else calls io_getevents with a zero timeout; {@link #sleep(long)} waits in io_getevents, or in
 *     epoll_wait while a shared descriptor's exclusive wait is pending (see the package documentation).</li>
 * <li>{@link #wakeup()} signals an eventfd on which a POLL request is always pending (re-armed after each wake,
 *     ahead of everything else queued).</li>
 * </ul>
 *
 * <p>Readiness waits are one-shot and level-triggered: a wait on a descriptor that is already ready completes in
 * io_submit. A pending POLL occupies a place in the context until it fires, so direct POLLs are limited to a
 * budget (half the context unless told otherwise). A descriptor that needs a wait when the budget is spent moves,
 * for good, to an epoll instance the backend keeps beside the context: it is registered there once, edge-triggered,
 * and readiness arriving while nobody waits is remembered (as the epoll backend does). That epoll descriptor is
 * itself watched by one always-pending POLL, so however many descriptors wait, the context holds the budget plus
 * two requests and the rest stays free for file I/O. {@linkplain PollableFd#shared Shared} descriptors (a listening
 * socket several shards accept from) always wait in that epoll, registered with {@code EPOLLEXCLUSIVE} only while a
 * wait is pending.
 *
 * <p>Thread rules: create, use and close on the owning shard's thread (the memory is confined to it); only
 * {@link #wakeup()} may be called from other threads.
 */
public final class LinuxAioBackend implements ReactorBackend {
    /** Requests a shard's context holds in flight unless told otherwise. */
    public static final int DEFAULT_MAX_EVENTS = 1024;
    /** iocbs handed to one io_submit. */
    static final int BATCH = 128;
    /** Operations (queued or in the kernel) a backend can track at once: 4 MiB of address space for iocbs. */
    static final int MAX_SLOTS = 65536;
    private static final int EVENTS_CAPACITY = 256;
    /** How long a sleep may last while the wake-up POLL could not be submitted (no one could end it earlier). */
    private static final long NAP_NANOS = 1_000_000L;
    /** The nested epoll's events of one wait: an edge for each kind of readiness a read or a write waits for. */
    private static final int NESTED_EVENTS = Epoll.EPOLLIN | Epoll.EPOLLOUT | Epoll.EPOLLRDHUP | Epoll.EPOLLET;
 /** The completion eventfd's token in the sleeping epoll; descriptors' tokens are not negative. */
    private static final long COMPLETIONS_TOKEN = -2L;
    private static final int IN_BITS = Readiness.IN | Readiness.PRI | Readiness.RDHUP | Readiness.HUP | Readiness.ERR;
    private static final int OUT_BITS = Readiness.OUT | Readiness.HUP | Readiness.ERR;

    private static final int POLL_BITS = Readiness.IN | Readiness.PRI | Readiness.OUT | Readiness.ERR
            | Readiness.HUP | Readiness.RDHUP;

    private static final byte FREE = 0, QUEUED = 1, IN_KERNEL = 2, CANCELLED = 3;

    /**
     * What the backend knows of one descriptor: its direct POLL waits (slot numbers, -1 when none) and, once it
     * waits through the nested epoll, its registration there.
     */
    private static final class Waits {
        final PollableFd fd;
        int in = -1;
        int out = -1;
        /** Token in the nested epoll, -1 until it first waits there; from then on every wait goes there. */
        int token = -1;
        /** Nested epoll: readiness reported while nobody waited (edge-triggered registrations only). */
        int cached;
        /** Nested epoll, shared descriptors: the events registered now (0: not registered). */
        int registered;
        Promise<Integer> epIn;
        Promise<Integer> epOut;

        Waits(PollableFd fd) {
            this.fd = fd;
        }
    }

    private final long ctx;
    private final int maxEvents;
    /** Requests this backend puts in the kernel at most: maxEvents, which the kernel always has room for. */
    private final int inFlightLimit;
    private final Arena arena;
    private final MemorySegment iocbs;
    private final long iocbBase;
    private final MemorySegment batch;
    private final MemorySegment events;
    private final LinuxAioRing ring;
    private final EventFd wake;
    /**
     * Signalled by the kernel for every completion (IOCB_FLAG_RESFD), so a shard can sleep in epoll_wait instead of
     * io_getevents and still hear of its I/O: the exclusive sleep of a shard waiting on a shared listener.
     */
    private final EventFd completions;
    private final FileOps fileOps = new AioFileOps();

    // Per slot. state: FREE/QUEUED/IN_KERNEL/CANCELLED; ref: the Waits of a POLL, or the buffer of a file op (kept
    // reachable until the kernel is done with it).
    private byte[] state = new byte[256];
    private byte[] opcode = new byte[256];
    private int[] fdOf = new int[256];
    private Object[] ref = new Object[256];
    @SuppressWarnings({"unchecked", "rawtypes"}) // a generic array cannot be created directly
    private Promise<Integer>[] promise = new Promise[256];
    private int highWater;
    private int[] free = new int[256];
    private int freeCount;

    // Submission queue: slots in order, [queueHead, queueTail).
    private int[] queue = new int[BATCH * 2];
    private int queueHead;
    private int queueTail;

    private final int wakeSlot;
    /** Direct POLL waits (queued, in the kernel or cancelled) allowed at once; more go to the nested epoll. */
    private final int pollBudget;
    private int directPolls;
    // The nested epoll, created when the first descriptor waits there, and the POLL that watches it (-1 until then).
    private Epoll nested;
    private EpollEvents nestedEvents;
    private int nestedSlot = -1;
    private Waits[] byToken = new Waits[64];
    private int[] freeTokens = new int[64];
    private int freeTokenCount;
    private int nextToken;
    private int nestedFds;
    // The sleeping epoll: shared descriptors' exclusive registrations and the completion eventfd; created with the
    // first shared wait. The shard sleeps in it while such a registration is pending.
    private Epoll sleeping;
    private EpollEvents sleepingEvents;
    private int exclusiveWaits;
    private long exclusiveSleeps;
    private int inKernel;
    private boolean busy;
    private boolean closed;
    private long resolved;
    private long submitCalls;
    /** File reads and writes queued since the last io_submit: at {@link FileOps#SUBMIT_BATCH} they go in at once. */
    private int queuedFileOps;
    /** File reads and writes in the kernel, not reaped yet: below {@link FileOps#SUBMIT_BATCH} each goes in at once. */
    private int fileOpsInKernel;

    private LinuxAioBackend(long ctx, int maxEvents, int inFlightLimit, int pollBudget, Arena arena,
                            MemorySegment iocbs, EventFd wake, EventFd completions, boolean useRing) {
        this.ctx = ctx;
        this.maxEvents = maxEvents;
        this.inFlightLimit = inFlightLimit;
        this.pollBudget = pollBudget;
        this.arena = arena;
        this.iocbs = iocbs;
        this.iocbBase = iocbs.address();
        this.batch = arena.allocate(ValueLayout.JAVA_LONG, BATCH);
        this.events = arena.allocate(LinuxAio.IO_EVENT, EVENTS_CAPACITY);
        this.ring = useRing ? LinuxAioRing.attach(ctx, arena) : null;
        this.wake = wake;
        this.completions = completions;
        this.wakeSlot = allocSlot();
        opcode[wakeSlot] = LinuxAio.IOCB_CMD_POLL;
        fdOf[wakeSlot] = wake.fd();
    }

    /** @return a backend with a context of {@link #DEFAULT_MAX_EVENTS}, for the calling shard thread. */
    public static LinuxAioBackend create() {
        return create(DEFAULT_MAX_EVENTS);
    }

    /**
     * Creates a backend for the calling shard thread and arms its wake-up; closes what it opened when a step fails.
     *
     * @param maxEvents requests in flight at once (the kernel counts them against {@code fs.aio-max-nr})
     * @throws ErrnoException from io_setup (EAGAIN when aio-max-nr is reached, ENOSYS without AIO) or, with EINVAL,
     *                        when the kernel lacks IOCB_CMD_POLL (before Linux 4.18)
     */
    public static LinuxAioBackend create(int maxEvents) {
        return create(maxEvents, true, maxEvents, maxEvents / 2);
    }

    /**
     * As {@link #create(int)}, for tests: {@code useRing} false reaps with io_getevents only (the fallback path), an
     * {@code inFlightLimit} above what the kernel holds makes it answer EAGAIN, and {@code pollBudget} is how many
     * readiness waits are direct POLLs before descriptors move to the nested epoll.
     */
    static LinuxAioBackend create(int maxEvents, boolean useRing, int inFlightLimit, int pollBudget) {
        if (maxEvents < 4) {
            // The wake-up, the nested epoll's POLL, and room for at least one wait and one file operation.
            throw new IllegalArgumentException("maxEvents must leave room for the wake-up and operations: " + maxEvents);
        }
        if (pollBudget < 0) {
            throw new IllegalArgumentException("pollBudget must not be negative: " + pollBudget);
        }
        long ctx = LinuxAio.setup(maxEvents);
        Arena arena = null;
        EventFd wake = null;
        EventFd completions = null;
        try {
            arena = Arena.ofConfined();
            MemorySegment iocbs = Mmap.mapAnonymous(MAX_SLOTS * LinuxAio.IOCB_SIZE, arena);
            wake = EventFd.create();
            completions = EventFd.create();
            LinuxAioBackend backend = new LinuxAioBackend(ctx, maxEvents, inFlightLimit, pollBudget, arena, iocbs, wake,
                    completions, useRing);
            backend.armWake();
            backend.flush();
            if (backend.state[backend.wakeSlot] != IN_KERNEL) {
                throw new ErrnoException(Errno.EAGAIN, "io_submit", "the wake-up poll found no room in a new context");
            }
            return backend;
        } catch (RuntimeException | Error e) {
            try {
                LinuxAio.destroy(ctx);
            } catch (RuntimeException suppressed) {
                e.addSuppressed(suppressed);
            }
            if (wake != null) {
                wake.close();
            }
            if (completions != null) {
                completions.close();
            }
            if (arena != null) {
                arena.close();
            }
            throw e;
        }
    }

    @Override
    public String name() {
        return "linux-aio";
    }

    // ---------------------------------------------------------------- the loop's calls

    /**
     * Submits what this turn queued and reaps finished requests without blocking.
     *
     * @return true when a wait or operation was resolved
     */
    @Override
    public boolean poll() {
        if (busy) {
            return false; // re-entered from a completion run inline (off-shard use): the outer call continues
        }
        checkOpen();
        long before = resolved;
        busy = true;
        try {
            flush();
            reap();
            if (exclusiveWaits > 0) {
                drainSleeping(0); // a shard that is awake hears of a shared descriptor without being woken
            }
        } finally {
            busy = false;
        }
        return resolved != before;
    }

    /** Submits what is queued, then waits in io_getevents until a completion, a wake-up or the timeout. */
    @Override
    public void sleep(long timeoutNanos) {
        if (busy) {
            return;
        }
        checkOpen();
        busy = true;
        try {
            flush();
            if (reap() > 0) {
                return;
            }
            if (exclusiveWaits > 0) {
                sleepExclusively(timeoutNanos);
                return;
            }
            long timeout = timeoutNanos;
            boolean deaf = state[wakeSlot] != IN_KERNEL || nestedSlot >= 0 && state[nestedSlot] != IN_KERNEL;
            if (deaf && (timeout < 0 || timeout > NAP_NANOS)) {
                timeout = NAP_NANOS; // wakeup() or the nested epoll could not end this sleep: keep it short
            }
            int n = LinuxAio.getEvents(ctx, 1, EVENTS_CAPACITY, events, timeout);
            for (int i = 0; i < n; i++) {
                complete(LinuxAio.eventData(events, i), LinuxAio.eventRes(events, i));
            }
        } finally {
            busy = false;
        }
    }

    /**
     * Sleeps in epoll_wait on the sleeping epoll, where shared descriptors are registered with EPOLLEXCLUSIVE: the
     * kernel wakes only one of the shards sleeping there per event, which it can do only for tasks in epoll_wait
     * (it cannot for a POLL iocb, nor for an epoll watched by one). Every completion of the context signals the
     * completion eventfd registered in the same epoll, so the sleep also ends for I/O, the wake-up included.
     */
    private void sleepExclusively(long timeoutNanos) {
        exclusiveSleeps++;
        long timeout = timeoutNanos;
        boolean deaf = state[wakeSlot] != IN_KERNEL || nestedSlot >= 0 && state[nestedSlot] != IN_KERNEL;
        if (deaf && (timeout < 0 || timeout > NAP_NANOS)) {
            timeout = NAP_NANOS;
        }
        drainSleeping(timeout);
        reap();
    }

    /** Takes the sleeping epoll's events, waiting up to {@code timeoutNanos} for the first. @return events seen. */
    private int drainSleeping(long timeoutNanos) {
        int total = 0;
        int n;
        long timeout = timeoutNanos;
        do {
            n = sleeping.wait(sleepingEvents, timeout);
            timeout = 0;
            for (int i = 0; i < n; i++) {
                long token = sleepingEvents.data(i);
                Waits w = token >= 0 && token < byToken.length ? byToken[(int) token] : null;
                if (w != null) {
                    deliverNested(w, sleepingEvents.events(i));
                }
                // COMPLETIONS_TOKEN: edge-triggered and never drained; the ring is read after the wait anyway.
            }
            total += n;
        } while (n == sleepingEvents.capacity());
        return total;
    }

    /** Ends a current or the next sleep. Any thread. */
    @Override
    public void wakeup() {
        wake.signal();
    }

    // ---------------------------------------------------------------- readiness

    @Override
    public Future<Integer> pollReady(PollableFd fd, int wanted) {
        if (fd.isForgotten()) {
            return Future.failed(new FdClosedException(fd));
        }
        checkOpen();
        boolean in = (wanted & (Readiness.IN | Readiness.PRI | Readiness.RDHUP)) != 0;
        boolean out = (wanted & Readiness.OUT) != 0;
        if (!in && !out) {
            return Future.failed(new IllegalArgumentException("wait for IN and/or OUT, not 0x" + Integer.toHexString(wanted)));
        }
        Waits waits = (Waits) fd.backendState;
        if (waits == null) {
            waits = new Waits(fd);
            fd.backendState = waits;
        }
        if (in && (waits.in >= 0 || waits.epIn != null)) {
            return Future.failed(new IllegalStateException("a read-readiness wait is already pending on " + fd));
        }
        if (out && (waits.out >= 0 || waits.epOut != null)) {
            return Future.failed(new IllegalStateException("a write-readiness wait is already pending on " + fd));
        }
        if (waits.token >= 0 || fd.isShared() || directPolls >= pollBudget) {
            return nestedWait(waits, in, out);
        }
        int slot = allocSlot();
        if (slot < 0) {
            return Future.failed(tooMany());
        }
        // Like epoll's registrations, a read wait also hears of the peer's shutdown.
        int events = (wanted & POLL_BITS) | (in ? Readiness.IN | Readiness.RDHUP : 0);
        LinuxAio.prepPoll(iocbs, offset(slot), fd.fd(), events, address(slot));
        Promise<Integer> p = new Promise<>();
        start(slot, LinuxAio.IOCB_CMD_POLL, fd.fd(), waits, p);
        directPolls++;
        if (in) {
            waits.in = slot;
        }
        if (out) {
            waits.out = slot;
        }
        enqueue(slot);
        return p;
    }

    /**
     * Fails the pending waits of {@code fd} with {@link FdClosedException} at once and cancels their POLL requests.
     * A request already in the kernel keeps its iocb until its completion (the cancelled one, or a real one that
     * raced with the cancel) has been reaped, so its slot cannot be confused with a later operation's.
     */
    @Override
    public void forget(PollableFd fd) {
        if (fd.isForgotten()) {
            return;
        }
        fd.markForgotten();
        Waits waits = (Waits) fd.backendState;
        if (waits == null) {
            return;
        }
        fd.backendState = null;
        int in = waits.in;
        int out = waits.out;
        waits.in = -1;
        waits.out = -1;
        FdClosedException closedError = in >= 0 || out >= 0 || waits.epIn != null || waits.epOut != null
                ? new FdClosedException(fd) : null;
        if (in >= 0) {
            abandon(in, closedError);
        }
        if (out >= 0 && out != in) {
            abandon(out, closedError);
        }
        if (waits.token >= 0) {
            unregister(waits, closedError);
        }
    }

    private void abandon(int slot, FdClosedException error) {
        Promise<Integer> p = promise[slot];
        promise[slot] = null;
        ref[slot] = null;
        if (state[slot] == QUEUED) {
            unqueue(slot);
            release(slot);
        } else if (state[slot] == IN_KERNEL) {
            state[slot] = CANCELLED;
            if (!closed && LinuxAio.cancel(ctx, address(slot)) == 0) {
                // Kernels before 4.18 completed a cancelled request inside io_cancel, with no ring event.
                inKernel--;
                release(slot);
            }
        }
        resolved++;
        p.trySetException(error);
    }

    // ---------------------------------------------------------------- files

    /**
     * @return PREAD/PWRITE/FDSYNC through this context. Truly asynchronous only on files opened with O_DIRECT (buffer,
     *         position and length aligned to the device's logical block) on a filesystem that supports it; on
     *         buffered files the kernel copies the data inside io_submit, so the call completes synchronously during
     *         the reactor's submission and its result arrives in the same turn. FDSYNC always runs on a kernel worker.
     */
    @Override
    public FileOps fileOps() {
        return fileOps;
    }

    /** File operations submitted as iocbs; results and failures as {@link FileOps} describes. Shard thread only. */
    private final class AioFileOps implements FileOps {
        @Override
        public Future<Integer> read(int fd, long position, MemorySegment buf) {
            return transfer(LinuxAio.IOCB_CMD_PREAD, fd, position, buf);
        }

        @Override
        public Future<Integer> write(int fd, long position, MemorySegment buf) {
            return transfer(LinuxAio.IOCB_CMD_PWRITE, fd, position, buf);
        }

        @Override
        public Future<Integer> fdatasync(int fd) {
            checkOpen();
            int slot = allocSlot();
            if (slot < 0) {
                return Future.failed(tooMany());
            }
            LinuxAio.prepFdsync(iocbs, offset(slot), fd, address(slot));
            Promise<Integer> p = new Promise<>();
            start(slot, LinuxAio.IOCB_CMD_FDSYNC, fd, null, p);
            enqueue(slot);
            return p;
        }
    }

    private Future<Integer> transfer(int op, int fd, long position, MemorySegment buf) {
        checkOpen();
        if (!buf.isNative()) {
            return Future.failed(new IllegalArgumentException("file I/O needs a native segment, not a heap one"));
        }
        int slot = allocSlot();
        if (slot < 0) {
            return Future.failed(tooMany());
        }
        long len = Math.min(buf.byteSize(), Integer.MAX_VALUE); // the result is an int; Linux moves < 2 GiB per call
        if (op == LinuxAio.IOCB_CMD_PREAD) {
            LinuxAio.prepRead(iocbs, offset(slot), fd, buf, len, position, address(slot));
        } else {
            LinuxAio.prepWrite(iocbs, offset(slot), fd, buf, len, position, address(slot));
        }
        Promise<Integer> p = new Promise<>();
        start(slot, op, fd, buf, p);
        enqueue(slot);
        queuedFileOps++;
        if (FileOps.SUBMIT_BATCH > 0 && !busy
                && (fileOpsInKernel < FileOps.SUBMIT_BATCH || queuedFileOps >= FileOps.SUBMIT_BATCH)) {
            // The device starts on these while the turn prepares the next ones (see FileOps.SUBMIT_BATCH).
            busy = true;
            try {
                flush();
            } finally {
                busy = false;
            }
        }
        return p;
    }

    // ---------------------------------------------------------------- slots

    private long offset(int slot) {
        return (long) slot * LinuxAio.IOCB_SIZE;
    }

    private long address(int slot) {
        return iocbBase + (long) slot * LinuxAio.IOCB_SIZE;
    }

    private int allocSlot() {
        if (freeCount > 0) {
            return free[--freeCount];
        }
        if (highWater == MAX_SLOTS) {
            return -1;
        }
        if (highWater == state.length) {
            int n = Math.min(MAX_SLOTS, highWater * 2);
            state = Arrays.copyOf(state, n);
            opcode = Arrays.copyOf(opcode, n);
            fdOf = Arrays.copyOf(fdOf, n);
            ref = Arrays.copyOf(ref, n);
            promise = Arrays.copyOf(promise, n);
            free = Arrays.copyOf(free, n);
        }
        return highWater++;
    }

    private void start(int slot, int op, int fd, Object owner, Promise<Integer> p) {
        opcode[slot] = (byte) op;
        fdOf[slot] = fd;
        ref[slot] = owner;
        promise[slot] = p;
    }

    private void release(int slot) {
        if (opcode[slot] == LinuxAio.IOCB_CMD_POLL && slot != wakeSlot && slot != nestedSlot) {
            directPolls--;
        }
        state[slot] = FREE;
        ref[slot] = null;
        promise[slot] = null;
        free[freeCount++] = slot;
    }

    private static ErrnoException tooMany() {
        return new ErrnoException(Errno.EAGAIN, "io_submit", "more than " + MAX_SLOTS + " operations pending on this shard");
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("the linux-aio backend is closed");
        }
    }

    // ---------------------------------------------------------------- submission

    private void enqueue(int slot) {
        state[slot] = QUEUED;
        if (queueTail == queue.length) {
            compactQueue();
        }
        queue[queueTail++] = slot;
        if (queueTail - queueHead >= BATCH && !busy) {
            busy = true;
            try {
                flush();
            } finally {
                busy = false;
            }
        }
    }

    /** Puts {@code slot} at the head of the queue: the wake-up goes in before anything else. */
    private void enqueueFirst(int slot) {
        state[slot] = QUEUED;
        if (queueHead == 0) {
            if (queueTail == queue.length) {
                queue = Arrays.copyOf(queue, queue.length * 2);
            }
            System.arraycopy(queue, 0, queue, 1, queueTail);
            queueTail++;
        } else {
            queueHead--;
        }
        queue[queueHead] = slot;
    }

    private void compactQueue() {
        int n = queueTail - queueHead;
        if (queueHead > 0) {
            System.arraycopy(queue, queueHead, queue, 0, n);
        } else {
            queue = Arrays.copyOf(queue, queue.length * 2);
        }
        queueHead = 0;
        queueTail = n;
    }

    private void unqueue(int slot) {
        for (int i = queueHead; i < queueTail; i++) {
            if (queue[i] == slot) {
                System.arraycopy(queue, i + 1, queue, i, queueTail - i - 1);
                queueTail--;
                return;
            }
        }
    }

    /**
     * Hands queued iocbs to the kernel, {@value #BATCH} per io_submit, keeping at most {@code maxEvents} in it (which
     * the kernel always has room for, so EAGAIN is a safety net rather than the flow control). A
     * partial submission continues from the first one not taken: submitted again alone, the kernel either takes it
     * or says why not; EAGAIN leaves the rest queued for the next turn, any other refusal fails that operation.
     */
    private void flush() {
        queuedFileOps = 0;
        while (queueHead < queueTail) {
            int room = inFlightLimit - inKernel;
            if (room <= 0) {
                break;
            }
            int n = Math.min(Math.min(BATCH, queueTail - queueHead), room);
            for (int i = 0; i < n; i++) {
                int slot = queue[queueHead + i];
                LinuxAio.setResfd(iocbs, offset(slot), completions.fd());
                batch.setAtIndex(ValueLayout.JAVA_LONG, i, address(slot));
            }
            submitCalls++;
            int r = LinuxAio.submit(ctx, batch, n);
            if (r > 0) {
                for (int i = 0; i < r; i++) {
                    int slot = queue[queueHead + i];
                    state[slot] = IN_KERNEL;
                    if (isTransfer(opcode[slot])) {
                        fileOpsInKernel++;
                    }
                }
                queueHead += r;
                inKernel += r;
                continue;
            }
            int errno = -r;
            if (r == 0 || errno == Errno.EAGAIN) {
                break; // the context is full for now; completions will make room
            }
            if (errno == Errno.EINTR) {
                continue;
            }
            refuse(queue[queueHead++], errno);
        }
        if (queueHead == queueTail) {
            queueHead = 0;
            queueTail = 0;
        }
    }

    private void refuse(int slot, int errno) {
        if (slot == wakeSlot || slot == nestedSlot) {
            release(slot);
            throw new ErrnoException(errno, "io_submit", "IOCB_CMD_POLL on the "
                    + (slot == wakeSlot ? "wake-up eventfd" : "nested epoll")
                    + (errno == Errno.EINVAL ? " (the kernel lacks IOCB_CMD_POLL, added in Linux 4.18)" : ""));
        }
        Promise<Integer> p = promise[slot];
        Object owner = ref[slot];
        if (owner instanceof Waits w) {
            detach(w, slot);
        }
        ErrnoException error = new ErrnoException(errno, "io_submit", describe(slot));
        release(slot);
        resolved++;
        p.trySetException(error);
    }

    // ---------------------------------------------------------------- completion

    /** Reaps every completion available now. @return how many there were (the wake-up's included). */
    private int reap() {
        if (ring != null) {
            int count = 0;
            int head = ring.head();
            int tail = ring.tail();
            while (head != tail) {
                long data = ring.data(head);
                long res = ring.res(head);
                head = ring.next(head);
                ring.setHead(head); // before the completion runs: the kernel may reuse the slot from here on
                complete(data, res);
                count++;
                if (head == tail) {
                    tail = ring.tail();
                }
            }
            return count;
        }
        int count = 0;
        int n;
        do {
            n = LinuxAio.getEvents(ctx, 0, EVENTS_CAPACITY, events, 0);
            for (int i = 0; i < n; i++) {
                complete(LinuxAio.eventData(events, i), LinuxAio.eventRes(events, i));
            }
            count += n;
        } while (n == EVENTS_CAPACITY);
        return count;
    }

    private void complete(long data, long res) {
        long off = data - iocbBase;
        if (off < 0 || off >= (long) highWater * LinuxAio.IOCB_SIZE || (off & (LinuxAio.IOCB_SIZE - 1)) != 0) {
            assert false : "completion for an iocb this backend does not own: 0x" + Long.toHexString(data);
            return;
        }
        int slot = (int) (off / LinuxAio.IOCB_SIZE);
        byte st = state[slot];
        if (st != IN_KERNEL && st != CANCELLED) {
            assert false : "completion for slot " + slot + " in state " + st;
            return;
        }
        inKernel--;
        if (isTransfer(opcode[slot])) {
            fileOpsInKernel--;
        }
        if (slot == wakeSlot) {
            wake.drain();
            armWake();
            return;
        }
        if (slot == nestedSlot) {
            drainNested();
            armNested();
            return;
        }
        if (st == CANCELLED) {
            release(slot); // its future failed when it was forgotten; now the kernel is done with it too
            return;
        }
        Promise<Integer> p = promise[slot];
        Object owner = ref[slot];
        int value = (int) res;
        if (owner instanceof Waits w) {
            detach(w, slot);
            // Completed from the wake-up callback, a POLL carries the waker's whole mask (POLLRDNORM, even bits not
            // asked for): keep what was asked plus ERR and HUP, which always count.
            int asked = (int) iocbs.get(ValueLayout.JAVA_LONG, offset(slot) + LinuxAio.IOCB_BUF);
            value &= asked | Readiness.ERR | Readiness.HUP;
        }
        ErrnoException error = res < 0 ? new ErrnoException((int) -res, opName(opcode[slot]), describe(slot)) : null;
        release(slot);
        resolved++;
        if (error == null) {
            p.trySetValue(value);
        } else {
            p.trySetException(error);
        }
    }

    private static boolean isTransfer(byte op) {
        return op == LinuxAio.IOCB_CMD_PREAD || op == LinuxAio.IOCB_CMD_PWRITE;
    }

    private static void detach(Waits w, int slot) {
        if (w.in == slot) {
            w.in = -1;
        }
        if (w.out == slot) {
            w.out = -1;
        }
    }

    // ---------------------------------------------------------------- the nested epoll

    /**
     * A wait through the nested epoll. An ordinary descriptor is registered once, edge-triggered for both directions,
     * and readiness seen while nobody waited answers the next wait at once (the caller then tries its system call and
     * waits again on EAGAIN, which is what makes edges safe). A shared one is registered level-triggered with
     * EPOLLEXCLUSIVE for exactly the directions waited for, and removed when the wait ends: registered only while
     * this shard wants it, so a wake-up the kernel gives to one shard alone is never given to a shard that would
     * ignore it. EPOLLEXCLUSIVE cannot be changed by EPOLL_CTL_MOD, hence remove and add.
     */
    private Future<Integer> nestedWait(Waits waits, boolean in, boolean out) {
        PollableFd fd = waits.fd;
        boolean shared = fd.isShared();
        try {
            if (waits.token < 0) {
                if (shared) {
                    ensureSleeping();
                } else {
                    ensureNested();
                }
                waits.token = allocToken(waits);
                nestedFds++;
                if (!shared) {
                    nested.add(fd.fd(), NESTED_EVENTS, waits.token);
                }
            }
        } catch (RuntimeException e) {
            if (waits.token >= 0) {
                freeToken(waits);
            }
            return Future.failed(e);
        }
        if (!shared) {
            int mask = (in ? IN_BITS : 0) | (out ? OUT_BITS : 0);
            int ready = waits.cached & mask;
            if (ready != 0) {
                // ERR and HUP stay cached: they remain true for every later wait.
                waits.cached &= ~(ready & (Readiness.IN | Readiness.PRI | Readiness.RDHUP | Readiness.OUT));
                return Future.ready(ready);
            }
        }
        Promise<Integer> p = new Promise<>();
        if (in) {
            waits.epIn = p;
        }
        if (out) {
            waits.epOut = p;
        }
        if (shared) {
            try {
                reregister(waits);
            } catch (RuntimeException e) {
                if (waits.epIn == p) {
                    waits.epIn = null;
                }
                if (waits.epOut == p) {
                    waits.epOut = null;
                }
                return Future.failed(e);
            }
        }
        return p;
    }

    /** Makes a shared descriptor's registration match its pending waits: none, IN, OUT or both, exclusive. */
    private void reregister(Waits w) {
        int want = (w.epIn != null ? Epoll.EPOLLIN : 0) | (w.epOut != null ? Epoll.EPOLLOUT : 0);
        if (want == w.registered) {
            return;
        }
        if (w.registered != 0) {
            w.registered = 0;
            exclusiveWaits--;
            sleeping.remove(w.fd.fd());
        }
        if (want != 0) {
            addExclusive(sleeping, w.fd.fd(), want, w.token);
            w.registered = want;
            exclusiveWaits++;
        }
    }

    /** Adds with EPOLLEXCLUSIVE; a kernel before 4.5 refuses the flag (EINVAL), and then every waiter is woken. */
    private static void addExclusive(Epoll epoll, int fd, int events, long token) {
        try {
            epoll.add(fd, events | Epoll.EPOLLEXCLUSIVE, token);
        } catch (ErrnoException e) {
            if (e.errno() != Errno.EINVAL) {
                throw e;
            }
            epoll.add(fd, events, token);
        }
    }

    private void ensureSleeping() {
        if (sleeping != null) {
            return;
        }
        Epoll e = Epoll.create();
        try {
            e.add(completions.fd(), Epoll.EPOLLIN | Epoll.EPOLLET, COMPLETIONS_TOKEN);
            sleepingEvents = new EpollEvents(EVENTS_CAPACITY);
        } catch (RuntimeException | Error err) {
            e.close();
            throw err;
        }
        sleeping = e;
    }

    private void ensureNested() {
        if (nested != null) {
            return;
        }
        Epoll e = Epoll.create();
        try {
            nestedEvents = new EpollEvents(EVENTS_CAPACITY);
        } catch (RuntimeException | Error err) {
            e.close();
            throw err;
        }
        nested = e;
        nestedSlot = allocSlot();
        opcode[nestedSlot] = LinuxAio.IOCB_CMD_POLL;
        fdOf[nestedSlot] = e.fd();
        armNested();
    }

    private void armNested() {
        LinuxAio.prepPoll(iocbs, offset(nestedSlot), nested.fd(), Readiness.IN, address(nestedSlot));
        enqueueFirst(nestedSlot);
    }

    /** The nested epoll's POLL fired: takes every event it has now and answers the waits. */
    private void drainNested() {
        int n;
        do {
            n = nested.wait(nestedEvents, 0);
            for (int i = 0; i < n; i++) {
                long token = nestedEvents.data(i);
                Waits w = token >= 0 && token < byToken.length ? byToken[(int) token] : null;
                if (w != null) {
                    deliverNested(w, nestedEvents.events(i));
                }
            }
        } while (n == nestedEvents.capacity());
    }

    private void deliverNested(Waits w, int ready) {
        int pending = ready;
        if ((ready & IN_BITS) != 0 && w.epIn != null) {
            Promise<Integer> p = w.epIn;
            w.epIn = null;
            if (w.epOut == p) {
                w.epOut = null;
            }
            pending &= ~(Readiness.IN | Readiness.PRI | Readiness.RDHUP);
            resolved++;
            p.trySetValue(ready);
        }
        if ((ready & OUT_BITS) != 0 && w.epOut != null) {
            Promise<Integer> p = w.epOut;
            w.epOut = null;
            pending &= ~Readiness.OUT;
            resolved++;
            p.trySetValue(ready);
        }
        if (w.fd.isShared()) {
            try {
                reregister(w);
            } catch (ErrnoException e) {
                failNested(w, e);
            }
        } else {
            w.cached |= pending;
        }
    }

    private void failNested(Waits w, Throwable e) {
        Promise<Integer> in = w.epIn;
        Promise<Integer> out = w.epOut;
        w.epIn = null;
        w.epOut = null;
        if (in != null) {
            resolved++;
            in.trySetException(e);
        }
        if (out != null && out != in) {
            resolved++;
            out.trySetException(e);
        }
    }

    /** Forget: removes the descriptor from the nested epoll and fails its waits there. */
    private void unregister(Waits w, FdClosedException error) {
        boolean shared = w.fd.isShared();
        boolean inEpoll = !shared || w.registered != 0;
        if (w.registered != 0) {
            exclusiveWaits--;
        }
        w.registered = 0;
        if (inEpoll && !closed) {
            try {
                (shared ? sleeping : nested).remove(w.fd.fd());
            } catch (ErrnoException e) {
                // Already closed by its owner: the kernel removed it then.
            }
        }
        freeToken(w);
        if (error != null) {
            failNested(w, error);
        }
    }

    private int allocToken(Waits w) {
        int token;
        if (freeTokenCount > 0) {
            token = freeTokens[--freeTokenCount];
        } else {
            token = nextToken++;
            if (token == byToken.length) {
                byToken = Arrays.copyOf(byToken, token * 2);
            }
        }
        byToken[token] = w;
        return token;
    }

    private void freeToken(Waits w) {
        byToken[w.token] = null;
        if (freeTokenCount == freeTokens.length) {
            freeTokens = Arrays.copyOf(freeTokens, freeTokenCount * 2);
        }
        freeTokens[freeTokenCount++] = w.token;
        w.token = -1;
        nestedFds--;
    }

    private void armWake() {
        LinuxAio.prepPoll(iocbs, offset(wakeSlot), wake.fd(), Readiness.IN, address(wakeSlot));
        enqueueFirst(wakeSlot);
    }

    private String describe(int slot) {
        return opName(opcode[slot]) + " on fd " + fdOf[slot];
    }

    private static String opName(int op) {
        return switch (op) {
            case LinuxAio.IOCB_CMD_PREAD -> "IOCB_CMD_PREAD";
            case LinuxAio.IOCB_CMD_PWRITE -> "IOCB_CMD_PWRITE";
            case LinuxAio.IOCB_CMD_FDSYNC -> "IOCB_CMD_FDSYNC";
            case LinuxAio.IOCB_CMD_POLL -> "IOCB_CMD_POLL";
            default -> "IOCB_CMD " + op;
        };
    }

    // ---------------------------------------------------------------- statistics (shard thread)

    /** @return the io_submit calls made so far. */
    public long submitCalls() {
        return submitCalls;
    }

    /** @return requests in the kernel: submitted and not yet reaped (the wake-up poll and cancelled ones included). */
    public int inKernel() {
        return inKernel;
    }

    /** @return operations waiting to be submitted. */
    public int queued() {
        return queueTail - queueHead;
    }

    /** @return true when completions are read from the ring in user space, false when through io_getevents. */
    public boolean readsRingInUserSpace() {
        return ring != null;
    }

    /** @return readiness waits pending as direct POLL requests (queued, in the kernel, or cancelled and not reaped). */
    public int directPolls() {
        return directPolls;
    }

    /** @return the direct POLL waits allowed at once; descriptors that wait beyond it move to the nested epoll. */
    public int pollBudget() {
        return pollBudget;
    }

    /** @return sleeps taken in epoll_wait because a shared descriptor's exclusive wait was pending. */
    public long exclusiveSleeps() {
        return exclusiveSleeps;
    }

    /** @return descriptors watched through the nested epoll (every later wait of theirs goes there). */
    public int nestedDescriptors() {
        return nestedFds;
    }

    /** @return the context's size: how many requests it keeps in the kernel at most. */
    public int maxEvents() {
        return maxEvents;
    }

    /**
     * Destroys the context, which cancels the pending waits and waits for in-flight I/O (so no buffer is written
     * afterwards), then frees the iocbs and the eventfd. Futures still pending are abandoned unresolved: the loop
     * that would run their continuations has ended. Owner thread; idempotent.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            LinuxAio.destroy(ctx);
        } finally {
            try {
                arena.close();
            } finally {
                wake.close();
                completions.close();
                if (nested != null) {
                    nested.close();
                    nestedEvents.close();
                }
                if (sleeping != null) {
                    sleeping.close();
                    sleepingEvents.close();
                }
            }
        }
    }
}
