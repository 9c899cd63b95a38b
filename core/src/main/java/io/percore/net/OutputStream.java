package io.percore.net;

import io.percore.core.Future;
import io.percore.memory.Buffer;
import io.percore.memory.Packet;

/**
 * The sending side of a connection, with back-pressure: a write's future resolves once the data is accepted into
 * the bounded send queue, so a writer that waits for each write cannot outrun the peer. Data is sent in order;
 * the stream takes ownership of (and releases) the buffers it is given. Shard thread only.
 */
public interface OutputStream {
    Future<Void> write(Buffer data);

    /** A vectored write: the fragments go out in one system call where the backend allows. */
    Future<Void> write(Packet data);

    /** @return a future resolved once everything written so far was handed to the kernel. */
    Future<Void> flush();

    /** Flushes, then shuts the sending direction down (FIN). */
    Future<Void> close();
}
