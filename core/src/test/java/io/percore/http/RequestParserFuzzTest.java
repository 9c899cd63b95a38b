package io.percore.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import io.percore.memory.MemoryPool;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * A mutational fuzzer for the request parser that runs in every build: a fixed seed corpus of valid and nearly
 * valid requests, damaged by seeded random mutations (byte flips, inserted delimiters, deleted and repeated spans,
 * spliced requests, numbers replaced by edge values). For each input: the parser and body decoders may only accept
 * it or refuse it with {@link HttpException} (anything else thrown is a bug); delivering it whole, one byte at a
 * time, and cut at random places must give the same outcome; and no pool memory may be left behind. The seed and
 * case number in a failure replay it. (Coverage-guided fuzzing with Jazzer is in {@link RequestParserJazzerTest}.)
 */
class RequestParserFuzzTest extends ShardTestBase {
    private static final long SEED = 0x48_54_54_50L;
    private static final int CASES = 30_000;
    private static final int PER_TASK = 150;
    private static final HttpLimits LIMITS = new HttpLimits(128, 1024, 16, 4096);

    static List<byte[]> corpus() {
        String[] seeds = {
                "GET / HTTP/1.1\r\nHost: example.com\r\n\r\n",
                "GET /a%20b/c?x=1&y=%C3%A9 HTTP/1.1\r\nHost: h\r\nAccept: */*\r\nX-Many: a, b, c\r\n\r\n",
                "POST /submit HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n\r\nhello world",
                "POST /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nT: v\r\n\r\n",
                "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\nHEAD /x HTTP/1.1\r\nHost: h\r\n\r\n",
                "PUT /u HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\nabc",
                "GET /ws HTTP/1.1\nHost: h\nUpgrade: websocket\nConnection: Upgrade\n\n",
                "OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\nGET http://h:80/p HTTP/1.1\r\nHost: h\r\n\r\n",
                "\r\nDELETE /r/1 HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n",
        };
        List<byte[]> out = new ArrayList<>();
        for (String s : seeds) {
            out.add(s.getBytes(StandardCharsets.ISO_8859_1));
        }
        return out;
    }

    private static final byte[] INTERESTING = {'\r', '\n', ':', ' ', '\t', ';', ',', '0', '9', 'f', '%', '?', '/', 0,
            0x7f, (byte) 0x80, (byte) 0xff, 'a', 'Z', '-'};
    private static final String[] NUMBERS = {"0", "1", "-1", "4096", "4097", "99999999999999999999", "ffffffff",
            "7fffffffffffffff", "00000000000000000000001", " 5", "5 ", "0x5"};

    static byte[] mutate(List<byte[]> corpus, SplittableRandom r) {
        byte[] b = corpus.get(r.nextInt(corpus.size())).clone();
        int rounds = 1 + r.nextInt(4);
        for (int k = 0; k < rounds; k++) {
            int n = b.length;
            switch (r.nextInt(8)) {
                case 0 -> {
                    if (n > 0) {
                        b[r.nextInt(n)] ^= (byte) (1 << r.nextInt(8));
                    }
                }
                case 1 -> b = insert(b, r.nextInt(n + 1), new byte[] {INTERESTING[r.nextInt(INTERESTING.length)]});
                case 2 -> {
                    if (n > 1) {
                        int at = r.nextInt(n);
                        int len = 1 + r.nextInt(Math.min(8, n - at));
                        b = cut(b, at, len);
                    }
                }
                case 3 -> {
                    if (n > 1) {
                        int at = r.nextInt(n);
                        int len = 1 + r.nextInt(Math.min(40, n - at));
                        byte[] span = java.util.Arrays.copyOfRange(b, at, at + len);
                        b = insert(b, at, span);
                    }
                }
                case 4 -> {
                    byte[] other = corpus.get(r.nextInt(corpus.size()));
                    int at = r.nextInt(other.length);
                    b = insert(b, r.nextInt(n + 1), java.util.Arrays.copyOfRange(other, at, other.length));
                }
                case 5 -> {
                    // Replace a run of digits or hex (a length, a chunk size) by an edge value.
                    int start = -1;
                    for (int tries = 0; tries < 10 && start < 0 && n > 0; tries++) {
                        int at = r.nextInt(n);
                        if (HttpChars.hexValue(b[at]) >= 0) {
                            start = at;
                        }
                    }
                    if (start >= 0) {
                        int end = start;
                        while (end < n && HttpChars.hexValue(b[end]) >= 0) {
                            end++;
                        }
                        byte[] num = NUMBERS[r.nextInt(NUMBERS.length)].getBytes(StandardCharsets.ISO_8859_1);
                        b = insert(cut(b, start, end - start), start, num);
                    }
                }
                case 6 -> {
                    if (n > 0) {
                        b = java.util.Arrays.copyOf(b, r.nextInt(n));
                    }
                }
                default -> {
                    if (n > 0) {
                        b[r.nextInt(n)] = INTERESTING[r.nextInt(INTERESTING.length)];
                    }
                }
            }
        }
        return b;
    }

