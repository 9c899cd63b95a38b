package io.percore.reactor;

/**
 * A file descriptor the reactor watches for readiness or runs operations on, with the per-backend state that
 * goes with it (an epoll registration, pending poll iocbs, io_uring user data). Created, used and closed on one
 * shard. Close it through {@link ReactorBackend#forget} before closing the descriptor, so no completion can
 * arrive for a reused fd number.
 */
public final class PollableFd {
    private final int fd;
    /** Owned by the backend that first sees this fd; opaque to everyone else. */
    public Object backendState;
    private boolean forgotten;

    /** @param fd an open, non-blocking descriptor */
    public PollableFd(int fd) {
        if (fd < 0) {
            throw new IllegalArgumentException("bad file descriptor " + fd);
        }
        this.fd = fd;
    }

    /** @return the descriptor number. */
    public int fd() {
        return fd;
    }

    /** @return true once the backend has forgotten it: no more operations may be started. */
    public boolean isForgotten() {
        return forgotten;
    }

    /** Marks it forgotten; called by backends from {@link ReactorBackend#forget}. */
    public void markForgotten() {
        forgotten = true;
    }

    @Override
    public String toString() {
        return "fd " + fd;
    }
}
