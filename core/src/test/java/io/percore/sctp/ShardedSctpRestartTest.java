package io.percore.sctp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.percore.core.Async;
import io.percore.core.Future;
import io.percore.core.Futures;
import io.percore.core.ReactorConfig;
import io.percore.net.SocketAddress;
import io.percore.smp.Smp;
import io.percore.smp.SmpConfig;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A multi-homed peer of a {@link ShardedSctpStack} whose packets come from an address other than the one its
 * association was steered by: a restart (RFC 9260 5.2.4) from that address must restart the association on its
 * owner shard (not open a second one on the shard that address hashes to), unexpected INITs (5.2.2) and tagless
 * packets (ABORT with the T bit) from it must reach the owner, and DATA, SHUTDOWN and heartbeats from it too. Both
 * ends are multi-homed on loopback: the server on 127.0.0.1 and 127.0.0.4 (one socket pair per shard), the peer on
 * 127.0.0.2 and 127.0.0.3, over UDP encapsulation and raw IPv4, with 2 and 4 shards; no test leaves an
 * association behind on any shard.
 */
class ShardedSctpRestartTest {
    static final String SERVER_A = "127.0.0.1", SERVER_B = "127.0.0.4", PEER_A = "127.0.0.2", PEER_B = "127.0.0.3";

    static InitOptions options() {
        return SctpTesting.fast().withStreams(4, 4).withHeartbeatInterval(Duration.ofMillis(200))
                .withRetransmissionLimits(8, 40, 2)
                .withEvents(EnumSet.of(SctpNotification.Kind.RESTART, SctpNotification.Kind.ASSOCIATION_LOST,
                        SctpNotification.Kind.SHUTDOWN_COMPLETE));
    }

    /** What a server shard saw, in order: accepted, restart, message, lost, shutdown. */
    record Seen(int shard, String what, int ppid, int ssn) {
    }

    /**
     * The server: a sharded stack on every shard, echoing, recording what each shard accepts and hears. Kind "udp"
     * and "raw" put both ends on two IPv4 addresses; "udp6" gives each end ::1 as its second address instead.
     */
    static final class Server implements AutoCloseable {
        final String kind;
        /** The second address of the server and of the peer. */
        final String serverB, peerB;
        final int shards;
        final Smp smp;
        final int port;
        final int udp;
        /** The UDP port the server connects to (peers written by hand bind it). */
        final int peerUdp;
        final ShardedSctpStack group;
        final BlockingQueue<Seen> seen = new LinkedBlockingQueue<>();
        /** Every accepted association, by shard (touched only on that shard). */
        final List<List<SctpAssociation>> accepted = new ArrayList<>();

        Server(String kind, int shards) throws Exception {
            UsrsctpInteropTest.assumeRaw(kind);
            this.kind = kind.equals("udp6") ? "udp" : kind;
            this.serverB = kind.equals("udp6") ? "::1" : SERVER_B;
            this.peerB = kind.equals("udp6") ? "::1" : PEER_B;
            this.shards = shards;
            this.port = ThreadLocalRandom.current().nextInt(20000, 30000); // raw sockets see every test's packets
            this.udp = this.kind.equals("udp") ? UsrsctpInteropTest.freeUdpPort() : 0;
            this.peerUdp = this.kind.equals("udp") ? UsrsctpInteropTest.freeUdpPort() : 0;
            for (int i = 0; i < shards; i++) {
                accepted.add(new ArrayList<>());
            }
            this.smp = Smp.start(SmpConfig.of(shards, ReactorConfig.defaults()), r -> { });
            try {
                group = smp.submitExternal(0, () -> ShardedSctpStack.start(id -> this.kind.equals("udp")
                        ? MultiHomedTransport.udp(udp, peerUdp, true, SERVER_A, serverB)
                        : MultiHomedTransport.raw(SERVER_A, serverB))).get(10, TimeUnit.SECONDS);
                smp.submitExternal(0, () -> group.listen(SocketAddress.of(SERVER_A, port), options()))
                        .get(10, TimeUnit.SECONDS);
                smp.invokeOnAllExternal(id -> {
                    Futures.repeat(() -> group.listener(port).accept().map(a -> {
                        serve(id, a);
                        return false;
                    })).ignoreFailure();
                    return Future.done();
                }).get(10, TimeUnit.SECONDS);
            } catch (Exception e) {
                smp.stop();
                throw e;
            }
        }

