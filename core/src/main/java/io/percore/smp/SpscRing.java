package io.percore.smp;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.function.Consumer;

/** Padding before the consumer's index, so it shares no cache line with the object header or other fields. */
abstract class SpscRingPad0 {
    long p00, p01, p02, p03, p04, p05, p06, p07;
}

/** The consumer's side: its index, and its cached copy of the producer's index. */
abstract class SpscRingHead extends SpscRingPad0 {
    long head;
    long tailCache;
}

abstract class SpscRingPad1 extends SpscRingHead {
    long p10, p11, p12, p13, p14, p15, p16, p17;
}

/** The producer's published index, alone on its line: the consumer reads it, so nothing hot may share it. */
abstract class SpscRingTail extends SpscRingPad1 {
    long tail;
}

abstract class SpscRingPad2 extends SpscRingTail {
    long p20, p21, p22, p23, p24, p25, p26, p27;
}

/** The producer's private state, written on every stage: the staged index and its cached copy of the head. */
abstract class SpscRingProducer extends SpscRingPad2 {
    long staged;
    long headCache;
}

abstract class SpscRingPad3 extends SpscRingProducer {
    long p30, p31, p32, p33, p34, p35, p36, p37;
}

/**
 * A bounded single-producer, single-consumer ring of references: the wire between two shards.
 *
 * <p>The producer {@linkplain #stage stages} elements into free slots without making them visible, then
 * {@linkplain #publish publishes} the whole batch with one release store of the tail, so the consumer's cache
 * line holding the tail moves once per batch rather than once per message. The consumer reads the tail with an
 * acquire load, takes everything up to it, clears the slots and releases the head. Each side caches the other's
 * index and re-reads it only when its cached copy says the ring is full (producer) or empty (consumer), as in
 * Agrona's and JCTools' rings. Indices are padded onto their own cache lines.
 *
 * <p>Threads: {@link #stage}, {@link #publish}, {@link #freeSlots} on the producer's thread only;
 * {@link #drain} and {@link #isEmpty} on the consumer's only.
 *
 * @param <E> element type
 */
public final class SpscRing<E> extends SpscRingPad3 {
    private static final VarHandle HEAD;
    private static final VarHandle TAIL;
    private static final VarHandle SLOTS = MethodHandles.arrayElementVarHandle(Object[].class);

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            HEAD = l.findVarHandle(SpscRingHead.class, "head", long.class);
            TAIL = l.findVarHandle(SpscRingTail.class, "tail", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final Object[] slots;
    private final int mask;

    /** @param capacity a power of two, at least 2 */
    public SpscRing(int capacity) {
        if (capacity < 2 || Integer.bitCount(capacity) != 1) {
            throw new IllegalArgumentException("capacity must be a power of two >= 2, not " + capacity);
        }
        slots = new Object[capacity];
        mask = capacity - 1;
    }

    /** @return the number of slots. */
    public int capacity() {
        return slots.length;
    }

    /**
     * Stages {@code e} in the next slot, invisible to the consumer until {@link #publish()}. Producer only.
     *
     * @return false when the ring is full (nothing staged)
     */
    public boolean stage(E e) {
        long s = staged;
        if (s - headCache >= slots.length) {
            headCache = (long) HEAD.getAcquire(this);
            if (s - headCache >= slots.length) {
                return false;
            }
        }
        SLOTS.set(slots, (int) s & mask, e);
        staged = s + 1;
        return true;
    }

    /** @return how many elements are staged but not yet published. Producer only. */
    public int staged() {
        return (int) (staged - tail);
    }

    /**
     * Makes every staged element visible to the consumer (one release store). Producer only.
     *
     * @return how many elements were published
     */
    public int publish() {
        long s = staged;
        int n = (int) (s - tail);
        if (n != 0) {
            TAIL.setRelease(this, s);
        }
        return n;
    }

    /** @return slots free for staging, as far as the producer knows (it refreshes its view of the head). */
    public int freeSlots() {
        headCache = (long) HEAD.getAcquire(this);
        return slots.length - (int) (staged - headCache);
    }

    /**
     * Hands up to {@code limit} published elements to {@code sink}, oldest first, then frees their slots.
     * Consumer only. If {@code sink} throws, the elements it was handed (the failing one included) count as
     * taken and the exception propagates; the rest stay for the next drain.
     *
     * @return how many elements were taken
     * @throws IllegalArgumentException when {@code limit} is negative
     */
    @SuppressWarnings("unchecked")
    public int drain(Consumer<? super E> sink, int limit) {
        if (limit < 0) {
            // A negative count would move the head backwards and hand out freed slots again.
            throw new IllegalArgumentException("drain limit must not be negative, not " + limit);
        }
        long h = head;
        long available = tailCache - h;
        if (available <= 0) {
            tailCache = (long) TAIL.getAcquire(this);
            available = tailCache - h;
            if (available <= 0) {
                return 0;
            }
        }
        long end = h + Math.min(available, limit);
        long next = h;
        try {
            while (next != end) {
                int index = (int) next & mask;
                E e = (E) SLOTS.get(slots, index);
                SLOTS.set(slots, index, null);
                next++;
                sink.accept(e);
            }
        } finally {
            // Release exactly the slots already cleared, even when the sink threw: otherwise the next drain would
            // deliver them again, as nulls.
            HEAD.setRelease(this, next);
        }
        return (int) (next - h);
    }

    /** @return true when the consumer sees nothing published. Consumer only (re-reads the tail). */
    public boolean isEmpty() {
        tailCache = (long) TAIL.getAcquire(this);
        return tailCache == head;
    }
}
