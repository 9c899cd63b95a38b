package io.percore.reactor;

import io.percore.core.Future;
import io.percore.memory.Buffer;

/**
 * A stream socket's input as the backend receives it on its own, ahead of the reader: with io_uring, one
 * multishot receive into buffers the kernel picks from a per-shard ring of provided buffers. Each
 * {@link #read()} hands over the next received buffer; the data was not copied after the kernel wrote it, and
 * releasing the buffer lends its memory back to the kernel.
 *
 * <p>The backend receives only so far ahead: past a limit of unread data it stops receiving, leaving the rest
 * in the socket (and TCP's window), until the reader catches up.
 *
 * <p>Made by {@link SocketOps#receiveStream}; used on its shard thread only. Forgetting the descriptor ends
 * the stream ({@link FdClosedException}); the reader still owns, and must release, every buffer it was given.
 */
public interface ReceiveStream {
    /**
     * @return the next data received, at least one byte, owned by the caller; the empty buffer at end of
     *         stream (and for every read after it); fails with {@link io.percore.sys.ErrnoException} for the
     *         socket's error, {@link FdClosedException} once the descriptor is forgotten, or
     *         {@link IllegalStateException} after {@link #close()} or while another read is pending
     */
    Future<Buffer> read();

    /** @return bytes received and not yet read. */
    long queuedBytes();

    /**
     * Stops receiving: the backend's receive is cancelled, data received and not read is dropped (its buffers go
     * back to the kernel), and a pending {@link #read()} fails with {@link IllegalStateException}. Idempotent.
     */
    void close();
}
