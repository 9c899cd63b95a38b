package io.percore.sctp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.percore.core.Async;
import io.percore.core.Future;
import io.percore.core.Futures;
import io.percore.core.ReactorConfig;
import io.percore.core.Shard;
import io.percore.net.SocketAddress;
import io.percore.smp.Smp;
import io.percore.smp.SmpConfig;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReferenceArray;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A {@link ShardedSctpStack} on two shards serving associations from three peer addresses: each association
 * lives on the shard {@link ShardedSctpStack#ownerOf} names, its messages are handled only there, every shard
 * accepts its own, and abortAccept reaches every shard's listener. Over UDP encapsulation (one SO_REUSEPORT
 * socket per shard: packets the kernel put on the wrong shard are handed over) and raw IPv4 (every shard sees
 * every packet and drops what it does not own).
 */
class ShardedSctpStackTest {
    static final String[] PEERS = {"127.0.0.1", "127.0.0.2", "127.0.0.3"};
    static final int PER_PEER = 6;
    static final int MESSAGES = 10;

    static InitOptions options() {
        return SctpTesting.fast().withStreams(4, 4);
    }

    static byte[] payload(int association, int i) {
        int size = i == 7 ? 5000 : 1 + (association * 31 + i * 17) % 300; // one fragmented message each
        byte[] b = new byte[size];
        for (int k = 0; k < size; k++) {
            b[k] = (byte) (association * 7 + i * 13 + k);
        }
        return b;
    }

    @Test
    void ownerHashSpreadsPortsAndIsStable() {
        InetAddress a = SocketAddress.parseLiteral("10.1.2.3");
        int[] perShard = new int[4];
        for (int port = 40000; port < 41000; port++) {
            int o = ShardedSctpStack.ownerOf(a, port, 38412, 4);
            assertEquals(o, ShardedSctpStack.ownerOf(SocketAddress.parseLiteral("10.1.2.3"), port, 38412, 4));
            perShard[o]++;
        }
        for (int n : perShard) {
            assertTrue(n > 150 && n < 350, java.util.Arrays.toString(perShard)); // 250 each when even
        }
        assertEquals(0, ShardedSctpStack.ownerOf(a, 1, 2, 1));
    }