        private void serve(int shard, SctpAssociation a) {
            accepted.get(shard).add(a);
            seen.add(new Seen(shard, "accepted", 0, 0));
            Futures.repeat(() -> a.receive().flatMap(e -> {
                switch (e) {
                    case SctpReceivedMessage m -> {
                        seen.add(new Seen(shard, "message", m.ppid(), m.ssn()));
                        return a.send(new SctpMessage(m.stream(), m.ppid(), m.unordered(), m.payload())).map(v -> false);
                    }
                    case SctpNotification.Restart r -> seen.add(new Seen(shard, "restart", 0, 0));
                    case SctpNotification.AssociationLost l -> seen.add(new Seen(shard, "lost", 0, 0));
                    case SctpNotification.ShutdownComplete s -> seen.add(new Seen(shard, "shutdown", 0, 0));
                    default -> { }
                }
                return Future.ready(false);
            })).ignoreFailure();
        }

        /** @return the owner shard of an association from {@code peer} on SCTP port {@code peerPort}. */
        int ownerOf(String peer, int peerPort) {
            return ShardedSctpStack.ownerOf(SocketAddress.parseLiteral(peer), peerPort, port, shards);
        }

        /** @return a peer SCTP port whose associations {@link #PEER_A} and {@link #peerB} hash to different shards. */
        int splitPort() {
            for (;;) {
                int p = ThreadLocalRandom.current().nextInt(40000, 60000);
                if (ownerOf(PEER_A, p) != ownerOf(peerB, p)) {
                    return p;
                }
            }
        }

        /** @return how many associations each shard's stack holds. */
        int[] associationsPerShard() throws Exception {
            return perShard(SctpStack::associationCount);
        }

        /** @return how many entries each shard's copy of the group's owner table holds. */
        int[] ownerTables() throws Exception {
            return perShard(SctpStack::ownerTableSize);
        }

        /** @return {@code count} of each shard's stack, read on that shard. */
        private int[] perShard(java.util.function.ToIntFunction<SctpStack> count) throws Exception {
            AtomicIntegerArray counts = new AtomicIntegerArray(shards);
            smp.invokeOnAllExternal(id -> {
                counts.set(id, count.applyAsInt(group.local()));
                return Future.done();
            }).get(10, TimeUnit.SECONDS);
            int[] out = new int[shards];
            for (int i = 0; i < shards; i++) {
                out[i] = counts.get(i);
            }
            return out;
        }

        /** Waits (up to 10 s) until every shard holds {@code expected[shard]} associations; fails otherwise. */
        void awaitAssociations(int[] expected) throws Exception {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            int[] now = associationsPerShard();
            while (!java.util.Arrays.equals(now, expected) && System.nanoTime() < deadline) {
                Thread.sleep(10);
                now = associationsPerShard();
            }
            assertArrayEquals(expected, now, "associations per shard");
        }

        /** Waits (up to 10 s) until every shard's owner table holds {@code entries} entries; fails otherwise. */
        void awaitOwnerTables(int entries) throws Exception {
            int[] expected = new int[shards];
            java.util.Arrays.fill(expected, entries);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            int[] now = ownerTables();
            while (!java.util.Arrays.equals(now, expected) && System.nanoTime() < deadline) {
                Thread.sleep(10);
                now = ownerTables();
            }
            assertArrayEquals(expected, now, "owner table entries per shard");
        }

        /** @return the next thing a shard saw (fails after 10 s). */
        Seen next() throws InterruptedException {
            Seen s = seen.poll(10, TimeUnit.SECONDS);
            assertTrue(s != null, "nothing more seen by the server");
            return s;
        }

        /** @return a peer transport with legs on {@code ips} (the first is its source) and UDP port {@code localUdp}. */
        MultiHomedTransport peer(int localUdp, String... ips) {
            return kind.equals("udp") ? MultiHomedTransport.udp(localUdp, udp, false, ips)
                    : MultiHomedTransport.raw(ips);
        }

