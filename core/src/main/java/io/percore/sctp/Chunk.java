package io.percore.sctp;

import io.percore.memory.Buffer;
import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * One chunk of an SCTP packet (RFC 9260 section 3.3), decoded. Every type RFC 9260 defines has its own record;
 * I-DATA and FORWARD-TSN are decoded so that they can be recognised and skipped, and any other type becomes
 * {@link Unknown}, whose type's two high bits say what the receiver does with it ({@link #action(int)}).
 * Immutable records; any thread (byte arrays are not copied: do not change them), except {@link Data}, whose
 * payload is a {@link Buffer} of one shard.
 */
public sealed interface Chunk {
    /** Chunk type numbers. */
    int DATA = 0, INIT = 1, INIT_ACK = 2, SACK = 3, HEARTBEAT = 4, HEARTBEAT_ACK = 5, ABORT = 6, SHUTDOWN = 7,
            SHUTDOWN_ACK = 8, ERROR = 9, COOKIE_ECHO = 10, COOKIE_ACK = 11, ECNE = 12, CWR = 13,
            SHUTDOWN_COMPLETE = 14, AUTH = 15, I_DATA = 64, FORWARD_TSN = 192;

    /** @return the chunk type number. */
    int type();

    /** What a receiver does with a chunk type it does not know (RFC 9260 section 3.2). */
    enum Action {
        /** 00: stop processing the packet, discard it. */
        STOP,
        /** 01: stop processing the packet, discard it, report the chunk in an ERROR. */
        STOP_AND_REPORT,
        /** 10: skip the chunk, go on with the packet. */
        SKIP,
        /** 11: skip the chunk, go on, report it in an ERROR. */
        SKIP_AND_REPORT
    }

    /** @return the action the two high bits of {@code type} ask of a receiver that does not know it. */
    static Action action(int type) {
        return Action.values()[(type >>> 6) & 3];
    }

    /**
     * DATA (type 0): a user message or a fragment of one.
     *
     * @param tsn       transmission sequence number
     * @param stream    stream identifier
     * @param ssn       stream sequence number (ignored when unordered)
     * @param ppid      payload protocol identifier (network byte order value)
     * @param unordered U bit
     * @param begin     B bit: first fragment
     * @param end       E bit: last fragment
     * @param immediate I bit: the sender asks for an immediate SACK
     * @param payload   user data, at least one byte when valid: a view the chunk does not own (a decoded
     *                  chunk's view is released by whoever decoded the packet, see {@link SctpCodec#decode})
     */
    record Data(int tsn, int stream, int ssn, int ppid, boolean unordered, boolean begin, boolean end,
                boolean immediate, Buffer payload) implements Chunk {
        /** A chunk whose payload views {@code payload} in place (heap memory, nothing to release). */
        public Data(int tsn, int stream, int ssn, int ppid, boolean unordered, boolean begin, boolean end,
                    boolean immediate, byte[] payload) {
            this(tsn, stream, ssn, ppid, unordered, begin, end, immediate,
                    Buffer.wrap(MemorySegment.ofArray(payload), null));
        }

        public int type() {
            return DATA;
        }
    }

    /**
     * INIT (type 1) and INIT-ACK (type 2): the association parameters of one side.
     *
     * @param ack         true for INIT-ACK
     * @param initiateTag the tag the sender wants in every packet sent to it
     * @param aRwnd       advertised receiver window credit
     * @param outStreams  number of outbound streams the sender wants
     * @param inStreams   maximum number of inbound streams the sender accepts
     * @param initialTsn  the sender's first TSN
     * @param params      optional/variable parameters (addresses, cookie, extensions), in order
     */
    record Init(boolean ack, int initiateTag, int aRwnd, int outStreams, int inStreams, int initialTsn,
                List<Param> params) implements Chunk {
        public int type() {
            return ack ? INIT_ACK : INIT;
        }

        /** @return the first parameter of {@code paramType}, or null. */
        public Param param(int paramType) {
            for (Param p : params) {
                if (p.type() == paramType) {
                    return p;
                }
            }
            return null;
        }
    }

