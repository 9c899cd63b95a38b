package io.percore.sctp;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * An error cause of an ABORT or ERROR chunk (RFC 9260 section 3.3.10): a code and its raw cause-specific
 * information. Immutable; any thread (the info array is not copied: do not change it).
 *
 * @param code the 16-bit cause code, one of the constants here or another
 * @param info the bytes after the 4-byte cause header, without padding
 */
public record ErrorCause(int code, byte[] info) {
    /** Invalid Stream Identifier. */
    public static final int INVALID_STREAM = 1;
    /** Missing Mandatory Parameter. */
    public static final int MISSING_PARAMETER = 2;
    /** Stale Cookie Error: info is the staleness in microseconds. */
    public static final int STALE_COOKIE = 3;
    /** Out of Resource. */
    public static final int OUT_OF_RESOURCE = 4;
    /** Unresolvable Address. */
    public static final int UNRESOLVABLE_ADDRESS = 5;
    /** Unrecognized Chunk Type: info is the chunk. */
    public static final int UNRECOGNIZED_CHUNK = 6;
    /** Invalid Mandatory Parameter. */
    public static final int INVALID_PARAMETER = 7;
    /** Unrecognized Parameters: info is the parameters. */
    public static final int UNRECOGNIZED_PARAMETERS = 8;
    /** No User Data: a DATA chunk without payload; info is its TSN. */
    public static final int NO_USER_DATA = 9;
    /** Cookie Received While Shutting Down. */
    public static final int COOKIE_WHILE_SHUTTING_DOWN = 10;
    /** Restart of an Association with New Addresses. */
    public static final int RESTART_WITH_NEW_ADDRESSES = 11;
    /** User-Initiated Abort: info is the upper layer's reason. */
    public static final int USER_INITIATED_ABORT = 12;
    /** Protocol Violation: info says which. */
    public static final int PROTOCOL_VIOLATION = 13;

    public ErrorCause {
        if (code < 0 || code > 0xFFFF || info.length > 0xFFFF - 4) {
            throw new IllegalArgumentException("bad error cause " + code + " / " + info.length + " bytes");
        }
    }

    /** @return a cause with a UTF-8 text as info (user abort reasons, protocol violations). */
    public static ErrorCause of(int code, String text) {
        return new ErrorCause(code, text.getBytes(StandardCharsets.UTF_8));
    }

    /** @return a cause with a 32-bit number as info (stale cookie staleness, no-user-data TSN). */
    public static ErrorCause ofInt(int code, int value) {
        return new ErrorCause(code, new byte[] {(byte) (value >>> 24), (byte) (value >>> 16), (byte) (value >>> 8), (byte) value});
    }

    /** @return the encoded size with header and padding. */
    public int encodedSize() {
        return (4 + info.length + 3) & ~3;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ErrorCause c && c.code == code && Arrays.equals(c.info, info);
    }

    @Override
    public int hashCode() {
        return code * 31 + Arrays.hashCode(info);
    }

    @Override
    public String toString() {
        return "ErrorCause[code=" + code + ", " + info.length + " bytes]";
    }
}
