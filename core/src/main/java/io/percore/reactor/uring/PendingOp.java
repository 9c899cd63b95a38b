package io.percore.reactor.uring;

import io.percore.core.Promise;

/**
 * One submitted operation the kernel has not finished with, found again by its slot when the completion
 * arrives (the slot is in the entry's user_data). Pooled per backend: a slot and its object are reused only
 * after the operation's last completion, so a late completion can never reach a newer operation, and whatever
 * the operation references ({@link #keep}) stays reachable until the kernel is done with it.
 *
 * <p>Owned by one backend, touched on its shard thread only.
 */
final class PendingOp {
    static final byte KIND_CALL = 1;
    static final byte KIND_MULTISHOT_ACCEPT = 2;
    static final byte KIND_MULTISHOT_RECV = 3;
    static final byte KIND_SEND_ZC = 4;

    final int slot;
    final long userData;

    byte kind;
    boolean inUse;
    /** Forgotten or closed: the result is dropped (a descriptor it produced is closed). */
    boolean cancelled;
    int opcode;
    int fd;
    Promise<Integer> promise;
    /** The segments the kernel reads or writes, held so that automatic arenas cannot free them meanwhile. */
    Object keep;
    Object keep2;
    MultishotAccept accept;
    MultishotRecv recv;
    /** SEND_ZC: run once the kernel's notification says it no longer reads the buffer. */
    Runnable onKernelDone;

    /** The descriptor's pending operations form a list, so forget finds them all. */
    FdState fdState;
    PendingOp prevOnFd;
    PendingOp nextOnFd;

    PendingOp(int slot, long userData) {
        this.slot = slot;
        this.userData = userData;
    }

    void clear() {
        inUse = false;
        cancelled = false;
        kind = 0;
        opcode = 0;
        fd = -1;
        promise = null;
        keep = null;
        keep2 = null;
        accept = null;
        recv = null;
        onKernelDone = null;
        fdState = null;
        prevOnFd = null;
        nextOnFd = null;
    }
}
