package io.percore.dns;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.percore.net.SocketAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Random damage to valid responses: the decoder must either decode the result or throw
 * {@link DnsException.Malformed}, never anything else (no IndexOutOfBounds, no IllegalArgument from a record
 * constructor, no endless loop, no huge allocation). Seeded, so a failure names the seed and case to replay.
 */
class DnsCodecFuzzTest {
    private static final long SEED = 0x5EED_D15CL;
    private static final int CASES = 100_000;

    private static List<byte[]> corpus() {
        DnsMessage q = DnsMessage.query(0x4242, "www.example.com", DnsRecord.A, 1232);
        List<byte[]> corpus = new ArrayList<>();
        corpus.add(HexFormat.of().parseHex(DnsCodecTest.DNSMASQ_CNAME_CHAIN));
        corpus.add(q.encode());
        corpus.add(DnsMessage.response(q, 0, List.of(
                        new DnsRecord.NameRecord("www.example.com", DnsRecord.CNAME, 30, "edge.example.com"),
                        new DnsRecord.AddressRecord("edge.example.com", 30, SocketAddress.parseLiteral("192.0.2.7")),
                        new DnsRecord.AddressRecord("edge.example.com", 30, SocketAddress.parseLiteral("2001:db8::7"))),
                List.of(new DnsRecord.NameRecord("example.com", DnsRecord.NS, 60, "ns.example.com")),
                List.of(new DnsRecord.OptRecord(1232, 0, 0, false, null))).encode());
        corpus.add(DnsMessage.response(q, DnsMessage.NXDOMAIN, List.of(), List.of(new DnsRecord.SoaRecord(
                "example.com", 60, "ns.example.com", "hostmaster.example.com", 1, 2, 3, 4, 5)), List.of()).encode());
        corpus.add(DnsMessage.response(DnsMessage.query(7, "4.3.2.1.in-addr.arpa", DnsRecord.PTR, 0), 0,
                List.of(new DnsRecord.NameRecord("4.3.2.1.in-addr.arpa", DnsRecord.PTR, 5, "host.example.com")),
                List.of(), List.of()).encode());
        return corpus;
    }

    @Test
    void damagedResponsesDecodeOrFailAsMalformedOnly() {
        List<byte[]> corpus = corpus();
        SplittableRandom random = new SplittableRandom(SEED);
        int decoded = 0;
        int malformed = 0;
        for (int i = 0; i < CASES; i++) {
            byte[] input = mutate(corpus.get(random.nextInt(corpus.size())), random);
            try {
                DnsMessage m = DnsMessage.decode(input);
                decoded++;
                // What decodes must encode again (names and lengths were checked on the way in).
                DnsMessage.decode(m.encode());
            } catch (DnsException.Malformed expected) {
                malformed++;
            } catch (Throwable t) {
                fail("case " + i + " (seed " + SEED + "): " + HexFormat.of().formatHex(input) + " threw " + t, t);
            }
        }
        // Both outcomes must be common, or the mutations are too gentle or too brutal to test anything.
        assertTrue(decoded > CASES / 50 && malformed > CASES / 50, decoded + " decoded, " + malformed + " malformed");
    }

    @Test
    void randomBytesFailAsMalformedOnly() {
        SplittableRandom random = new SplittableRandom(SEED + 1);
        for (int i = 0; i < 50_000; i++) {
            byte[] input = new byte[random.nextInt(0, 80)];
            random.nextBytes(input);
            if (input.length >= 12 && random.nextBoolean()) {
                input[4] = 0; // small counts, so that the records get read
                input[5] = 1;
                input[6] = 0;
                input[7] = (byte) random.nextInt(4);
            }
            try {
                DnsMessage.decode(input);
            } catch (DnsException.Malformed expected) {
                // fine
            } catch (Throwable t) {
                fail("random case " + i + ": " + HexFormat.of().formatHex(input) + " threw " + t, t);
            }
        }
    }

    /** One to four damages of the kinds that break parsers: bit flips, pointer bytes, length bytes, cuts. */
    static byte[] mutate(byte[] original, SplittableRandom random) {
        byte[] b = original.clone();
        int damages = 1 + random.nextInt(4);
        for (int d = 0; d < damages; d++) {
            if (b.length == 0) {
                break;
            }
            int at = random.nextInt(b.length);
            switch (random.nextInt(8)) {
                case 0 -> b[at] ^= (byte) (1 << random.nextInt(8));
                case 1 -> b[at] = (byte) random.nextInt(256);
                case 2 -> { // a compression pointer to somewhere (often a loop or out of bounds)
                    if (at + 1 < b.length) {
                        b[at] = (byte) (0xC0 | random.nextInt(2));
                        b[at + 1] = (byte) random.nextInt(256);
                    }
                }
                case 3 -> b[at] = (byte) random.nextInt(64); // a plausible label length in the wrong place
                case 4 -> b = Arrays.copyOf(b, random.nextInt(b.length + 1)); // cut short
                case 5 -> { // counts in the header
                    if (b.length >= 12) {
                        b[4 + 2 * random.nextInt(4) + 1] = (byte) random.nextInt(256);
                    }
                }
                case 6 -> { // extra garbage at the end
                    byte[] tail = new byte[random.nextInt(1, 16)];
                    random.nextBytes(tail);
                    byte[] longer = Arrays.copyOf(b, b.length + tail.length);
                    System.arraycopy(tail, 0, longer, b.length, tail.length);
                    b = longer;
                }
                default -> { // flip TC, so that the lenient path is fuzzed as well
                    if (b.length > 2) {
                        b[2] ^= 0x02;
                    }
                }
            }
        }
        return b;
    }
}
