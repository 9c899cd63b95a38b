package io.percore.http.websocket;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.percore.memory.Buffer;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Frame headers exactly at the length-encoding boundaries (the places Seastar got wrong: the 64-bit marker must be
 * 0x7f, and the header size must match what is written), masking, the decoder's checks, and UTF-8 validation.
 */
class FrameCodecTest {
    private static byte[] header(boolean fin, int opcode, long length, boolean masked, int key) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment seg = a.allocate(FrameHeader.MAX_SIZE);
            int n = FrameHeader.write(seg, 0, fin, opcode, length, masked, key);
            assertEquals(FrameHeader.size(length, masked), n, "size() and write() disagree at length " + length);
            return seg.asSlice(0, n).toArray(ValueLayout.JAVA_BYTE);
        }
    }

    @Test
    void lengthEncodingsAtTheirBoundaries() {
        assertArrayEquals(new byte[] {(byte) 0x81, 0}, header(true, 1, 0, false, 0));
        assertArrayEquals(new byte[] {(byte) 0x82, 125}, header(true, 2, 125, false, 0));
        assertArrayEquals(new byte[] {(byte) 0x82, 126, 0, 126}, header(true, 2, 126, false, 0));
        assertArrayEquals(new byte[] {(byte) 0x82, 126, (byte) 0xff, (byte) 0xff}, header(true, 2, 65535, false, 0));
        assertArrayEquals(new byte[] {(byte) 0x82, 127, 0, 0, 0, 0, 0, 1, 0, 0}, header(true, 2, 65536, false, 0));
        assertArrayEquals(new byte[] {0x02, 127, 0, 0, 0, 1, 0, 0, 0, 0}, header(false, 2, 1L << 32, false, 0));
        assertArrayEquals(new byte[] {(byte) 0x82, (byte) (0x80 | 127), 0, 0, 0, 0, 0, 0x10, 0, 0, 1, 2, 3, 4},
                header(true, 2, 1 << 20, true, 0x01020304));
        assertEquals(2, FrameHeader.size(0, false));
        assertEquals(2, FrameHeader.size(125, false));
        assertEquals(4, FrameHeader.size(126, false));
        assertEquals(4, FrameHeader.size(65535, false));
        assertEquals(10, FrameHeader.size(65536, false));
        assertEquals(6, FrameHeader.size(125, true));
        assertEquals(8, FrameHeader.size(126, true));
        assertEquals(14, FrameHeader.size(65536, true));
    }

    @Test
    void maskingIsItsOwnInverseAtAnyAlignment() {
        Random r = new Random(3);
        try (Arena a = Arena.ofConfined()) {
            for (int length : new int[] {0, 1, 3, 7, 8, 9, 63, 64, 1000}) {
                for (int offset = 0; offset < 9; offset++) {
                    byte[] data = new byte[length];
                    r.nextBytes(data);
                    MemorySegment seg = a.allocate(length + 16);
                    MemorySegment.copy(data, 0, seg, ValueLayout.JAVA_BYTE, offset, length);
                    int key = r.nextInt();
                    // masked in two pieces, cut anywhere, equals masked in one
                    int cut = length / 3;
                    int k = FrameHeader.mask(seg, offset, cut, key, 0);
                    FrameHeader.mask(seg, offset + cut, length - cut, key, k);
                    byte[] expected = data.clone();
                    for (int i = 0; i < length; i++) {
                        expected[i] ^= (byte) (key >>> (8 * (3 - (i & 3))));
                    }
                    assertArrayEquals(expected, seg.asSlice(offset, length).toArray(ValueLayout.JAVA_BYTE));
                    FrameHeader.mask(seg, offset, length, key, 0);
                    assertArrayEquals(data, seg.asSlice(offset, length).toArray(ValueLayout.JAVA_BYTE));
                }
            }
        }
    }

    /** Encodes a frame as a client would (masked) or a server (not). */
    static byte[] frame(boolean fin, int opcode, byte[] payload, boolean masked) {
        int key = 0x37fa213d;
        byte[] h = header(fin, opcode, payload.length, masked, key);
        byte[] out = Arrays.copyOf(h, h.length + payload.length);
        for (int i = 0; i < payload.length; i++) {
            out[h.length + i] = masked ? (byte) (payload[i] ^ (key >>> (8 * (3 - (i & 3))))) : payload[i];
        }
        return out;
    }

    /** Decodes {@code bytes} fed one byte at a time (or whole). */
    private static WebSocketFrame decode(FrameDecoder d, byte[] bytes, boolean byteByByte) {
        Buffer all = Buffer.copyOf(bytes);
        WebSocketFrame got = null;
        try {
            if (!byteByByte) {
                got = d.next(all);
            } else {
                for (int i = 0; i < bytes.length; i++) {
                    Buffer one = all.share(i, 1);
                    WebSocketFrame f = d.next(one);
                    one.release();
                    if (f != null) {
                        assertNull(got, "two frames out of one");
                        got = f;
                        assertEquals(bytes.length - 1, i, "frame ended early");
                    }
                }
                if (bytes.length == 0) {
                    got = d.next(all);
                }
            }
        } finally {
            all.release();
        }
        return got;
    }

    @Test
    void decoderRoundTripsBoundaryLengthsWholeAndByteByByte() {
        Random r = new Random(5);
        for (int length : new int[] {0, 1, 125, 126, 127, 65535, 65536, 70000}) {
            byte[] payload = new byte[length];
            r.nextBytes(payload);
            for (boolean masked : new boolean[] {true, false}) {
                for (boolean split : new boolean[] {false, true}) {
                    if (split && length > 70000) {
                        continue;
                    }
                    FrameDecoder d = new FrameDecoder(masked, 1 << 20);
                    WebSocketFrame f = decode(d, frame(length % 2 == 0, 2, payload, masked), split);
                    assertEquals(length % 2 == 0, f.fin());
                    assertEquals(2, f.opcode());
                    assertArrayEquals(payload, f.payload().toArray(), "length " + length);
                    f.payload().release();
                }
            }
        }
    }

    private static int decodeError(boolean serverSide, long limit, byte[] bytes) {
        FrameDecoder d = new FrameDecoder(serverSide, limit);
        ProtocolError e = assertThrows(ProtocolError.class, () -> decode(d, bytes, false));
        d.release();
        return e.code();
    }

    @Test
    void decoderRefusesWhatTheRfcForbids() {
        assertEquals(1002, decodeError(true, 100, new byte[] {(byte) 0xC1, (byte) 0x80, 0, 0, 0, 0})); // RSV1
        assertEquals(1002, decodeError(true, 100, new byte[] {(byte) 0x83, (byte) 0x80, 0, 0, 0, 0})); // opcode 3
        assertEquals(1002, decodeError(true, 100, new byte[] {(byte) 0x81, 0})); // unmasked from a client
        assertEquals(1002, decodeError(false, 100, new byte[] {(byte) 0x81, (byte) 0x80, 0, 0, 0, 0})); // masked from a server
        assertEquals(1002, decodeError(true, 100, new byte[] {(byte) 0x09, (byte) 0x80, 0, 0, 0, 0})); // fragmented ping
        assertEquals(1002, decodeError(true, 1000, frame(true, 9, new byte[126], true))); // ping over 125
        assertEquals(1002, decodeError(false, Long.MAX_VALUE, new byte[] {(byte) 0x82, 127, (byte) 0x80, 0, 0, 0, 0, 0, 0, 0}));
        assertEquals(1009, decodeError(true, 100, frame(true, 2, new byte[101], true)));
        assertEquals(1009, decodeError(false, 65535, new byte[] {(byte) 0x82, 127, 0, 0, 0, 0, 0, 1, 0, 0}));
    }

    @Test
    void utf8ValidationAcrossPieces() {
        String[] good = {"", "ascii", "é", "€", "𝄞 music", "κόσμε", "\uD7FF\uE000\uFFFD", "\uDBFF\uDFFF"};
        for (String s : good) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            for (int cut = 0; cut <= b.length; cut++) {
                assertTrue(valid(b, cut), s + " cut at " + cut);
            }
        }
        int[][] bad = {
                {0x80}, {0xC0, 0x80}, {0xC1, 0xBF}, {0xE0, 0x80, 0x80}, {0xED, 0xA0, 0x80}, {0xF0, 0x80, 0x80, 0x80},
                {0xF4, 0x90, 0x80, 0x80}, {0xF5, 0x80, 0x80, 0x80}, {0xFF}, {0xE2, 0x82}, {0xCE, 0xBA, 0xE1},
                {0x61, 0xC3, 0x28}};
        for (int[] ints : bad) {
            byte[] b = new byte[ints.length];
            for (int i = 0; i < ints.length; i++) {
                b[i] = (byte) ints[i];
            }
            for (int cut = 0; cut <= b.length; cut++) {
                assertFalse(valid(b, cut), Arrays.toString(ints) + " cut at " + cut);
            }
        }
    }

    private static boolean valid(byte[] b, int cut) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment seg = a.allocate(Math.max(1, b.length));
            MemorySegment.copy(b, 0, seg, ValueLayout.JAVA_BYTE, 0, b.length);
            Utf8Validator v = new Utf8Validator();
            return v.feed(seg, 0, cut) && v.feed(seg, cut, b.length - cut) && v.isComplete();
        }
    }

    @Test
    void acceptKeyOfTheRfcExample() {
        assertEquals("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", Handshake.accept("dGhlIHNhbXBsZSBub25jZQ=="));
        assertTrue(Handshake.isValidKey("dGhlIHNhbXBsZSBub25jZQ=="));
        assertFalse(Handshake.isValidKey("dGhlIHNhbXBsZQ=="));
        assertFalse(Handshake.isValidKey("not base64 at all!!!!!!!"));
        assertTrue(CloseCodes.isSendable(1000) && CloseCodes.isSendable(4999) && CloseCodes.isSendable(1011));
        assertFalse(CloseCodes.isSendable(1005) || CloseCodes.isSendable(1006) || CloseCodes.isSendable(999)
                || CloseCodes.isSendable(1004) || CloseCodes.isSendable(1015) || CloseCodes.isSendable(2000) || CloseCodes.isSendable(5000));
    }
}
