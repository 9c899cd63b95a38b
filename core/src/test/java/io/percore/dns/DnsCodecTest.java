package io.percore.dns;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.percore.memory.Buffer;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The wire format: exact bytes of queries, round trips, real server output, and every malformation. */
class DnsCodecTest {
    /** dnsmasq 2.90's answer to "www.test A" with www.test → web.test → alpha.test → 10.1.2.3 (captured). */
    static final String DNSMASQ_CNAME_CHAIN = "1234858000010003000000000377777704746573740000010001c00c000500010000"
            + "0000000a03776562047465737400c0260005000100000000000c05616c706861047465737400c03c00010001000000000004"
            + "0a010203";

    static byte[] hex(String s) {
        return HexFormat.of().parseHex(s);
    }

    static InetAddress ip(String literal) {
        return io.percore.net.SocketAddress.parseLiteral(literal);
    }

    @Test
    void aQueryHasTheExactRfc1035Layout() {
        byte[] wire = DnsMessage.query(0xBEEF, "www.Example.com", DnsRecord.AAAA, 0).encode();
        assertEquals("beef" + "0100" + "0001" + "0000" + "0000" + "0000"
                + "03" + "777777" + "07" + "4578616d706c65" + "03" + "636f6d" + "00" + "001c" + "0001",
                HexFormat.of().formatHex(wire), "id, RD only, one question, labels as given, AAAA, IN");
    }

    @Test
    void anEdnsQueryCarriesAnOptRecordWithThePayloadSize() {
        byte[] wire = DnsMessage.query(1, "a.b", DnsRecord.A, 1232).encode();
        String tail = HexFormat.of().formatHex(wire, wire.length - 11, wire.length);
        assertEquals("00" + "0029" + "04d0" + "00000000" + "0000", tail, "root, OPT, 1232, no flags, no options");
        assertEquals(1, wire[11], "ARCOUNT 1");
        DnsMessage back = DnsMessage.decode(wire);
        assertEquals(1232, back.opt().udpPayloadSize());
    }

    @Test
    void aRealDnsmasqResponseDecodes() {
        DnsMessage m = DnsMessage.decode(hex(DNSMASQ_CNAME_CHAIN));
        assertEquals(0x1234, m.id());
        assertTrue(m.isResponse());
        assertTrue(m.isAuthoritative());
        assertFalse(m.isTruncated());
        assertEquals(DnsMessage.NOERROR, m.rcode());
        assertEquals(List.of(DnsQuestion.of("www.test", DnsRecord.A)), m.questions());
        assertEquals(List.of(
                new DnsRecord.NameRecord("www.test", DnsRecord.CNAME, 0, "web.test"),
                new DnsRecord.NameRecord("web.test", DnsRecord.CNAME, 0, "alpha.test"),
                new DnsRecord.AddressRecord("alpha.test", 0, ip("10.1.2.3"))), m.answers());
    }

