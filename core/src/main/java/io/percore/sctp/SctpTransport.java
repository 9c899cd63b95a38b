package io.percore.sctp;

import io.percore.net.SocketAddress;
import java.net.InetAddress;

/**
 * What carries SCTP packets for an {@link SctpStack}: UDP encapsulation, raw IP, or an in-memory network in
 * tests. A packet is the SCTP common header onward. One transport serves one stack on one shard; all methods run
 * on that shard's thread.
 */
public interface SctpTransport {
    /** Receives packets from a transport. */
    interface Receiver {
        /**
         * One packet arrived.
         *
         * @param packet bytes from the SCTP common header on; valid only during the call
         * @param from   the sender's transport address (for UDP, its IP and UDP port; for raw IP, its IP and 0)
         */
        void receive(byte[] packet, int off, int len, SocketAddress from);
    }

    /** Starts delivering received packets to {@code receiver}. Called once, by the stack. */
    void start(Receiver receiver);

    /**
     * Sends one packet, best effort (a full socket buffer drops it: SCTP retransmits).
     *
     * @param to the peer's transport address as learned from {@link Receiver#receive} or given to connect
     */
    void send(SocketAddress to, byte[] packet, int off, int len);

    /**
     * @return the transport address packets for a peer at {@code ip} go to: for UDP encapsulation the IP and the
     * peer's encapsulation port, for raw IP the IP and 0
     */
    SocketAddress transportAddress(InetAddress ip);

    /** @return bytes of the headers below SCTP in each packet to {@code to} (IP, and UDP when encapsulated). */
    int overhead(SocketAddress to);

    /** @return the local addresses an association may list in INIT (empty: the peer uses the packets' source). */
    default java.util.List<java.net.InetAddress> localAddresses() {
        return java.util.List.of();
    }

    /**
     * @return true when every transport of the host receives every SCTP packet (raw IP), so that the shards of a
     * {@link ShardedSctpStack} drop what another shard owns instead of handing it over
     */
    default boolean seesEveryPacket() {
        return false;
    }

    /** @return true when this transport can send to IPv4 addresses (peer addresses of other families are unused). */
    default boolean carriesIpv4() {
        return true;
    }

    /** @return true when this transport can send to IPv6 addresses. */
    default boolean carriesIpv6() {
        return true;
    }

    /** Stops receiving and releases the transport. */
    void close();
}
