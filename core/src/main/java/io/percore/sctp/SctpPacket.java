package io.percore.sctp;

import java.util.List;

/**
 * An SCTP packet: the common header and its chunks (RFC 9260 section 3). Encode and decode with {@link SctpCodec}.
 * Immutable; any thread.
 *
 * @param srcPort         source port
 * @param dstPort         destination port
 * @param verificationTag the receiver's tag (0 for INIT; the sender's own for chunks with the T bit)
 * @param chunks          the chunks, in order
 */
public record SctpPacket(int srcPort, int dstPort, int verificationTag, List<Chunk> chunks) {
    public SctpPacket {
        if (srcPort < 0 || srcPort > 0xFFFF || dstPort < 0 || dstPort > 0xFFFF) {
            throw new IllegalArgumentException("port out of range");
        }
        chunks = List.copyOf(chunks);
    }

    /** @return a packet with one chunk. */
    public static SctpPacket of(int srcPort, int dstPort, int tag, Chunk chunk) {
        return new SctpPacket(srcPort, dstPort, tag, List.of(chunk));
    }
}
