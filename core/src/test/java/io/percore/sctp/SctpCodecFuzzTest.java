package io.percore.sctp;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Mutation fuzzing of the packet parser from a fixed seed corpus (every chunk type, bundled): whatever the bytes,
 * {@link SctpCodec#decode} returns a packet or throws {@link SctpMalformedException}, nothing else, and whatever
 * it returns re-encodes. Fixed seeds make a failure reproducible; it runs for a bounded number of inputs.
 */
class SctpCodecFuzzTest {
    @Test
    void parserThrowsOnlyItsOwnException() {
        List<byte[]> corpus = new ArrayList<>();
        for (Chunk c : SctpCodecTest.ALL) {
            corpus.add(SctpCodec.encode(SctpPacket.of(1, 2, 3, c)));
        }
        corpus.add(SctpCodec.encode(new SctpPacket(1, 2, 3, SctpCodecTest.ALL)));
        SplittableRandom rnd = new SplittableRandom(0x5C7B);
        int decoded = 0, rejected = 0;
        for (int i = 0; i < 200_000; i++) {
            byte[] seed = corpus.get(rnd.nextInt(corpus.size()));
            byte[] b = mutate(seed, rnd);
            try {
                SctpPacket p = SctpCodec.decode(b, 0, b.length, false);
                SctpCodec.encode(p);
                decoded++;
            } catch (SctpMalformedException e) {
                rejected++;
            } catch (RuntimeException e) {
                throw new AssertionError("input #" + i + " " + java.util.HexFormat.of().formatHex(b), e);
            }
        }
        // Both outcomes occur: the mutations reach past the length checks.
        assertTrue(decoded > 1000 && rejected > 1000, decoded + " decoded, " + rejected + " rejected");
    }

    static byte[] mutate(byte[] seed, SplittableRandom rnd) {
        byte[] b;
        switch (rnd.nextInt(5)) {
            case 0 -> b = java.util.Arrays.copyOf(seed, Math.max(0, seed.length - rnd.nextInt(1, 9)));
            case 1 -> b = java.util.Arrays.copyOf(seed, seed.length + rnd.nextInt(1, 9));
            default -> b = seed.clone();
        }
        int flips = rnd.nextInt(1, 4);
        for (int k = 0; k < flips && b.length > 0; k++) {
            int at = rnd.nextInt(b.length);
            switch (rnd.nextInt(3)) {
                case 0 -> b[at] ^= (byte) (1 << rnd.nextInt(8));
                case 1 -> b[at] = (byte) rnd.nextInt(256);
                default -> b[at] = (byte) (rnd.nextBoolean() ? 0 : 0xFF);
            }
        }
        return b;
    }
}
