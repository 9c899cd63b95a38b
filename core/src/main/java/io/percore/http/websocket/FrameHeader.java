package io.percore.http.websocket;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The frame header of RFC 6455 §5.2, written: FIN and opcode, the MASK bit, the payload length in the shortest of
 * its three encodings — 0..125 in the 7-bit field; 126..65535 as 126 then 16 bits; 65536 and up as 127 then 64
 * bits (most significant bit 0) — and the 4-byte masking key when masked. {@link #size} and {@link #write} agree by
 * construction, which is where Seastar's version went wrong (0x7e written for the 64-bit form, and a header size
 * one byte off).
 */
final class FrameHeader {
    private FrameHeader() {}

    /** Largest payload length of the 7-bit form. */
    static final int MAX_7BIT = 125;
    /** Largest payload length of the 16-bit form. */
    static final int MAX_16BIT = 65535;
    /** Longest header: 2 + 8 length bytes + 4 mask bytes. */
    static final int MAX_SIZE = 14;

    /** @return the header's size in bytes for a payload of {@code length} bytes. */
    static int size(long length, boolean masked) {
        if (length < 0) {
            throw new IllegalArgumentException("negative payload length " + length);
        }
        int size = 2;
        if (length > MAX_16BIT) {
            size += 8;
        } else if (length > MAX_7BIT) {
            size += 2;
        }
        return masked ? size + 4 : size;
    }

    /**
     * Writes a header at {@code offset} of {@code dst}.
     *
     * @param maskKey the masking key, written big-endian when {@code masked}
     * @return the number of bytes written, equal to {@link #size(long, boolean)}
     */
    static int write(MemorySegment dst, long offset, boolean fin, int opcode, long length, boolean masked, int maskKey) {
        long at = offset;
        dst.set(ValueLayout.JAVA_BYTE, at++, (byte) ((fin ? 0x80 : 0) | (opcode & 0x0f)));
        int maskBit = masked ? 0x80 : 0;
        if (length <= MAX_7BIT) {
            dst.set(ValueLayout.JAVA_BYTE, at++, (byte) (maskBit | (int) length));
        } else if (length <= MAX_16BIT) {
            dst.set(ValueLayout.JAVA_BYTE, at++, (byte) (maskBit | 126));
            dst.set(ValueLayout.JAVA_BYTE, at++, (byte) (length >>> 8));
            dst.set(ValueLayout.JAVA_BYTE, at++, (byte) length);
        } else {
            dst.set(ValueLayout.JAVA_BYTE, at++, (byte) (maskBit | 127));
            for (int shift = 56; shift >= 0; shift -= 8) {
                dst.set(ValueLayout.JAVA_BYTE, at++, (byte) (length >>> shift));
            }
        }
        if (masked) {
            for (int shift = 24; shift >= 0; shift -= 8) {
                dst.set(ValueLayout.JAVA_BYTE, at++, (byte) (maskKey >>> shift));
            }
        }
        return (int) (at - offset);
    }

    /**
     * XORs {@code length} bytes of {@code data} at {@code offset} with the masking key, starting at byte
     * {@code keyIndex} of the key (so a payload masked in several pieces lines up). Eight bytes at a time where it
     * can.
     *
     * @return the key index after the last byte
     */
    static int mask(MemorySegment data, long offset, long length, int maskKey, int keyIndex) {
        byte[] key = {(byte) (maskKey >>> 24), (byte) (maskKey >>> 16), (byte) (maskKey >>> 8), (byte) maskKey};
        long i = 0;
        int k = keyIndex & 3;
        while (i < length && ((offset + i) & 7) != 0) {
            data.set(ValueLayout.JAVA_BYTE, offset + i, (byte) (data.get(ValueLayout.JAVA_BYTE, offset + i) ^ key[k]));
            k = (k + 1) & 3;
            i++;
        }
        if (length - i >= 8) {
            // The key repeated over 8 bytes, starting at key byte k, in memory order (little-endian longs here).
            long wide = 0;
            for (int b = 0; b < 8; b++) {
                wide |= (key[(k + b) & 3] & 0xffL) << (8 * b);
            }
            ValueLayout.OfLong le = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN);
            for (; length - i >= 8; i += 8) {
                data.set(le, offset + i, data.get(le, offset + i) ^ wide);
            }
        }
        while (i < length) {
            data.set(ValueLayout.JAVA_BYTE, offset + i, (byte) (data.get(ValueLayout.JAVA_BYTE, offset + i) ^ key[k]));
            k = (k + 1) & 3;
            i++;
        }
        return k;
    }
}
