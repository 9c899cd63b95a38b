package io.percore.sctp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

class SctpCodecTest {
    static final List<Chunk> ALL = List.of(
            new Chunk.Data(7, 3, 9, 60, true, true, false, false, new byte[] {1, 2, 3}),
            new Chunk.Init(false, 0x11223344, 65536, 10, 20, 1000,
                    List.of(Param.address(InetAddress.getLoopbackAddress()), Param.supportedAddressTypes(true),
                            new Param(Param.ECN_CAPABLE, new byte[0]), new Param(Param.FORWARD_TSN_SUPPORTED, new byte[0]))),
            new Chunk.Init(true, 5, 6, 7, 8, 9, List.of(new Param(Param.STATE_COOKIE, new byte[] {9, 9, 9, 9, 9}))),
            new Chunk.Sack(100, 4096, new int[] {2, 3, 5, 5}, new int[] {99, 98}),
            new Chunk.Heartbeat(false, new byte[] {1, 2, 3, 4, 5, 6}),
            new Chunk.Heartbeat(true, new byte[] {7}),
            new Chunk.Abort(true, List.of(ErrorCause.of(ErrorCause.USER_INITIATED_ABORT, "bye"))),
            new Chunk.Shutdown(42),
            new Chunk.ShutdownAck(),
            new Chunk.ShutdownComplete(true),
            new Chunk.Error(List.of(ErrorCause.ofInt(ErrorCause.STALE_COOKIE, 1234), new ErrorCause(ErrorCause.UNRECOGNIZED_CHUNK, new byte[] {(byte) 0xC5, 0, 0, 4}))),
            new Chunk.CookieEcho(new byte[] {1, 2, 3, 4, 5, 6, 7}),
            new Chunk.CookieAck(),
            new Chunk.IData(1, 2, 3, 4, 3, new byte[] {5}),
            new Chunk.ForwardTsn(77, new int[] {1, 2, 3, 4}),
            new Chunk.Unknown(0x82, 0x01, new byte[] {1, 2, 3}));

    @Test
    void everyChunkTypeRoundTrips() {
        for (Chunk c : ALL) {
            SctpPacket p = new SctpPacket(5000, 9899, 0xCAFEBABE, List.of(c));
            byte[] wire = SctpCodec.encode(p);
            assertEquals(0, wire.length % 4, "padded: " + c);
            SctpPacket back = SctpCodec.decode(wire, 0, wire.length, true);
            assertEquals(5000, back.srcPort());
            assertEquals(9899, back.dstPort());
            assertEquals(0xCAFEBABE, back.verificationTag());
            assertEquals(1, back.chunks().size());
            assertEquals(c.getClass(), back.chunks().get(0).getClass());
            assertArrayEquals(wire, SctpCodec.encode(back), "re-encoding is identical: " + c);
        }
        // All at once: bundling.
        byte[] wire = SctpCodec.encode(new SctpPacket(1, 2, 3, ALL));
        assertEquals(ALL.size(), SctpCodec.decode(wire, 0, wire.length, true).chunks().size());
    }

    @Test
    void dataFieldsDecode() {
        byte[] wire = SctpCodec.encode(SctpPacket.of(1, 2, 3, ALL.get(0)));
        Chunk.Data d = (Chunk.Data) SctpCodec.decode(wire, 0, wire.length, true).chunks().get(0);
        assertEquals(7, d.tsn());
        assertEquals(3, d.stream());
        assertEquals(9, d.ssn());
        assertEquals(60, d.ppid());
        assertTrue(d.unordered());
        assertTrue(d.begin());
        assertFalse(d.end());
        assertArrayEquals(new byte[] {1, 2, 3}, d.payload().toArray());
        // header(12) + chunk header(4) + 12 + 3 bytes of payload, padded to 32; length field says 19
        assertEquals(32, wire.length);
        assertEquals(19, SctpCodec.u16(wire, 14));
    }