    private static byte[] insert(byte[] b, int at, byte[] what) {
        byte[] out = new byte[b.length + what.length];
        System.arraycopy(b, 0, out, 0, at);
        System.arraycopy(what, 0, out, at, what.length);
        System.arraycopy(b, at, out, at + what.length, b.length - at);
        return out;
    }

    private static byte[] cut(byte[] b, int at, int len) {
        byte[] out = new byte[b.length - len];
        System.arraycopy(b, 0, out, 0, at);
        System.arraycopy(b, at + len, out, at, b.length - at - len);
        return out;
    }

    /** Checks one input every way. @throws AssertionError naming the input on any misbehaviour */
    static void check(byte[] input, SplittableRandom r, String label) {
        ParseDriver.Outcome whole;
        try {
            whole = ParseDriver.parse(input, new int[0], LIMITS);
            int[] all = new int[Math.max(0, input.length - 1)];
            for (int i = 0; i < all.length; i++) {
                all[i] = i + 1;
            }
            assertEquals(whole.toString(), ParseDriver.parse(input, all, LIMITS).toString(), "byte by byte");
            if (input.length > 2) {
                int[] cuts = r.ints(1 + r.nextInt(3), 1, input.length).sorted().distinct().toArray();
                assertEquals(whole.toString(), ParseDriver.parse(input, cuts, LIMITS).toString(), "cut at " + java.util.Arrays.toString(cuts));
            }
        } catch (AssertionError e) {
            throw new AssertionError(label + ": deliveries disagree on " + HexFormat.of().formatHex(input) + ": " + e.getMessage(), e);
        } catch (HttpException e) {
            throw new AssertionError(label + ": a refusal escaped the driver", e);
        } catch (Throwable t) {
            fail(label + ": " + HexFormat.of().formatHex(input) + " threw " + t, t);
        }
    }

    @Test
    void mutatedRequestsAreAcceptedOrRefusedTheSameWayHoweverTheyArrive() throws Exception {
        List<byte[]> corpus = corpus();
        SplittableRandom random = new SplittableRandom(SEED);
        long[] baseline = new long[1];
        onShard(() -> baseline[0] = MemoryPool.current().used());
        int[] outcomes = new int[3]; // accepted, refused, incomplete
        for (int done = 0; done < CASES; done += PER_TASK) {
            int first = done;
            SplittableRandom batch = random.split();
            onShard(() -> {
                for (int i = first; i < first + PER_TASK; i++) {
                    byte[] input = mutate(corpus, batch);
                    String label = "seed " + SEED + " case " + i;
                    check(input, batch, label);
                    ParseDriver.Outcome o = ParseDriver.parse(input, new int[0], LIMITS);
                    outcomes[o.refusal() != 0 ? 1 : o.incomplete() ? 2 : 0]++;
                }
                assertEquals(baseline[0], MemoryPool.current().used(), "pool memory left behind by cases up to " + (first + PER_TASK));
            });
        }
        System.out.println("parser fuzz: accepted/refused/incomplete " + java.util.Arrays.toString(outcomes));
        // The mutations must reach both sides of the parser's decisions, or the fuzzer tests nothing.
        for (int count : outcomes) {
            org.junit.jupiter.api.Assertions.assertTrue(count > CASES / 50, "outcomes accepted/refused/incomplete: "
                    + java.util.Arrays.toString(outcomes));
        }
    }
}
