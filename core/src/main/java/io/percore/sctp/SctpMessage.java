package io.percore.sctp;

/**
 * A whole user message to send: one {@link SctpAssociation#send} is one message at the receiver (the end of
 * record is implied). Immutable; any thread (the payload array is not copied: do not change it until the send's
 * future completes).
 *
 * @param stream    outbound stream, below the association's negotiated outbound stream count
 * @param ppid      payload protocol identifier (60 NGAP, 18 S1AP, ...), sent as is
 * @param unordered true to deliver it as soon as it is complete, outside the stream's order
 * @param payload   the message, 1 byte up to {@link InitOptions#maxMessageSize()}
 */
public record SctpMessage(int stream, int ppid, boolean unordered, byte[] payload) {
    public SctpMessage {
        if (stream < 0 || stream > 0xFFFF) {
            throw new IllegalArgumentException("stream out of range: " + stream);
        }
        if (payload == null) {
            throw new IllegalArgumentException("payload is null");
        }
    }

    /** @return an ordered message. */
    public static SctpMessage of(int stream, int ppid, byte[] payload) {
        return new SctpMessage(stream, ppid, false, payload);
    }
}
