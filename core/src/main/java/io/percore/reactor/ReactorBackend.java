package io.percore.reactor;

import io.percore.core.Future;

/**
 * The I/O engine under a shard's reactor: epoll, io_uring or linux-aio, chosen at start-up with
 * {@code --reactor-backend}. The reactor calls {@link #poll()} every turn and {@link #sleep(long)} when it has
 * nothing to do; other threads call {@link #wakeup()} to end such a sleep (an eventfd registered in the backend).
 *
 * <p>All methods but {@link #wakeup()} run on the owning shard's thread only.
 */
public interface ReactorBackend extends AutoCloseable {
    /** @return the name users pass to {@code --reactor-backend}. */
    String name();

    /**
     * Reaps completed I/O without blocking and runs its completions.
     *
     * @return true when it did any work
     */
    boolean poll();

    /**
     * Blocks until I/O completes, {@link #wakeup()} is called, or the timeout passes.
     *
     * @param timeoutNanos how long at most; negative means no limit
     */
    void sleep(long timeoutNanos);

    /** Ends a current or the next {@link #sleep(long)} promptly. Any thread; cheap when called often. */
    void wakeup();

    /**
     * Waits until {@code fd} is ready for any of {@code events} ({@link Readiness} bits).
     * At most one wait per direction (IN, OUT) may be pending on an fd.
     *
     * @return the ready bits (ERR and HUP may be set whatever was asked); fails with
     * {@link FdClosedException} when the fd is forgotten meanwhile
     */
    Future<Integer> pollReady(PollableFd fd, int events);

    /**
     * Drops every registration of {@code fd} and fails its pending waits and operations with
     * {@link FdClosedException}; call it before closing the descriptor.
     */
    void forget(PollableFd fd);

    /** @return the socket operations this backend performs itself (io_uring), or null (readiness backends). */
    default SocketOps socketOps() {
        return null;
    }

    /** @return the asynchronous file operations of this backend, or null when it has none. */
    default FileOps fileOps() {
        return null;
    }

    /** Releases the backend's kernel objects. Owner thread, after the reactor loop ended. */
    @Override
    void close();
}
