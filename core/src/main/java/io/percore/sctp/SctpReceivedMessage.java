package io.percore.sctp;

import io.percore.memory.Buffer;

/**
 * A whole message received on an association.
 *
 * <p>The payload is a {@link Buffer} of the receiving shard and belongs to whoever took the message from
 * {@link SctpAssociation#receive()}: {@link #release()} it when done, or pass it on (e.g. to
 * {@link SctpMessage}, to send it back without a copy). A message that came in one DATA chunk is a view of the
 * received datagram (no copy); a fragmented one was reassembled into one buffer. Its bytes count against the
 * association's receive window until it is taken from the feed, not until it is released. Owner shard: as
 * messages bundled in one packet share its storage, whose count is not atomic, hand a copy (not the buffer) to
 * another shard.
 *
 * @param stream    inbound stream it arrived on
 * @param ssn       its stream sequence number (meaningless when unordered)
 * @param ppid      payload protocol identifier as sent
 * @param tsn       TSN of its first (or only) DATA chunk
 * @param unordered true when sent unordered
 * @param payload   the message bytes
 */
public record SctpReceivedMessage(int stream, int ssn, int ppid, int tsn, boolean unordered, Buffer payload)
        implements SctpEvent {
    /** @return a heap copy of the payload (which stays owned by the caller). Owner shard. */
    public byte[] bytes() {
        return payload.toArray();
    }

    /** Releases the payload. Owner shard. */
    public void release() {
        payload.release();
    }
}
