package io.percore.reactor.uring;

import io.percore.memory.Buffer;
import io.percore.sys.IoUring;
import io.percore.sys.IoUringBufRing;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayDeque;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * A shard's provided buffers for multishot receives: {@code count} buffers of {@code size} bytes, lent to the
 * kernel through one registered buffer ring (group {@link #GROUP}). The kernel takes a buffer per completion
 * and names it in the CQE; the backend hands it to the reader as a {@link Buffer} wrapping that memory, and the
 * buffer's release puts it back in the ring. Each buffer is therefore in exactly one place: in the ring (the
 * kernel may fill it), in a CQE not reaped yet, or lent to the application; a release that finds a buffer
 * not lent is a bug and throws.
 *
 * <p><b>Memory.</b> Buffers and ring come from an automatic arena: the ring is unregistered when the backend
 * closes, but a buffer the application still holds then (or has passed to another shard) stays valid until its
 * last view is gone, because every view keeps the arena reachable. The memory is outside the shard pool's
 * limit; it is fixed at {@code count × size} per shard (4 MiB by default).
 *
 * <p><b>Threads.</b> The ring has one producer, the shard. A buffer released on another thread is queued and
 * handed back by the shard at its next poll (the release wakes it); that path allocates, the shard's own does
 * not.
 *
 * <p><b>Running dry.</b> A receive that finds the ring empty ends with ENOBUFS. Its stream registers here and
 * {@link #service()} re-arms it once buffers are back, or, while the ring stays empty and a reader waits, lets
 * it receive into the shard's pool.
 */
final class BufferRing {
    /** The buffer group id the multishot receives name. */
    static final int GROUP = 0;

    private final IoUringBackend backend;
    private final IoUring ring;
    private final IoUringBufRing bufRing;
    private final MemorySegment slab;
    private final int size;
    private final int count;
    private final Slot[] slots;
    private final Thread owner;
    private final ConcurrentLinkedQueue<Slot> remoteReturns = new ConcurrentLinkedQueue<>();
    private final ArrayDeque<MultishotRecv> waiters = new ArrayDeque<>();
    /** Buffers in the ring as far as this side knows (consumption is seen when the CQE is reaped). */
    private int inRing;
    private int lent;
    private boolean closed;

    private long lentTotal;
    private long returnedTotal;
    private long remoteTotal;

    /** The release action of one buffer id, allocated once: lending and returning allocate nothing for it. */
    private final class Slot implements Runnable {
        final int bid;
        final long address;
        boolean lent;

        Slot(int bid, long address) {
            this.bid = bid;
            this.address = address;
        }

        @Override
        public void run() {
            if (Thread.currentThread() == owner) {
                giveBack(this);
            } else {
                remoteReturns.add(this);
                backend.wakeup();
            }
        }
    }

    private BufferRing(IoUringBackend backend, IoUring ring, IoUringBufRing bufRing, MemorySegment slab, int count,
                       int size) {
        this.backend = backend;
        this.ring = ring;
        this.bufRing = bufRing;
        this.slab = slab;
        this.count = count;
        this.size = size;
        this.owner = Thread.currentThread();
        this.slots = new Slot[count];
        for (int bid = 0; bid < count; bid++) {
            slots[bid] = new Slot(bid, slab.address() + (long) bid * size);
            bufRing.add(slots[bid].address, size, bid);
        }
        bufRing.publish();
        inRing = count;
    }

    /**
     * Allocates and registers the ring on the calling (owner) thread.
     *
     * @param count a power of two up to 32768
     * @throws io.percore.sys.ErrnoException when the kernel refuses the ring (EINVAL before 5.19)
     */
    static BufferRing create(IoUringBackend backend, IoUring ring, int count, int size) {
        if (size < 1 || (long) count * size > (1L << 31)) {
            throw new IllegalArgumentException("receive buffers: " + count + " × " + size + " bytes is out of range");
        }
        Arena arena = Arena.ofAuto();
        MemorySegment ringMemory = arena.allocate((long) count * IoUringBufRing.ENTRY_SIZE, 4096);
        MemorySegment slab = arena.allocate((long) count * size, 4096);
        IoUringBufRing bufRing = new IoUringBufRing(ringMemory, count);
        BufferRing br = new BufferRing(backend, ring, bufRing, slab, count, size);
        ring.registerBufferRing(ringMemory, count, GROUP);
        return br;
    }

    /** @return the size of each buffer. */
    int bufferSize() {
        return size;
    }

    /** @return how many buffers there are. */
    int count() {
        return count;
    }

    /** @return buffers the kernel may still fill, as far as reaped completions tell. */
    int available() {
        return closed ? 0 : inRing;
    }

    /** @return buffers lent to the application and not yet released. */
    int lent() {
        return lent;
    }

    long lentTotal() {
        return lentTotal;
    }

    long returnedTotal() {
        return returnedTotal;
    }

    long remoteReturns() {
        return remoteTotal;
    }

    boolean isClosed() {
        return closed;
    }

    /** A completion used buffer {@code bid} for {@code length} bytes: lends it to the application. */
    Buffer lend(int bid, int length) {
        Slot s = slots[bid];
        if (s.lent) {
            throw new IllegalStateException("the kernel filled ring buffer " + bid + " while it was lent out");
        }
        s.lent = true;
        inRing--;
        lent++;
        lentTotal++;
        return Buffer.wrap(slab.asSlice((long) bid * size, length), s);
    }

    /** A completion used buffer {@code bid} but nobody will read it (cancelled, or no data): back in the ring. */
    void putBack(int bid) {
        inRing--;
        add(slots[bid]);
    }

    private void giveBack(Slot s) {
        if (!s.lent) {
            throw new IllegalStateException("ring buffer " + s.bid + " returned twice");
        }
        s.lent = false;
        lent--;
        returnedTotal++;
        add(s);
    }

    private void add(Slot s) {
        if (closed) {
            return; // the kernel no longer reads the ring; the memory goes with its last view
        }
        bufRing.add(s.address, size, s.bid);
        bufRing.publish();
        inRing++;
    }

    /** {@code stream} ran dry with no reader waiting: re-arm it by {@link #service()} once buffers come back. */
    void await(MultishotRecv stream) {
        waiters.add(stream);
    }

    /**
     * Once per poll, before the CQ is reaped (so after the tasks that consumed earlier buffers ran): takes back
     * buffers released on other threads, then re-arms streams that ran dry, first come first served, as many as
     * there are buffers in the ring. When the ring is still empty, the application holds every buffer (or
     * streams queue them for readers that do not read): streams whose reader waits then receive into the pool
     * instead, once, so no reader waits on buffers only it can give back. Owner thread.
     */
    void service() {
        if (!remoteReturns.isEmpty()) {
            Slot s;
            while ((s = remoteReturns.poll()) != null) {
                remoteTotal++;
                giveBack(s);
            }
        }
        if (waiters.isEmpty() || closed) {
            return;
        }
        if (inRing > 0) {
            // Each re-arm may reap completions (and so add waiters): the budget is fixed first.
            int budget = inRing;
            while (budget > 0 && !closed && !waiters.isEmpty()) {
                MultishotRecv w = waiters.poll();
                if (w.isWaitingForBuffers()) {
                    w.buffersAvailable();
                    budget--;
                }
            }
        } else {
            for (int n = waiters.size(); n > 0 && !closed; n--) {
                MultishotRecv w = waiters.poll();
                if (!w.isWaitingForBuffers()) {
                    continue;
                }
                if (w.hasReader()) {
                    w.fallbackNow();
                } else {
                    waiters.add(w);
                }
            }
        }
    }

    /** @return true when {@link #service()} has something to do. */
    boolean needsService() {
        return !waiters.isEmpty() || !remoteReturns.isEmpty();
    }

    /**
     * Takes the ring back from the kernel (after every receive using it has completed). Buffers still lent stay
     * valid; their releases are then only counted.
     */
    void close() {
        if (closed) {
            return;
        }
        closed = true;
        waiters.clear();
        ring.unregisterBufferRing(GROUP);
    }

    @Override
    public String toString() {
        return count + " × " + size + "-byte receive buffers (" + inRing + " in the ring, " + lent + " lent)";
    }
}