        SocketAddress address() {
            return SocketAddress.of(SERVER_A, port);
        }

        /** @return the server's address of {@code peerAddress}'s family. */
        SocketAddress address(String peerAddress) {
            return SocketAddress.of(peerAddress.contains(":") ? serverB : SERVER_A, port);
        }

        <T> T onShard(int shard, Callable<T> body) throws Exception {
            try {
                return smp.submitExternal(shard, () -> Async.run(body)).get(30, TimeUnit.SECONDS);
            } catch (ExecutionException e) {
                if (e.getCause() instanceof Exception x) {
                    throw x;
                }
                throw e;
            }
        }

        @Override
        public void close() throws Exception {
            try {
                smp.submitExternal(0, group::stop).get(10, TimeUnit.SECONDS);
            } finally {
                smp.stop();
            }
        }
    }

    static int[] only(int shards, int shard, int count) {
        int[] a = new int[shards];
        a[shard] = count;
        return a;
    }

    static int echo(SctpAssociation a, int ppid) {
        Async.await(a.send(SctpMessage.of(0, ppid, new byte[] {(byte) ppid})).withTimeout(Duration.ofSeconds(10)));
        return SctpAssociationTest.nextMessage(a).ppid();
    }

    @ParameterizedTest
    @CsvSource({"udp,2", "udp,4", "raw,2", "raw,4", "udp6,2", "udp6,4"})
    void restartFromTheOtherAddressRestartsTheAssociationOnItsOwnerShard(String kind, int shards) throws Exception {
        try (Server server = new Server(kind, shards)) {
            int peerPort = server.splitPort();
            int owner = server.ownerOf(PEER_A, peerPort);
            int[] udpPort = new int[1];
            // The peer connects from its first address, then loses power (tells the server nothing)...
            server.onShard(0, () -> {
                MultiHomedTransport t = server.peer(0, PEER_A, server.peerB);
                udpPort[0] = server.kind.equals("udp") ? t.udpPort() : 0;
                SctpStack stack = new SctpStack(t);
                SctpAssociation a = Async.await(stack.connect(peerPort, server.address(), options())
                        .withTimeout(Duration.ofSeconds(10)));
                assertEquals(2, a.peerAddresses().size(), "the server is multi-homed");
                assertEquals(1, echo(a, 1));
                t.crashed = true;
                stack.close();
                return null;
            });
            assertEquals(new Seen(owner, "accepted", 0, 0), server.next());
            assertEquals(new Seen(owner, "message", 1, 0), server.next());
            server.awaitAssociations(only(shards, owner, 1));
            server.awaitOwnerTables(2); // both peer addresses, on every shard

            // ...and comes back speaking from its other address first: the server restarts the association it has.
            server.onShard(shards - 1, () -> {
                MultiHomedTransport t = server.peer(udpPort[0], server.peerB, PEER_A);
                SctpStack stack = new SctpStack(t);
                try {
                    SctpAssociation a = Async.await(stack.connect(peerPort, server.address(server.peerB), options())
                            .withTimeout(Duration.ofSeconds(10)));
                    assertEquals(2, echo(a, 2));
                    t.source = 1; // and again from the first address, after the restart
                    assertEquals(3, echo(a, 3));
                    // The address it restarted from (the server's primary now) goes down: the server fails over to
                    // the first one, which its heartbeats confirmed after the restart.
                    t.down[0] = true;
                    for (int i = 4; i < 9; i++) {
                        assertEquals(i, echo(a, i));
                    }
                    Async.await(a.shutdown().withTimeout(Duration.ofSeconds(10)));
                } finally {
                    stack.close();
                }
                return null;
            });
            assertEquals(new Seen(owner, "restart", 0, 0), server.next(), "restarted on the owner shard "
                    + owner + ", not accepted anew on shard " + server.ownerOf(server.peerB, peerPort));
            assertEquals(new Seen(owner, "message", 2, 0), server.next(), "sequence numbers start again");
            for (int i = 3; i < 9; i++) {
                assertEquals(new Seen(owner, "message", i, i - 2), server.next());
            }
            assertEquals(new Seen(owner, "shutdown", 0, 0), server.next());
            server.awaitAssociations(new int[shards]);
            server.awaitOwnerTables(0);
            assertEquals(0, server.seen.size(), "nothing else happened: " + server.seen);
        }
    }

