package io.percore.net;

import io.percore.core.Future;

/**
 * A listening socket on one shard. Shard thread only.
 */
public interface ServerSocket {
    /**
     * @return the next connection routed to this shard, with the peer's address; fails with
     * {@link NetException.AcceptAborted} after {@link #abortAccept()}
     */
    Future<AcceptResult> accept();

    /** Wakes every pending accept with {@link NetException.AcceptAborted}; later accepts fail the same way. */
    void abortAccept();

    /** @return the bound address (with the kernel-chosen port when 0 was asked). */
    SocketAddress localAddress();

    /** Stops listening; pending accepts fail as after {@link #abortAccept()}. */
    void close();

    /** A new connection and who made it. */
    record AcceptResult(ConnectedSocket socket, SocketAddress remoteAddress) {}
}
