package io.percore.reactor.uring;

import io.percore.reactor.PollableFd;

/**
 * What the io_uring backend keeps per descriptor ({@link PollableFd#backendState}): the operations pending on
 * it, and which readiness wait holds each direction. Created on the first operation, dropped by forget.
 * Shard thread only.
 */
final class FdState {
    final PollableFd fd;
    PendingOp head;
    int pending;
    PendingOp pollIn;
    PendingOp pollOut;
    /** Operations forget cancelled whose completions have not arrived yet. */
    int cancelling;

    FdState(PollableFd fd) {
        this.fd = fd;
    }

    void link(PendingOp op) {
        op.fdState = this;
        op.prevOnFd = null;
        op.nextOnFd = head;
        if (head != null) {
            head.prevOnFd = op;
        }
        head = op;
        pending++;
    }

    void unlink(PendingOp op) {
        if (op.prevOnFd != null) {
            op.prevOnFd.nextOnFd = op.nextOnFd;
        } else {
            head = op.nextOnFd;
        }
        if (op.nextOnFd != null) {
            op.nextOnFd.prevOnFd = op.prevOnFd;
        }
        if (pollIn == op) {
            pollIn = null;
        }
        if (pollOut == op) {
            pollOut = null;
        }
        if (op.cancelled) {
            cancelling--;
        }
        pending--;
        op.fdState = null;
        op.prevOnFd = null;
        op.nextOnFd = null;
    }
}