    @ParameterizedTest
    @CsvSource({"udp,2", "udp,4", "raw,2", "raw,4", "udp6,2"})
    void dataShutdownAndHeartbeatsFromThePeersOtherAddressReachTheOwnerShard(String kind, int shards) throws Exception {
        try (Server server = new Server(kind, shards)) {
            int peerPort = server.splitPort();
            int owner = server.ownerOf(PEER_A, peerPort);
            server.onShard(0, () -> {
                MultiHomedTransport t = server.peer(0, PEER_A, server.peerB);
                SctpStack stack = new SctpStack(t);
                try {
                    SctpAssociation a = Async.await(stack.connect(peerPort, server.address(), options())
                            .withTimeout(Duration.ofSeconds(10)));
                    assertEquals(1, echo(a, 1));
                    t.source = 1;
                    assertEquals(2, echo(a, 2));
                    // The first address goes down: the server fails over to the second (confirmed by heartbeats
                    // that reached the owner from there) and the association lives on.
                    t.down[0] = true;
                    for (int i = 3; i < 13; i++) {
                        assertEquals(i, echo(a, i));
                    }
                    Async.await(a.shutdown().withTimeout(Duration.ofSeconds(10)));
                } finally {
                    stack.close();
                }
                return null;
            });
            assertEquals(new Seen(owner, "accepted", 0, 0), server.next());
            for (int i = 1; i < 13; i++) {
                assertEquals(new Seen(owner, "message", i, i - 1), server.next());
            }
            assertEquals(new Seen(owner, "shutdown", 0, 0), server.next());
            server.awaitAssociations(new int[shards]);
            server.awaitOwnerTables(0);
            long[] drops = server.onShard(owner, () -> server.group.local().dropCounters());
            assertEquals(0, drops[3], "out-of-the-blue packets on the owner shard");
        }
    }

