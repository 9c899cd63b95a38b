package io.percore.net;

import io.percore.core.Future;

/**
 * The socket API of a shard, the same whichever stack is under it: the kernel's (POSIX, over the reactor
 * backend) or percore's own (native). Shard thread only; each shard has its own instance.
 */
public interface NetworkStack {
    /** @return "posix" or "native". */
    String name();

    /**
     * Listens on {@code address}. Connections are spread over the shards that listen on the same address as
     * {@code options.balancing()} says.
     *
     * @throws NetException.AddressInUse and other {@link NetException}s at once
     */
    ServerSocket listen(SocketAddress address, ListenOptions options);

    /** @return a connected socket; fails with a typed {@link NetException} (refused, unreachable, timed out). */
    Future<ConnectedSocket> connect(SocketAddress remote);

    /** @return a UDP socket bound to {@code local} (port 0: any). */
    UdpChannel udpChannel(SocketAddress local);
}
