package io.percore.reactor;

/**
 * A file descriptor the reactor watches for readiness or runs operations on, with the per-backend state that
 * goes with it (an epoll registration, pending poll iocbs, io_uring user data). Created, used and closed on one
 * shard. Close it through {@link ReactorBackend#forget} before closing the descriptor, so no completion can
 * arrive for a reused fd number.
 */
public final class PollableFd {
    private final int fd;
    private final boolean shared;
    /** Owned by the backend that first sees this fd; opaque to everyone else. */
    public Object backendState;
    private boolean forgotten;

    /** @param fd an open, non-blocking descriptor */
    public PollableFd(int fd) {
        this(fd, false);
    }

    private PollableFd(int fd, boolean shared) {
        if (fd < 0) {
            throw new IllegalArgumentException("bad file descriptor " + fd);
        }
        this.fd = fd;
        this.shared = shared;
    }

    /**
     * A descriptor that several shards wait on at once, each through its own backend and its own PollableFd: the
     * listening socket that balanced shards share. A readiness change should wake <em>one</em> waiting shard, not
     * all of them, so backends that can register the wait exclusively (epoll's {@code EPOLLEXCLUSIVE}, io_uring's
     * exclusive poll) do so, and only while a wait is pending. The contract that comes with it: a shard whose
     * wait fires consumes the readiness (accepts until EAGAIN), because the other shards may not hear of it.
     *
     * @param fd an open, non-blocking descriptor
     */
    public static PollableFd shared(int fd) {
        return new PollableFd(fd, true);
    }

    /** @return true for a descriptor made by {@link #shared(int)}. */
    public boolean isShared() {
        return shared;
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
