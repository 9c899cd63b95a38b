package io.percore.net;

import io.percore.core.Future;
import io.percore.memory.Buffer;
import io.percore.memory.Packet;

/** A bound UDP socket on one shard. Shard thread only. */
public interface UdpChannel {
    /** Sends one datagram (the packet's fragments are gathered into it); the channel releases the packet. */
    Future<Void> send(SocketAddress to, Packet datagram);

    /** @return the next datagram with its sender; fails with SocketClosed after {@link #close()}. */
    Future<Datagram> receive();

    SocketAddress localAddress();

    void close();

    /** A received datagram; the receiver releases {@code data}. */
    record Datagram(SocketAddress sender, Buffer data) {}
}