    /**
     * SACK (type 3).
     *
     * @param cumTsnAck cumulative TSN acknowledged
     * @param aRwnd     advertised receiver window credit
     * @param gaps      gap ack blocks as pairs (start, end) of offsets from cumTsnAck, each 1..65535
     * @param dups      duplicate TSNs received since the last SACK
     */
    record Sack(int cumTsnAck, int aRwnd, int[] gaps, int[] dups) implements Chunk {
        public int type() {
            return SACK;
        }
    }

    /**
     * HEARTBEAT (type 4) and HEARTBEAT-ACK (type 5).
     *
     * @param ack  true for HEARTBEAT-ACK
     * @param info the Heartbeat Info parameter's value, opaque to the receiver
     */
    record Heartbeat(boolean ack, byte[] info) implements Chunk {
        public int type() {
            return ack ? HEARTBEAT_ACK : HEARTBEAT;
        }
    }

    /**
     * ABORT (type 6).
     *
     * @param reflected T bit: the verification tag is the sender's own (reflected), not the receiver's
     * @param causes    error causes
     */
    record Abort(boolean reflected, List<ErrorCause> causes) implements Chunk {
        public int type() {
            return ABORT;
        }
    }

    /**
     * SHUTDOWN (type 7).
     *
     * @param cumTsnAck cumulative TSN acknowledged
     */
    record Shutdown(int cumTsnAck) implements Chunk {
        public int type() {
            return SHUTDOWN;
        }
    }

    /** SHUTDOWN-ACK (type 8). */
    record ShutdownAck() implements Chunk {
        public int type() {
            return SHUTDOWN_ACK;
        }
    }

    /**
     * SHUTDOWN-COMPLETE (type 14).
     *
     * @param reflected T bit
     */
    record ShutdownComplete(boolean reflected) implements Chunk {
        public int type() {
            return SHUTDOWN_COMPLETE;
        }
    }

    /**
     * ERROR (type 9).
     *
     * @param causes error causes
     */
    record Error(List<ErrorCause> causes) implements Chunk {
        public int type() {
            return ERROR;
        }
    }

    /**
     * COOKIE-ECHO (type 10).
     *
     * @param cookie the state cookie exactly as received in INIT-ACK
     */
    record CookieEcho(byte[] cookie) implements Chunk {
        public int type() {
            return COOKIE_ECHO;
        }
    }

    /** COOKIE-ACK (type 11). */
    record CookieAck() implements Chunk {
        public int type() {
            return COOKIE_ACK;
        }
    }

    /**
     * I-DATA (type 64, RFC 8260): decoded so that it can be recognised; never negotiated by percore.
     *
     * @param tsn     transmission sequence number
     * @param stream  stream identifier
     * @param mid     message identifier
     * @param ppidOrFsn PPID on the first fragment, fragment sequence number on the others
     * @param flags   the chunk flags
     * @param payload user data
     */
    record IData(int tsn, int stream, int mid, int ppidOrFsn, int flags, byte[] payload) implements Chunk {
        public int type() {
            return I_DATA;
        }
    }

    /**
     * FORWARD-TSN (type 192, RFC 3758): decoded so that it can be recognised; never negotiated by percore.
     *
     * @param newCumTsn the new cumulative TSN
     * @param streams   (stream, ssn) pairs
     */
    record ForwardTsn(int newCumTsn, int[] streams) implements Chunk {
        public int type() {
            return FORWARD_TSN;
        }
    }

    /**
     * A chunk of a type percore does not process (ECNE, CWR, AUTH, ASCONF, RE-CONFIG, PAD, and unknown types).
     *
     * @param type  its type
     * @param flags its flags
     * @param value the bytes after the chunk header, without padding
     */
    record Unknown(int type, int flags, byte[] value) implements Chunk {
    }
}
