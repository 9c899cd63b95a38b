package io.percore.sctp;

/**
 * The only exception the packet parser ({@link SctpCodec#decode}) throws: the bytes are not a well-formed SCTP
 * packet (bad lengths, truncated chunk or parameter, checksum mismatch). The receiver drops such a packet.
 */
public final class SctpMalformedException extends SctpException {
    /** @param message what is wrong with the packet */
    public SctpMalformedException(String message) {
        super(message);
    }

    @Override
    public synchronized Throwable fillInStackTrace() {
        // Malformed input is routine on an open port (fuzzing, floods): a stack trace would only cost time.
        return this;
    }
}