    @ParameterizedTest
    @ValueSource(strings = {"udp", "raw"})
    void associationsLiveOnTheirOwnerShard(String kind) throws Exception {
        UsrsctpInteropTest.assumeRaw(kind);
        int udp = kind.equals("udp") ? UsrsctpInteropTest.freeUdpPort() : 0;
        // A random SCTP port (raw sockets see every test's packets), drawn again until each shard owns at least a
        // third of the associations (the spread over many ports is ownerHashSpreadsPortsAndIsStable's business).
        int[] expected = new int[2];
        int candidate;
        do {
            candidate = ThreadLocalRandom.current().nextInt(20000, 30000);
            expected[0] = expected[1] = 0;
            for (String peer : PEERS) {
                for (int j = 0; j < PER_PEER; j++) {
                    expected[ShardedSctpStack.ownerOf(SocketAddress.parseLiteral(peer), 41000 + j, candidate, 2)]++;
                }
            }
        } while (Math.min(expected[0], expected[1]) < PEERS.length * PER_PEER / 3);
        int port = candidate;
        SocketAddress server = SocketAddress.of("127.0.0.1", port);
        Smp smp = Smp.start(SmpConfig.of(2, ReactorConfig.defaults()), r -> { });
        try {
            ShardedSctpStack group = smp.submitExternal(0, () -> ShardedSctpStack.start(id -> kind.equals("udp")
                    ? UdpEncapsulation.bind(server.withPort(udp), udp, true)
                    : RawIpTransport.open(server.ip()))).get(10, TimeUnit.SECONDS);
            AtomicInteger[] accepted = {new AtomicInteger(), new AtomicInteger()};
            AtomicInteger wrongShard = new AtomicInteger();
            AtomicInteger echoed = new AtomicInteger();
            AtomicReferenceArray<Throwable> acceptEnd = new AtomicReferenceArray<>(2);
            smp.submitExternal(0, () -> group.listen(server, options())).get(10, TimeUnit.SECONDS);
            smp.invokeOnAllExternal(id -> {
                SctpServerSocket l = group.listener(port);
                Futures.repeat(() -> l.accept().map(a -> {
                    int me = Shard.currentId();
                    accepted[me].incrementAndGet();
                    if (me != ShardedSctpStack.ownerOf(a.peerAddress().ip(), a.peerPort(), port, 2)) {
                        wrongShard.incrementAndGet();
                    }
                    Futures.repeat(() -> a.receive().flatMap(e -> {
                        if (Shard.currentId() != me) {
                            wrongShard.incrementAndGet();
                        }
                        if (e instanceof SctpReceivedMessage m) {
                            echoed.incrementAndGet();
                            return a.send(new SctpMessage(m.stream(), m.ppid(), m.unordered(), m.payload()))
                                    .map(v -> false);
                        }
                        return Future.ready(false);
                    })).ignoreFailure();
                    return false;
                })).onComplete((v, err) -> acceptEnd.set(id, err));
                return Future.done();
            }).get(10, TimeUnit.SECONDS);

            // The peers: one plain stack per peer address, on shards 0, 1, 0, with fixed ports so that the spread
            // over the server's shards is known in advance.
            List<java.util.concurrent.CompletableFuture<Integer>> peers = new ArrayList<>();
            for (int p = 0; p < PEERS.length; p++) {
                int index = p;
                SocketAddress local = SocketAddress.of(PEERS[p], 0);
                peers.add(smp.submitExternal(p % 2, () -> Async.run(() -> {
                    SctpStack stack = new SctpStack(kind.equals("udp") ? UdpEncapsulation.bind(local, udp, false)
                            : RawIpTransport.open(local.ip()));
                    try {
                        List<Future<Integer>> all = new ArrayList<>();
                        for (int j = 0; j < PER_PEER; j++) {
                            int association = index * PER_PEER + j;
                            int localPort = 41000 + j;
                            all.add(Async.run(() -> talk(stack, localPort, server, association)));
                        }
                        int sum = 0;
                        for (Future<Integer> f : all) {
                            sum += Async.await(f);
                        }
                        return sum;
                    } finally {
                        stack.close();
                    }
                })));
            }
            int total = 0;
            for (var f : peers) {
                total += f.get(60, TimeUnit.SECONDS);
            }
            assertEquals(PEERS.length * PER_PEER * MESSAGES, total);
            assertEquals(total, echoed.get());
            assertEquals(0, wrongShard.get(), "an association was handled off its owner shard");
            assertEquals(expected[0], accepted[0].get(), "associations accepted on shard 0");
            assertEquals(expected[1], accepted[1].get(), "associations accepted on shard 1");

            long[] steering = smp.submitExternal(0, () -> Smp.mapReduce(
                    () -> Future.ready(group.local().steeringCounters()), new long[3], (x, y) -> new long[] {
                            x[0] + y[0], x[1] + y[1], x[2] + y[2]})).get(10, TimeUnit.SECONDS);
            if (kind.equals("udp")) {
                // Both shards own associations, so unless the kernel's SO_REUSEPORT hash agreed with ours for
                // all 18 (about 2^-18), some packets arrived on the wrong shard and were handed over.
                assertTrue(steering[0] > 0 && steering[1] > 0, java.util.Arrays.toString(steering));
            } else {
                assertTrue(steering[2] > 0 && steering[0] == 0, java.util.Arrays.toString(steering));
            }

            smp.submitExternal(1, () -> group.abortAccept(port)).get(10, TimeUnit.SECONDS);
            for (int id = 0; id < 2; id++) {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while (acceptEnd.get(id) == null && System.nanoTime() < deadline) {
                    Thread.sleep(5);
                }
                assertInstanceOf(SctpException.Closed.class, acceptEnd.get(id), "accept loop of shard " + id);
            }
            smp.submitExternal(0, group::stop).get(10, TimeUnit.SECONDS);
        } finally {
            smp.stop();
        }
    }

