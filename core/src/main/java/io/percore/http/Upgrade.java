package io.percore.http;

import io.percore.core.Future;
import io.percore.core.sync.AbortSource;
import io.percore.memory.Buffer;
import io.percore.net.ConnectedSocket;

/**
 * What takes over a connection after a {@code 101 Switching Protocols} response (the websocket does): it gets the
 * socket, the bytes already received after the request head, and the server's stop signal, and returns a future
 * that resolves when it is done with the connection; the server then closes the socket. Runs on the connection's
 * shard.
 */
@FunctionalInterface
public interface Upgrade {
    /**
     * @param socket     the connection, whose streams now belong to the new protocol
     * @param received   bytes read past the request head (possibly empty), owned by the callee
     * @param serverStop aborted when the server stops: the protocol should end its session (a websocket sends
     *                   close 1001) within the server's stop grace, after which the socket is closed under it
     * @return done when the protocol has finished with the connection
     */
    Future<Void> run(ConnectedSocket socket, Buffer received, AbortSource serverStop);
}
