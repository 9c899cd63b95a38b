package io.percore.sctp;

/**
 * A whole message received on an association. Immutable; any thread.
 *
 * @param stream    inbound stream it arrived on
 * @param ssn       its stream sequence number (meaningless when unordered)
 * @param ppid      payload protocol identifier as sent
 * @param tsn       TSN of its first (or only) DATA chunk
 * @param unordered true when sent unordered
 * @param payload   the message bytes
 */
public record SctpReceivedMessage(int stream, int ssn, int ppid, int tsn, boolean unordered, byte[] payload)
        implements SctpEvent {
}