    /**
     * Packets written by hand from the peer's second address, over UDP: an unexpected INIT is answered by the owner
     * (its tag names the owner) and its COOKIE-ECHO restarts the association there; an INIT adding an address is
     * refused (5.2.2); an ABORT with the T bit (the peer's tag, which names no shard) ends it on the owner.
     */
    @ParameterizedTest
    @ValueSource(ints = {2, 4})
    void handWrittenInitCookieAndAbortFromTheOtherAddressReachTheOwner(int shards) throws Exception {
        try (Server server = new Server("udp", shards)) {
            int peerPort = server.splitPort();
            int owner = server.ownerOf(PEER_A, peerPort);
            int[] udpPort = new int[1];
            server.onShard(0, () -> {
                MultiHomedTransport t = server.peer(0, PEER_A, PEER_B);
                udpPort[0] = t.udpPort();
                SctpStack stack = new SctpStack(t);
                SctpAssociation a = Async.await(stack.connect(peerPort, server.address(), options())
                        .withTimeout(Duration.ofSeconds(10)));
                assertEquals(1, echo(a, 1));
                t.crashed = true;
                stack.close();
                return null;
            });
            assertEquals(new Seen(owner, "accepted", 0, 0), server.next());
            assertEquals(new Seen(owner, "message", 1, 0), server.next());
            InetAddress peerB = InetAddress.getByName(PEER_B);
            try (DatagramSocket s = new DatagramSocket(new java.net.InetSocketAddress(peerB, udpPort[0]))) {
                s.setSoTimeout(5000);
                InetAddress to = InetAddress.getByName(SERVER_A);
                List<Param> both = List.of(Param.address(peerB), Param.address(InetAddress.getByName(PEER_A)));

                // An INIT adding an address the association does not have: ABORT, Restart with New Addresses.
                List<Param> more = List.of(Param.address(peerB), Param.address(InetAddress.getByName("127.0.0.9")));
                send(s, to, server.udp, SctpPacket.of(peerPort, server.port, 0,
                        new Chunk.Init(false, 0x5151, 65536, 4, 4, 100, more)));
                SctpPacket refused = receive(s);
                assertEquals(0x5151, refused.verificationTag());
                Chunk.Abort abort = assertInstanceOf(Chunk.Abort.class, refused.chunks().get(0));
                assertEquals(ErrorCause.RESTART_WITH_NEW_ADDRESSES, abort.causes().get(0).code());

                // An INIT from an address the association does not have, listing one it has: found by that one
                // (on the owner, whatever shard the new address hashes to), and refused the same way.
                try (DatagramSocket stranger = new DatagramSocket(new java.net.InetSocketAddress(
                        InetAddress.getByName("127.0.0.9"), udpPort[0]))) {
                    stranger.setSoTimeout(5000);
                    send(stranger, to, server.udp, SctpPacket.of(peerPort, server.port, 0, new Chunk.Init(false,
                            0x5252, 65536, 4, 4, 100, List.of(Param.address(InetAddress.getByName(PEER_A))))));
                    SctpPacket refusedToo = receive(stranger);
                    assertEquals(0x5252, refusedToo.verificationTag());
                    Chunk.Abort abortToo = assertInstanceOf(Chunk.Abort.class, refusedToo.chunks().get(0));
                    assertEquals(ErrorCause.RESTART_WITH_NEW_ADDRESSES, abortToo.causes().get(0).code());
                }
                server.awaitAssociations(only(shards, owner, 1));

                // An INIT from the second address: the owner answers (its new tag names it).
                SctpAssociation restarted = server.accepted.get(owner).get(0);
                int oldTag = server.onShard(owner, () -> restarted.localTag);
                int myTag = 0x7777;
                send(s, to, server.udp, SctpPacket.of(peerPort, server.port, 0,
                        new Chunk.Init(false, myTag, 65536, 4, 4, 500, both)));
                SctpPacket initAck = receive(s);
                assertEquals(myTag, initAck.verificationTag());
                Chunk.Init ack = assertInstanceOf(Chunk.Init.class, initAck.chunks().get(0));
                assertTrue(ack.ack());
                assertEquals(owner, Integer.remainderUnsigned(ack.initiateTag(), shards), "INIT-ACK from the owner");
                byte[] cookie = ack.params().stream().filter(p -> p.type() == Param.STATE_COOKIE).findFirst()
                        .orElseThrow().value();
                send(s, to, server.udp, SctpPacket.of(peerPort, server.port, ack.initiateTag(),
                        new Chunk.CookieEcho(cookie)));
                SctpPacket cookieAck = receive(s);
                assertEquals(myTag, cookieAck.verificationTag());
                assertInstanceOf(Chunk.CookieAck.class, cookieAck.chunks().get(0));
                assertEquals(new Seen(owner, "restart", 0, 0), server.next());
                server.awaitAssociations(only(shards, owner, 1));
                assertNotEquals(oldTag, ack.initiateTag(), "a restart takes new tags");
                assertArrayEquals(new int[] {ack.initiateTag(), myTag, 2},
                        server.onShard(owner, () -> new int[] {restarted.localTag, restarted.peerTag,
                                restarted.peerAddresses().size()}), "the restarted association's tags and paths");

                // An ABORT with the T bit carries the peer's own tag: routed by address, it reaches the owner.
                send(s, to, server.udp, SctpPacket.of(peerPort, server.port, myTag, new Chunk.Abort(true, List.of())));
                assertEquals(new Seen(owner, "lost", 0, 0), server.next());
                server.awaitAssociations(new int[shards]);
                server.awaitOwnerTables(0);
            }
            assertEquals(0, server.seen.size(), "nothing else happened: " + server.seen);
        }
    }

