package io.percore.memory;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/** Padding before the head, so the head does not share a cache line with objects allocated before it. */
abstract class RemoteFreeStackPadBefore {
    long p01, p02, p03, p04, p05, p06, p07, p08;
}

/** The contended word: producers compare-and-set it, the owner swaps it with null. */
abstract class RemoteFreeStackHead extends RemoteFreeStackPadBefore {
    PoolStorage head;
}

/**
 * A multi-producer, single-consumer Treiber stack of pool storages released on threads other than the
 * pool's owner. Producers push with a compare-and-set on the head; the owner takes the whole stack with
 * one atomic swap, so nodes are never popped individually and the ABA problem cannot arise.
 *
 * <p>The release semantics of the push's compare-and-set, paired with the acquire of the owner's swap,
 * make everything the releasing thread wrote (into the buffer and the node's link) visible to the owner.
 *
 * <p>Padding on both sides of the head keeps the producers' cache-line traffic away from the owner's
 * hot allocation fields (the JVM keeps superclass fields before subclass fields).
 */
final class RemoteFreeStack extends RemoteFreeStackHead {
    long p11, p12, p13, p14, p15, p16, p17, p18;

    private static final VarHandle HEAD;

    static {
        try {
            HEAD = MethodHandles.lookup().findVarHandle(RemoteFreeStackHead.class, "head", PoolStorage.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** Pushes one storage. Any thread; lock-free (retries only when another producer won the race). */
    void push(PoolStorage node) {
        PoolStorage current;
        do {
            current = (PoolStorage) HEAD.getAcquire(this);
            node.nextRemote = current; // published by the successful compare-and-set below
        } while (!HEAD.compareAndSet(this, current, node));
    }

    /**
     * Takes every pushed storage at once. Owner thread only.
     *
     * @return the most recently pushed storage, linked through {@link PoolStorage#nextRemote}, or null
     */
    PoolStorage takeAll() {
        if (HEAD.getAcquire(this) == null) {
            return null; // the common case costs a load, not a locked instruction
        }
        return (PoolStorage) HEAD.getAndSet(this, null);
    }
}