    @Test
    void checksumIsCrc32cOfTheKnownVector() {
        // The CRC32c check value of "123456789" is 0xE3069283 (RFC 3720 B.4); our field is sent LSB first.
        byte[] wire = SctpCodec.encode(SctpPacket.of(1, 2, 3, new Chunk.CookieAck()));
        java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        crc.update("123456789".getBytes());
        assertEquals(0xE3069283L, crc.getValue());
        int stored = (wire[8] & 0xFF) | (wire[9] & 0xFF) << 8 | (wire[10] & 0xFF) << 16 | (wire[11] & 0xFF) << 24;
        assertEquals(SctpCodec.checksum(wire, 0, wire.length), stored);
    }

    @Test
    void wrongChecksumIsRejected() {
        byte[] wire = SctpCodec.encode(SctpPacket.of(1, 2, 3, new Chunk.Shutdown(5)));
        wire[wire.length - 1] ^= 1;
        assertThrows(SctpMalformedException.class, () -> SctpCodec.decode(wire, 0, wire.length, true));
        SctpCodec.decode(wire, 0, wire.length, false); // structurally fine
    }

    @Test
    void aUsrsctpStyleInitDecodes() {
        // An INIT as usrsctp sends it: ECN, Forward-TSN, AUTH random/chunk list/HMAC, supported extensions,
        // supported address types (values here are illustrative, layout is the RFC's).
        String hex = "13891389" + "00000000" + "00000000"
                + "01000050" + "a1b2c3d4" + "00040000" + "000a" + "0800" + "01020304"
                + "80000004"                           // ECN capable
                + "c0000004"                           // Forward-TSN supported
                + "80080009" + "c080c10f" + "82000000" // supported extensions (5 bytes + pad)
                + "80020024" + "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff" // random
                + "80030006" + "c1800000"              // chunk list (2 bytes + pad)
                + "80040006" + "00010000";             // HMAC algorithm SHA-1 (+ pad)
        byte[] b = HexFormat.of().parseHex(hex);
        int len = b.length;
        int chunkLen = len - 12;
        b[14] = (byte) (chunkLen >> 8);
        b[15] = (byte) chunkLen;
        SctpPacket p = SctpCodec.decode(b, 0, len, false);
        Chunk.Init init = assertInstanceOf(Chunk.Init.class, p.chunks().get(0));
        assertEquals(0xa1b2c3d4, init.initiateTag());
        assertEquals(10, init.outStreams());
        assertEquals(2048, init.inStreams());
        assertEquals(6, init.params().size());
        assertEquals(Param.Action.STOP_AND_REPORT, new Param(0x4000, new byte[0]).action());
        assertEquals(Param.Action.SKIP, init.param(Param.ECN_CAPABLE).action());
        assertEquals(Param.Action.SKIP_AND_REPORT, init.param(Param.FORWARD_TSN_SUPPORTED).action());
        assertNotNull(init.param(Param.RANDOM));
    }

    @Test
    void chunkActionsFollowTheHighBits() {
        assertEquals(Chunk.Action.STOP, Chunk.action(0x0F));
        assertEquals(Chunk.Action.STOP_AND_REPORT, Chunk.action(0x40));
        assertEquals(Chunk.Action.SKIP, Chunk.action(0x80));
        assertEquals(Chunk.Action.SKIP_AND_REPORT, Chunk.action(0xC1));
    }

    @Test
    void lastChunkWithoutPaddingIsAccepted() {
        byte[] wire = SctpCodec.encode(SctpPacket.of(1, 2, 3, ALL.get(0))); // 19 bytes of chunk + 1 pad
        SctpPacket p = SctpCodec.decode(wire, 0, wire.length - 1, false);
        assertEquals(1, p.chunks().size());
    }

    @Test
    void truncationsAreMalformed() {
        byte[] wire = SctpCodec.encode(new SctpPacket(1, 2, 3, ALL));
        for (int cut = 0; cut < wire.length; cut++) {
            try {
                SctpCodec.decode(wire, 0, cut, false);
            } catch (SctpMalformedException expected) {
                // fine: many cuts leave a malformed packet; others end on a chunk boundary
            }
        }
        assertThrows(SctpMalformedException.class, () -> SctpCodec.decode(wire, 0, 11, false));
        assertThrows(SctpMalformedException.class, () -> SctpCodec.decode(wire, 0, 15, false));
    }
}