    @Test
    void initsHandedBetweenShardsLeaveNoState() throws Exception {
        int udp = UsrsctpInteropTest.freeUdpPort();
        int port = ThreadLocalRandom.current().nextInt(20000, 30000);
        SocketAddress server = SocketAddress.of("127.0.0.1", port);
        Smp smp = Smp.start(SmpConfig.of(2, ReactorConfig.defaults()), r -> { });
        try {
            ShardedSctpStack group = smp.submitExternal(0, () -> ShardedSctpStack.start(
                    id -> UdpEncapsulation.bind(server.withPort(udp), udp, true))).get(10, TimeUnit.SECONDS);
            smp.submitExternal(0, () -> group.listen(server, options())).get(10, TimeUnit.SECONDS);
            // 200 INITs from 200 SCTP ports over 4 UDP sockets: each is answered by the shard the hash names.
            int answered = 0;
            List<java.net.DatagramSocket> sockets = new ArrayList<>();
            try {
                for (int k = 0; k < 4; k++) {
                    java.net.DatagramSocket d = new java.net.DatagramSocket(0, InetAddress.getByName("127.0.0.1"));
                    d.setSoTimeout(5000);
                    sockets.add(d);
                }
                for (int i = 0; i < 200; i++) {
                    byte[] init = SctpCodec.encode(SctpPacket.of(42000 + i, port, 0,
                            new Chunk.Init(false, 0x1000 + i, 65536, 4, 4, 77, List.of())));
                    sockets.get(i % 4).send(new java.net.DatagramPacket(init, init.length,
                            InetAddress.getByName("127.0.0.1"), udp));
                }
                byte[] in = new byte[2048];
                for (int i = 0; i < 200; i++) {
                    java.net.DatagramPacket got = new java.net.DatagramPacket(in, in.length);
                    sockets.get(i % 4).receive(got);
                    SctpPacket ack = SctpCodec.decode(in, 0, got.getLength(), true);
                    Chunk.Init a = assertInstanceOf(Chunk.Init.class, ack.chunks().get(0));
                    assertTrue(a.ack());
                    // The INIT-ACK's tag names the shard that answered, the one owning that peer port.
                    assertEquals(ShardedSctpStack.ownerOf(InetAddress.getByName("127.0.0.1"), ack.dstPort(), port, 2),
                            Integer.remainderUnsigned(a.initiateTag(), 2));
                    answered++;
                }
            } finally {
                sockets.forEach(java.net.DatagramSocket::close);
            }
            assertEquals(200, answered);
            long[] state = smp.submitExternal(0, () -> Smp.mapReduce(() -> Future.ready(new long[] {
                    group.local().associationCount(), group.local().steeringCounters()[1]}), new long[2],
                    (x, y) -> new long[] {x[0] + y[0], x[1] + y[1]})).get(10, TimeUnit.SECONDS);
            assertEquals(0, state[0], "associations after INITs only");
            assertTrue(state[1] > 0, "some INITs were handed to their owner shard");
            smp.submitExternal(0, group::stop).get(10, TimeUnit.SECONDS);
        } finally {
            smp.stop();
        }
    }

    @Test
    void aShardWithoutTransportFailsTheStartAndTheOthersCloseTheirs() throws Exception {
        int udp = UsrsctpInteropTest.freeUdpPort();
        Smp smp = Smp.start(SmpConfig.of(2, ReactorConfig.defaults()), r -> { });
        try {
            java.util.concurrent.ExecutionException e = org.junit.jupiter.api.Assertions.assertThrows(
                    java.util.concurrent.ExecutionException.class, () -> smp.submitExternal(0,
                            () -> ShardedSctpStack.start(id -> {
                                if (id == 1) {
                                    throw new IllegalStateException("no transport on shard 1");
                                }
                                return UdpEncapsulation.bind(SocketAddress.of("127.0.0.1", udp), udp, false);
                            })).get(10, TimeUnit.SECONDS));
            assertEquals("no transport on shard 1", e.getCause().getMessage());
            // Shard 0's stack was closed, and with it its socket: the port binds again without SO_REUSEPORT.
            try (java.net.DatagramSocket again = new java.net.DatagramSocket(udp, InetAddress.getByName("127.0.0.1"))) {
                assertEquals(udp, again.getLocalPort());
            }
        } finally {
            smp.stop();
        }
    }

    /** Sends {@link #MESSAGES} messages on one association from {@code localPort} and checks their echoes. */
    static int talk(SctpStack stack, int localPort, SocketAddress server, int association) {
        SctpAssociation a = Async.await(stack.connect(localPort, server, options()).withTimeout(Duration.ofSeconds(20)));
        Set<Integer> seen = ConcurrentHashMap.newKeySet();
        for (int i = 0; i < MESSAGES; i++) {
            Async.await(a.send(new SctpMessage(i % 4, i, false, payload(association, i))));
        }
        for (int k = 0; k < MESSAGES; k++) {
            SctpReceivedMessage m = SctpAssociationTest.nextMessage(a);
            int i = m.ppid();
            assertTrue(seen.add(i), "echo " + i + " twice");
            assertTrue(java.util.Arrays.equals(payload(association, i), m.bytes()), "echo " + i + " differs");
        }
        Async.await(a.shutdown().withTimeout(Duration.ofSeconds(20)));
        return MESSAGES;
    }
}
