package io.percore.sys;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.VarHandle;

/**
 * The completion ring of an AIO context, read from user space as libaio and Seastar do, so reaping finished
 * requests costs no system call. The context id io_setup returns is the address where the kernel mapped
 * {@code struct aio_ring} into the process:
 * <pre>
 *   unsigned id, nr, head, tail, magic, compat_features, incompat_features, header_length;  // 32 bytes
 *   struct io_event io_events[nr];
 * </pre>
 * The kernel writes an event, then (after a write barrier) advances {@code tail}; whoever reaps reads {@code tail}
 * with acquire semantics, reads the events up to it, and publishes the new {@code head} with release semantics.
 * The kernel supports user-space reaping: it reads {@code head} back when it accounts for free slots
 * ({@code user_refill_reqs_available}). It also reaps itself inside io_getevents, so the owner must not call
 * io_getevents on the same context while it is between {@link #tail()} and {@link #setHead(int)}.
 *
 * <p>The layout is an ABI the kernel marks with a magic number and feature words; {@link #attach} checks them and
 * answers null when they are not the ones described here, so the caller can fall back to io_getevents.
 *
 * <p>Thread rules: the ring belongs to the context's owner thread; it is valid only while its arena is open and
 * the context lives (close the arena no later than io_destroy, which unmaps the ring).
 */
public final class LinuxAioRing {
    /** {@code AIO_RING_MAGIC}. */
    static final int MAGIC = 0xa10a10a1;
    /** {@code AIO_RING_INCOMPAT_FEATURES}: features a reader must understand; none so far. */
    static final int INCOMPAT_FEATURES = 0;
    static final long NR = 4, HEAD = 8, TAIL = 12, MAGIC_OFFSET = 16, INCOMPAT = 24, HEADER_LENGTH = 28;
    /** {@code sizeof(struct aio_ring)} without the events. */
    static final int HEADER_SIZE = 32;

    private static final VarHandle INT = JAVA_INT.varHandle();

    private final MemorySegment ring;
    private final int capacity;

    private LinuxAioRing(MemorySegment ring, int capacity) {
        this.ring = ring;
        this.capacity = capacity;
    }

    /**
     * Views the ring of context {@code ctx}, its accesses checked against {@code scope} (use an arena closed before
     * or at io_destroy, so a use after destruction throws instead of faulting).
     *
     * @return the ring, or null when its header is not the one this class understands
     */
    public static LinuxAioRing attach(long ctx, Arena scope) {
        MemorySegment header = MemorySegment.ofAddress(ctx).reinterpret(HEADER_SIZE);
        if (header.get(JAVA_INT, MAGIC_OFFSET) != MAGIC
                || header.get(JAVA_INT, INCOMPAT) != INCOMPAT_FEATURES
                || header.get(JAVA_INT, HEADER_LENGTH) != HEADER_SIZE) {
            return null;
        }
        int nr = header.get(JAVA_INT, NR);
        if (nr <= 0) {
            return null;
        }
        MemorySegment ring = MemorySegment.ofAddress(ctx).reinterpret(HEADER_SIZE + nr * LinuxAio.EVENT_SIZE, scope, null);
        return new LinuxAioRing(ring, nr);
    }

    /** @return how many events the ring holds (the kernel rounds the io_setup size up to fill whole pages). */
    public int capacity() {
        return capacity;
    }

    /** @return the index of the oldest unreaped event. */
    public int head() {
        return (int) INT.get(ring, HEAD);
    }

    /** @return one past the newest event; every event before it is fully written (acquire). */
    public int tail() {
        return (int) INT.getAcquire(ring, TAIL);
    }

    /** @return the number of events waiting between head and tail. */
    public int available() {
        int head = head();
        int tail = tail();
        return tail >= head ? tail - head : tail + capacity - head;
    }

    /** @return {@code data} of the event at ring index {@code index} (0 ≤ index &lt; capacity). */
    public long data(int index) {
        return ring.get(JAVA_LONG, offset(index) + LinuxAio.EVENT_DATA);
    }

    /** @return {@code obj} (the iocb address) of the event at {@code index}. */
    public long obj(int index) {
        return ring.get(JAVA_LONG, offset(index) + LinuxAio.EVENT_OBJ);
    }

    /** @return {@code res} of the event at {@code index}. */
    public long res(int index) {
        return ring.get(JAVA_LONG, offset(index) + LinuxAio.EVENT_RES);
    }

    /** @return {@code res2} of the event at {@code index}. */
    public long res2(int index) {
        return ring.get(JAVA_LONG, offset(index) + LinuxAio.EVENT_RES2);
    }

    /** Hands the slots before {@code index} back to the kernel (release, after the events were read). */
    public void setHead(int index) {
        INT.setRelease(ring, HEAD, index);
    }

    /** @return the ring index after {@code index}. */
    public int next(int index) {
        return index + 1 == capacity ? 0 : index + 1;
    }

    private long offset(int index) {
        if (index < 0 || index >= capacity) {
            throw new IndexOutOfBoundsException("ring index " + index + " of " + capacity);
        }
        return HEADER_SIZE + index * LinuxAio.EVENT_SIZE;
    }
}
