package io.percore.sctp;

import static io.percore.sctp.SctpTesting.fast;
import static io.percore.sctp.SctpTesting.onShard;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.percore.core.Async;
import io.percore.core.Future;
import io.percore.memory.Buffer;
import io.percore.memory.MemoryPool;
import io.percore.memory.Packet;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Payloads as shard buffers: what is sent is released once acknowledged, what is received belongs to the
 * application, an echo forwards the received buffer, a failed message comes back in its notification, and after
 * all of it the shard's pool holds exactly what it held before.
 */
class SctpBufferTest {
    static Buffer pattern(int i, int size) {
        Buffer b = Buffer.allocate(size);
        for (int k = 0; k < size; k++) {
            b.put(k, (byte) (i * 31 + k));
        }
        return b;
    }

    @Test
    void everyPayloadBufferGoesBackToThePool() throws Exception {
        onShard(25, () -> {
            MemoryPool pool = MemoryPool.current();
            // Loss, duplicates and reordering make retransmissions, duplicate and held chunks: all must be freed.
            MemoryNetwork net = new MemoryNetwork(21).faults(0.05, 0.05, 0.05, Duration.ofMillis(1));
            SctpAssociationTest.Pair p = SctpAssociationTest.connect(net, fast(), fast());
            long before = pool.used();
            EchoServer.echo(p.server()); // sends each received buffer back as it is
            int count = 300;
            Future<Void> sender = Async.run(() -> {
                for (int i = 0; i < count; i++) {
                    int size = i % 10 == 0 ? 9000 : 1 + i * 7 % 500; // every tenth is fragmented
                    Async.await(p.client().send(new SctpMessage(i % 3, i, i % 4 == 1, pattern(i, size))));
                }
                return null;
            });
            for (int k = 0; k < count; k++) {
                SctpReceivedMessage m = SctpAssociationTest.nextMessage(p.client());
                int i = m.ppid();
                Buffer expected = pattern(i, i % 10 == 0 ? 9000 : 1 + i * 7 % 500);
                assertArrayEquals(expected.toArray(), m.bytes(), "echo of " + i);
                expected.release();
                m.release();
            }
            Async.await(sender);
            Async.await(p.client().shutdown().withTimeout(Duration.ofSeconds(10)));
            assertEquals(before, pool.used(), "pool bytes in use after every payload was released");
            return null;
        });
    }

    @Test
    void aFailedMessageComesBackWithItsPayload() throws Exception {
        onShard(20, () -> {
            MemoryPool pool = MemoryPool.current();
            MemoryNetwork net = new MemoryNetwork(22);
            InitOptions ev = fast().withRetransmissionLimits(8, 2, 1)
                    .withEvents(EnumSet.of(SctpNotification.Kind.SEND_FAILED));
            SctpAssociationTest.Pair p = SctpAssociationTest.connect(net, ev, ev);
            long before = pool.used();
            net.blackhole = (from, to) -> true;
            Async.await(p.client().send(SctpMessage.of(0, 1, "never arrives")));
            List<SctpNotification.SendFailed> failed = new ArrayList<>();
            SctpEvent e = Async.await(p.client().receive().withTimeout(Duration.ofSeconds(10)));
            failed.add(assertInstanceOf(SctpNotification.SendFailed.class, e));
            Buffer back = failed.get(0).message().payload();
            assertEquals("never arrives", back.toString(StandardCharsets.UTF_8));
            back.release();
            assertEquals(before, pool.used());
            // A send on the ended association fails and still takes (releases) its payload.
            assertInstanceOf(SctpException.Closed.class, p.client().send(SctpMessage.of(0, 1, pattern(1, 100))).failure());
            assertEquals(before, pool.used());
            return null;
        });
    }

    @Test
    void aPacketIsSentAsOneMessage() throws Exception {
        onShard(20, () -> {
            SctpAssociationTest.Pair p = SctpAssociationTest.connect(new MemoryNetwork(23), fast(), fast());
            Packet packet = Packet.of(Buffer.copyOf("NGAP "), Buffer.copyOf("setup "), Buffer.copyOf("request"));
            Async.await(p.client().send(SctpMessage.of(2, 60, false, packet)));
            SctpReceivedMessage m = SctpAssociationTest.nextMessage(p.server());
            assertEquals("NGAP setup request", m.payload().toString(StandardCharsets.UTF_8));
            assertEquals(60, m.ppid());
            assertEquals(2, m.stream());
            assertTrue(m.payload().length() == 18);
            m.release();
            return null;
        });
    }
}
