package io.percore.net;

import io.percore.core.Future;

/**
 * One TCP connection, owned by one shard. Reads and writes go through its {@link #input()} and {@link #output()}
 * streams. Shard thread only.
 */
public interface ConnectedSocket {
    /** @return the receiving side (one per socket; the same object each call). */
    InputStream input();

    /** @return the sending side (one per socket; the same object each call). */
    OutputStream output();

    SocketAddress localAddress();

    SocketAddress remoteAddress();

    /** Stops receiving: pending and later reads return end of stream. */
    void shutdownInput();

    /** Sends FIN after what was written: the peer reads end of stream. */
    void shutdownOutput();

    /** TCP_NODELAY (on by default). */
    void setNoDelay(boolean on);

    /** SO_KEEPALIVE with TCP_KEEPIDLE / KEEPINTVL / KEEPCNT in seconds and probes; null turns it off. */
    void setKeepAlive(KeepAlive keepAlive);

    /** Closes both directions and releases the descriptor; pending operations fail with SocketClosed. */
    Future<Void> close();

    /** Keep-alive parameters. */
    record KeepAlive(int idleSeconds, int intervalSeconds, int probes) {}
}
