package io.percore.net.stack;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.percore.core.Future;
import io.percore.memory.Buffer;
import io.percore.memory.Packet;
import io.percore.net.ListenOptions;
import io.percore.net.SocketAddress;
import io.percore.net.UdpChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Header parser fuzzing with a fixed seed: real frames of one exchange (ARP, NDP, UDP, TCP handshake, data, FIN over
 * IPv4 and IPv6) are captured from the wire, then mutated (bit flips, byte stores, truncation, junk tails) and fed to a
 * stack. Every frame must be handled without an exception escaping a parser, and the stack must still work after.
 */
class FrameFuzzTest {
    private static final int ROUNDS = 30_000;

    @Test
    void mutatedFramesNeverThrowAndTheStackStillServes() throws Exception {
        try (StackTesting.Pair p = new StackTesting.Pair(1, null, null, "newreno")) {
            // Capture: record copies of every frame B's shard-0 stack receives during a short exchange.
            List<byte[]> corpus = new ArrayList<>();
            p.on(0, () -> {
                NativeStack b = p.b.stacks[0];
                StackTesting.serveEcho(b.listen(SocketAddress.anyIpv6(7), ListenOptions.defaults()));
                UdpChannel u = b.udpChannel(SocketAddress.anyIpv4(53));
                u.receive().onComplete((d, t) -> d.data().release());
                return Future.done();
            });
            FrameTap.install(p, corpus);
            p.on(0, () -> p.a.stacks[0].connect(SocketAddress.of("10.0.0.2", 7))
                    .flatMap(c -> StackTesting.transfer(c, 20_000, 1))
                    .flatMap(t -> p.a.stacks[0].connect(SocketAddress.of("fd00::2", 7)))
                    .flatMap(c -> StackTesting.transfer(c, 5_000, 2))
                    .flatMap(t -> {
                        UdpChannel c = p.a.stacks[0].udpChannel(SocketAddress.anyIpv4(0));
                        return c.send(SocketAddress.of("10.0.0.2", 53), Packet.of(Buffer.copyOf("query")))
                                .finallyDo(c::close);
                    }));
            Thread.sleep(100);
            FrameTap.remove(p);
            assertTrue(corpus.size() >= 20, "captured " + corpus.size() + " frames");
            RuntimeException[] last = new RuntimeException[1];
            long[] result = p.on(0, () -> {
                NativeStack b = p.b.stacks[0];
                SplittableRandom r = new SplittableRandom(20240611L);
                long malformedBefore = b.counters.malformed + b.counters.badChecksum;
                for (int i = 0; i < ROUNDS; i++) {
                    byte[] f = corpus.get(r.nextInt(corpus.size())).clone();
                    f = mutate(f, r);
                    b.onFrame(Buffer.copyOf(f), r.nextBoolean() ? DeviceQueue.RX_CHECKSUM_OK : 0, true);
                }
                last[0] = b.lastUnexpected;
                return Future.ready(new long[] {b.unexpectedFailures, b.counters.malformed + b.counters.badChecksum - malformedBefore});
            });
            assertEquals(0, result[0], () -> "exceptions escaped the parsers, the last: " + last[0]);
            assertTrue(result[1] > ROUNDS / 10, "malformed frames were counted: " + result[1]);
            StackTesting.Transfer t = p.on(0, () -> p.a.stacks[0].connect(SocketAddress.of("10.0.0.2", 7))
                    .flatMap(c -> StackTesting.transfer(c, 50_000, 3)));
            assertEquals(t.sentCrc(), t.receivedCrc());
        }
    }

    private static byte[] mutate(byte[] f, SplittableRandom r) {
        switch (r.nextInt(5)) {
            case 0 -> {
                int n = 1 + r.nextInt(4);
                for (int k = 0; k < n; k++) {
                    int i = r.nextInt(f.length);
                    f[i] ^= (byte) (1 << r.nextInt(8));
                }
            }
            case 1 -> f[14 + r.nextInt(Math.max(1, Math.min(60, f.length - 14)))] = (byte) r.nextInt(256);
            case 2 -> f = java.util.Arrays.copyOf(f, r.nextInt(f.length + 1));
            case 3 -> {
                byte[] g = java.util.Arrays.copyOf(f, f.length + 1 + r.nextInt(64));
                for (int i = f.length; i < g.length; i++) {
                    g[i] = (byte) r.nextInt(256);
                }
                f = g;
            }
            default -> {
                // A header field set to an extreme: lengths, offsets, option kinds.
                int i = 14 + r.nextInt(Math.max(1, Math.min(80, f.length - 14)));
                if (i < f.length) {
                    f[i] = r.nextBoolean() ? 0 : (byte) 0xff;
                }
            }
        }
        return f;
    }
}