    @Test
    void theSameBytesDecodeFromAnArrayAHeapSegmentANativeSegmentAndABuffer() {
        byte[] bytes = hex(DNSMASQ_CNAME_CHAIN);
        DnsMessage fromArray = DnsMessage.decode(bytes);
        assertEquals(fromArray, DnsMessage.decode(MemorySegment.ofArray(bytes)));
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment native_ = arena.allocate(bytes.length + 10);
            MemorySegment.copy(bytes, 0, native_, ValueLayout.JAVA_BYTE, 5, bytes.length);
            assertEquals(fromArray, DnsMessage.decode(native_.asSlice(5, bytes.length)), "a slice: offsets are relative");
        }
        Buffer buffer = Buffer.copyOf(bytes);
        try {
            assertEquals(fromArray, DnsMessage.decode(buffer));
        } finally {
            buffer.release();
        }
    }

    @Test
    void everyRecordTypeSurvivesARoundTripAndNamesAreCompressed() {
        DnsMessage query = DnsMessage.query(7, "host.example.org", DnsRecord.A, 0);
        List<DnsRecord> answers = List.of(
                new DnsRecord.NameRecord("host.example.org", DnsRecord.CNAME, 300, "real.example.org"),
                new DnsRecord.AddressRecord("real.example.org", 60, ip("192.0.2.1")),
                new DnsRecord.AddressRecord("real.example.org", 60, ip("2001:db8::1")),
                new DnsRecord.NameRecord("1.2.0.192.in-addr.arpa", DnsRecord.PTR, 5, "real.example.org"),
                new DnsRecord.RawRecord("real.example.org", DnsRecord.TXT, DnsRecord.CLASS_IN, 9, hex("0568656c6c6f")),
                new DnsRecord.RawRecord("chaos.example.org", DnsRecord.A, 3, 9, hex("01020304")));
        List<DnsRecord> authorities = List.of(
                new DnsRecord.NameRecord("example.org", DnsRecord.NS, 3600, "ns1.example.org"),
                new DnsRecord.SoaRecord("example.org", 3600, "ns1.example.org", "admin.example.org", 2024010101L,
                        7200, 900, 1209600, 0xFFFF_FFFFL));
        List<DnsRecord> additionals = List.of(new DnsRecord.OptRecord(4096, 1, 0, true, hex("000a0002abcd")));
        DnsMessage response = DnsMessage.response(query, DnsMessage.NXDOMAIN, answers, authorities, additionals)
                .withFlags(DnsMessage.FLAG_QR | DnsMessage.FLAG_AA | DnsMessage.FLAG_RD | DnsMessage.FLAG_RA
                        | DnsMessage.NXDOMAIN);
        byte[] wire = response.encode();
        DnsMessage back = DnsMessage.decode(wire);
        assertEquals(response, back);
        assertEquals((1 << 4) | DnsMessage.NXDOMAIN, back.rcode(), "the OPT record's extended rcode bits count");
        assertTrue(back.isAuthoritative());
        // "example.org" is written once; every later occurrence is (or ends in) a 2-byte pointer.
        assertEquals(1, countOccurrences(wire, "\u0007example\u0003org\u0000".getBytes()), "one copy of the suffix");
    }

    private static int countOccurrences(byte[] haystack, byte[] needle) {
        int n = 0;
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            n++;
        }
        return n;
    }

    @Test
    void anIpv4MappedAaaaStaysAnIpv6AaaaRecord() {
        byte[] raw = new byte[16];
        raw[10] = (byte) 0xFF;
        raw[11] = (byte) 0xFF;
        raw[12] = 10;
        raw[15] = 1;
        DnsMessage q = DnsMessage.query(2, "m.test", DnsRecord.AAAA, 0);
        byte[] wire = DnsMessage.response(q, 0, List.of(new DnsRecord.RawRecord("m.test", DnsRecord.AAAA, 1, 1, raw)),
                List.of(), List.of()).encode();
        DnsRecord r = DnsMessage.decode(wire).answers().getFirst();
        DnsRecord.AddressRecord a = assertInstanceOf(DnsRecord.AddressRecord.class, r);
        assertInstanceOf(Inet6Address.class, a.address());
        assertEquals(DnsRecord.AAAA, a.type());
    }

    @Test
    void labelBytesThatAreNotPrintableAreEscapedAndRoundTrip() {
        DnsMessage q = DnsMessage.query(3, "a\\.b\\\\c\\000\\255 .x", DnsRecord.A, 0);
        byte[] wire = q.encode();
        assertEquals(List.of(8, 1), List.of((int) wire[12], (int) wire[21]), "one 8-byte label, then 'x'");
        String name = DnsMessage.decode(wire).questions().getFirst().name();
        assertEquals("a\\.b\\\\c\\000\\255\\032.x", name, "dot, backslash, binary and space escaped");
        assertEquals(name, DnsMessage.decode(DnsMessage.query(3, name, DnsRecord.A, 0).encode())
                .questions().getFirst().name());
    }

    @Test
    void invalidNamesAreRefusedWhenEncoding() {
        for (String bad : List.of("a..b", ".a", "x".repeat(64) + ".com", "a\\", "a\\25", "a\\256", "ünï.com",
                ("abcdefghi.".repeat(26)) + "abc")) {
            assertThrows(IllegalArgumentException.class, () -> DnsNames.labels(bad), bad);
        }
        assertEquals(2, DnsNames.labels("a.b.").size(), "a final dot is allowed");
        assertEquals(0, DnsNames.labels(".").size(), "the root");
        assertEquals(63, DnsNames.labels("x".repeat(63)).getFirst().length);
    }

    @Test
    void namesCompareWithoutCaseOrFinalDotAndReverseNamesAreRight() {
        assertTrue(DnsRecord.sameName("WWW.Example.COM.", "www.example.com"));
        assertFalse(DnsRecord.sameName("www.example.com", "www.example.co"));
        assertEquals(2, DnsNames.dots("a.b.c."));
        assertEquals(1, DnsNames.dots("a\\.b.c"), "an escaped dot is not a separator");
        assertTrue(DnsNames.isAbsolute("a.b."));
        assertFalse(DnsNames.isAbsolute("a\\."));
        assertEquals("4.3.2.1.in-addr.arpa", DnsNames.reverse(ip("1.2.3.4")));
        assertEquals("b.a.9.8.7.6.5.0.4.0.0.0.3.0.0.0.2.0.0.0.1.0.0.0.0.0.0.0.1.2.3.4.ip6.arpa",
                DnsNames.reverse(ip("4321:0:1:2:3:4:567:89ab")), "RFC 3596's own example");
    }

    // ------------------------------------------------------------------------------------------------ malformed

    /** A header claiming one question, then {@code rest}. */
    static byte[] withOneQuestion(String rest) {
        return hex("abcd8180" + "0001" + "0000" + "0000" + "0000" + rest);
    }

    static DnsException.Malformed malformed(byte[] bytes) {
        return assertThrows(DnsException.Malformed.class, () -> DnsMessage.decode(bytes));
    }

    @Test
    void aPointerToItselfIsALoop() {
        DnsException.Malformed e = malformed(withOneQuestion("c00c" + "00010001"));
        assertTrue(e.getMessage().contains("loop"), e.getMessage());
        assertEquals(12, e.offset());
    }

    @Test
    void twoPointersToEachOtherAreALoop() {
        // Question name at 12: label "a", at 14 a pointer to 17; at 17 a pointer back to 12.
        DnsException.Malformed e = malformed(withOneQuestion("0161" + "c011" + "00" + "c00c"));
        assertTrue(e.getMessage().contains("loop"), e.getMessage());
    }

    @Test
    void aLoopInAnAnswerAfterAGoodQuestionIsCaughtToo() {
        DnsMessage q = DnsMessage.query(0xabcd, "ok.test", DnsRecord.A, 0);
        byte[] good = DnsMessage.response(q, 0, List.of(new DnsRecord.AddressRecord("ok.test", 1, ip("1.1.1.1"))),
                List.of(), List.of()).encode();
        int answerName = 12 + 9 + 4; // header, "ok.test" (9 bytes), type and class
        assertEquals((byte) 0xC0, good[answerName], "the answer's owner is a pointer to the question");
        good[answerName + 1] = (byte) answerName; // now it points to itself
        DnsException.Malformed e = malformed(good);
        assertTrue(e.getMessage().contains("loop"), e.getMessage());
        assertEquals(answerName, e.offset());
    }

    @Test
    void aPointerOutsideTheMessageIsRefused() {
        DnsException.Malformed e = malformed(withOneQuestion("c0ff" + "00010001"));
        assertTrue(e.getMessage().contains("outside the message"), e.getMessage());
        malformed(withOneQuestion("c3")); // a pointer cut in half
    }

    @Test
    void reservedLabelTypesAreRefused() {
        assertTrue(malformed(withOneQuestion("4161" + "00" + "00010001")).getMessage().contains("label type"));
        assertTrue(malformed(withOneQuestion("8161" + "00" + "00010001")).getMessage().contains("label type"));
    }

    @Test
    void aNameLongerThan255BytesIsRefusedEvenThroughPointers() {
        // Four 63-byte labels: 256 bytes with their lengths, 257 with the root, over the 255 limit.
        StringBuilder rest = new StringBuilder();
        for (int i = 0; i < 4; i++) {
            rest.append("3f").append("61".repeat(63));
        }
        rest.append("00").append("00010001");
        assertTrue(malformed(withOneQuestion(rest.toString())).getMessage().contains("255"));
    }

    @Test
    void everyCutOfAValidResponseIsMalformedNeverAnotherException() {
        byte[] full = hex(DNSMASQ_CNAME_CHAIN);
        for (int len = 0; len < full.length; len++) {
            byte[] cut = java.util.Arrays.copyOf(full, len);
            int l = len;
            DnsException.Malformed e = assertThrows(DnsException.Malformed.class, () -> DnsMessage.decode(cut),
                    "cut at " + l);
            assertTrue(e.getMessage().contains("cut short") || e.getMessage().contains("past the end")
                    || e.getMessage().contains("outside the message"), e.getMessage());
        }
    }

    @Test
    void aTruncatedMessageKeepsTheRecordsThatArrived() {
        byte[] full = hex(DNSMASQ_CNAME_CHAIN);
        full[2] |= 0x02; // TC
        byte[] cut = java.util.Arrays.copyOf(full, full.length - 3); // the A record loses its last bytes
        DnsMessage m = DnsMessage.decode(cut);
        assertTrue(m.isTruncated());
        assertEquals(2, m.answers().size(), "the two whole CNAMEs, not the cut A");
    }

    @Test
    void recordDataOfTheWrongLengthIsRefused() {
        DnsMessage q = DnsMessage.query(9, "x.test", DnsRecord.A, 0);
        byte[] wire = DnsMessage.response(q, 0, List.of(new DnsRecord.AddressRecord("x.test", 1, ip("1.2.3.4"))),
                List.of(), List.of()).encode();
        byte[] five = java.util.Arrays.copyOf(wire, wire.length + 1);
        five[wire.length - 5] = 5; // RDLENGTH 4 → 5 (the extra byte exists)
        assertTrue(malformed(five).getMessage().contains("A record of 5 bytes"), malformed(five).getMessage());

        // A CNAME whose name runs past its RDLENGTH.
        byte[] cname = DnsMessage.response(q, 0, List.of(new DnsRecord.NameRecord("x.test", DnsRecord.CNAME, 1,
                "long.target.test")), List.of(), List.of()).encode();
        int rdlength = 12 + 8 + 4 + 2 + 2 + 2 + 4;
        assertEquals(0, cname[rdlength]);
        cname[rdlength + 1] = 3;
        assertTrue(malformed(cname).getMessage().contains("record says 3"), malformed(cname).getMessage());
    }

    @Test
    void countsLargerThanTheMessageAreCaughtWithoutAllocatingForThem() {
        DnsException.Malformed e = malformed(hex("0000" + "8180" + "ffff" + "ffff" + "ffff" + "ffff"));
        assertEquals(12, e.offset());
        assertNull(e.name());
        assertNull(e.server());
    }

    @Test
    void aHugeTtlReadsAsZero() {
        DnsMessage q = DnsMessage.query(9, "x.test", DnsRecord.A, 0);
        byte[] wire = DnsMessage.response(q, 0, List.of(new DnsRecord.AddressRecord("x.test", 0x8000_0000L,
                ip("1.2.3.4"))), List.of(), List.of()).encode();
        assertEquals(0, DnsMessage.decode(wire).answers().getFirst().ttl(), "RFC 2181: MSB set means zero");
    }
}