    /**
     * The sharded stack connects (from the shard owning the association) to a peer written by hand, which answers
     * with its own INIT from its other address, listing both (5.2.1 collision): the INIT reaches the connecting
     * shard, which answers with the tag of its own INIT, and the peer's COOKIE-ECHO from there completes the
     * connect (5.2.4 action B).
     */
    @ParameterizedTest
    @ValueSource(ints = {2, 4})
    void collidingInitFromThePeersOtherAddressFindsTheConnectingShard(int shards) throws Exception {
        try (Server server = new Server("udp", shards)) {
            int peerPort = ThreadLocalRandom.current().nextInt(30000, 40000);
            int shard = shards - 1;
            int localPort;
            do {
                localPort = ThreadLocalRandom.current().nextInt(49152, 65536);
            } while (ShardedSctpStack.ownerOf(InetAddress.getByName(PEER_A), peerPort, localPort, shards) != shard
                    || ShardedSctpStack.ownerOf(InetAddress.getByName(PEER_B), peerPort, localPort, shards) == shard);
            int lp = localPort;
            InetAddress peerA = InetAddress.getByName(PEER_A), peerB = InetAddress.getByName(PEER_B);
            try (DatagramSocket atA = new DatagramSocket(new java.net.InetSocketAddress(peerA, server.peerUdp));
                 DatagramSocket atB = new DatagramSocket(new java.net.InetSocketAddress(peerB, server.peerUdp))) {
                atA.setSoTimeout(5000);
                atB.setSoTimeout(5000);
                var connected = new java.util.concurrent.CompletableFuture<SctpAssociation>();
                server.smp.submitExternal(shard, () -> {
                    server.group.local().connect(lp, SocketAddress.of(PEER_A, peerPort), options())
                            .onComplete((a, err) -> {
                                if (err != null) {
                                    connected.completeExceptionally(err);
                                } else {
                                    connected.complete(a);
                                }
                            });
                    return Future.done();
                }).get(10, TimeUnit.SECONDS);
                SctpPacket ourInit = receive(atA);
                Chunk.Init init = assertInstanceOf(Chunk.Init.class, ourInit.chunks().get(0));
                assertEquals(shard, Integer.remainderUnsigned(init.initiateTag(), shards));
                server.awaitOwnerTables(1); // the address connected to, on every shard

                int peerTag = 0x4242;
                InetAddress to = InetAddress.getByName(SERVER_A);
                send(atB, to, server.udp, SctpPacket.of(peerPort, lp, 0, new Chunk.Init(false, peerTag, 65536, 4, 4,
                        900, List.of(Param.address(peerB), Param.address(peerA)))));
                SctpPacket initAck = receive(atB);
                assertEquals(peerTag, initAck.verificationTag());
                Chunk.Init ack = assertInstanceOf(Chunk.Init.class, initAck.chunks().get(0));
                assertTrue(ack.ack());
                assertEquals(init.initiateTag(), ack.initiateTag(), "5.2.1: the INIT-ACK carries our INIT's tag");
                byte[] cookie = ack.params().stream().filter(p -> p.type() == Param.STATE_COOKIE).findFirst()
                        .orElseThrow().value();
                send(atB, to, server.udp, SctpPacket.of(peerPort, lp, ack.initiateTag(), new Chunk.CookieEcho(cookie)));
                SctpAssociation a = connected.get(10, TimeUnit.SECONDS);
                assertEquals(peerPort, a.peerPort());
                server.awaitAssociations(only(shards, shard, 1));
            }
        }
    }

    private static void send(DatagramSocket s, InetAddress to, int port, SctpPacket p) throws Exception {
        byte[] b = SctpCodec.encode(p);
        s.send(new DatagramPacket(b, b.length, to, port));
    }

    /** @return the next packet that is not a HEARTBEAT (the server probes the peer's addresses meanwhile). */
    private static SctpPacket receive(DatagramSocket s) throws Exception {
        byte[] in = new byte[4096];
        for (;;) {
            DatagramPacket d = new DatagramPacket(in, in.length);
            s.receive(d);
            SctpPacket p = SctpCodec.decode(in, 0, d.getLength(), true);
            if (!(p.chunks().get(0) instanceof Chunk.Heartbeat) && !(p.chunks().get(0) instanceof Chunk.Sack)) {
                return p;
            }
        }
    }
}
