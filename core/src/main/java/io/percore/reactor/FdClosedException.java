package io.percore.reactor;

/** An operation or readiness wait was pending on a descriptor that its owner closed. */
public final class FdClosedException extends IllegalStateException {
    public FdClosedException(PollableFd fd) {
        super(fd + " was closed while an operation on it was pending");
    }
}
