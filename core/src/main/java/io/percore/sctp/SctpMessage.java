package io.percore.sctp;

import io.percore.memory.Buffer;
import io.percore.memory.Packet;
import java.nio.charset.StandardCharsets;

/**
 * A whole user message to send: one {@link SctpAssociation#send} is one message at the receiver (the end of
 * record is implied).
 *
 * <p>Ownership: the payload is a {@link Buffer} of the sending shard, and {@link SctpAssociation#send} takes it,
 * whatever the outcome: the association keeps views of it until the peer has acknowledged every byte, then
 * releases it (a message that can no longer be delivered is handed back in a
 * {@link SctpNotification.SendFailed} when subscribed, else released). Hand over a {@linkplain Buffer#share()
 * share} to keep using the bytes; do not change them until the message is acknowledged. A received message's
 * payload can be sent on as it is (an echo copies nothing). The record itself is immutable; its buffer belongs
 * to one shard at a time.
 *
 * @param stream    outbound stream, below the association's negotiated outbound stream count
 * @param ppid      payload protocol identifier (60 NGAP, 18 S1AP, ...), sent as is
 * @param unordered true to deliver it as soon as it is complete, outside the stream's order
 * @param payload   the message, 1 byte up to {@link InitOptions#maxMessageSize()}
 */
public record SctpMessage(int stream, int ppid, boolean unordered, Buffer payload) {
    public SctpMessage {
        if (stream < 0 || stream > 0xFFFF) {
            throw new IllegalArgumentException("stream out of range: " + stream);
        }
        if (payload == null) {
            throw new IllegalArgumentException("payload is null");
        }
    }

    /**
     * A message whose payload is a copy of {@code payload} in a buffer of the calling thread's pool (a
     * convenience: the array may be reused at once). Any thread; send it from the shard that made it.
     */
    public SctpMessage(int stream, int ppid, boolean unordered, byte[] payload) {
        this(stream, ppid, unordered, Buffer.copyOf(payload));
    }

    /** @return an ordered message carrying {@code payload} (taken, see the ownership rule above). */
    public static SctpMessage of(int stream, int ppid, Buffer payload) {
        return new SctpMessage(stream, ppid, false, payload);
    }

    /** @return an ordered message carrying a pool copy of {@code payload}. */
    public static SctpMessage of(int stream, int ppid, byte[] payload) {
        return new SctpMessage(stream, ppid, false, payload);
    }

    /** @return an ordered message carrying {@code text} encoded as UTF-8, in a pool buffer. */
    public static SctpMessage of(int stream, int ppid, String text) {
        return new SctpMessage(stream, ppid, false, text.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * @return a message carrying the bytes of {@code payload}, which it takes: one fragment is used as it is,
     * several are copied into one buffer ({@link Packet#linearize()}); the packet is released either way
     */
    public static SctpMessage of(int stream, int ppid, boolean unordered, Packet payload) {
        try {
            return new SctpMessage(stream, ppid, unordered, payload.linearize());
        } finally {
            payload.release();
        }
    }
}
