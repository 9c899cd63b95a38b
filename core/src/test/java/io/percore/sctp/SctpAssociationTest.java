package io.percore.sctp;

import static io.percore.sctp.SctpTesting.fast;
import static io.percore.sctp.SctpTesting.onShard;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.percore.core.Async;
import io.percore.core.Future;
import io.percore.net.SocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class SctpAssociationTest {
    static final SocketAddress SERVER = SocketAddress.of("10.0.0.2", 38412);

    /** A pair of stacks on one memory network, connected. */
    record Pair(MemoryNetwork net, SctpStack clientStack, SctpStack serverStack, SctpServerSocket listener,
                SctpAssociation client, SctpAssociation server) {
    }

    static Pair connect(MemoryNetwork net, InitOptions copt, InitOptions sopt) {
        SctpStack s = new SctpStack(net.node("10.0.0.2"));
        SctpStack c = new SctpStack(net.node("10.0.0.1"));
        SctpServerSocket l = s.listen(SERVER, sopt);
        Future<SctpAssociation> acc = l.accept();
        SctpAssociation ca = Async.await(c.connect(SERVER, copt));
        SctpAssociation sa = Async.await(acc);
        return new Pair(net, c, s, l, ca, sa);
    }

    static byte[] payload(int stream, int index, int size) {
        byte[] b = new byte[size];
        SplittableRandom r = new SplittableRandom(stream * 1_000_003L + index);
        for (int i = 0; i < size; i++) {
            b[i] = (byte) r.nextInt(256);
        }
        return b;
    }

    static SctpReceivedMessage nextMessage(SctpAssociation a) {
        for (;;) {
            SctpEvent e = Async.await(a.receive().withTimeout(Duration.ofSeconds(15)));
            if (e instanceof SctpReceivedMessage m) {
                return m;
            }
        }
    }

    @Test
    void handshakeNegotiatesStreamsAndMessagesKeepTheirFields() throws Exception {
        onShard(20, () -> {
            MemoryNetwork net = new MemoryNetwork(1);
            Pair p = connect(net, fast().withStreams(6, 3), fast().withStreams(4, 5));
            assertEquals(5, p.client.outboundStreams()); // min(6, server's 5)
            assertEquals(3, p.client.inboundStreams());  // min(server's 4, 3)
            assertEquals(3, p.server.outboundStreams());
            assertEquals(5, p.server.inboundStreams());
            assertEquals(SctpAssociation.State.ESTABLISHED, p.server.state());
            Async.await(p.client.send(new SctpMessage(4, 60, false, new byte[] {1, 2, 3})));
            Async.await(p.client.send(new SctpMessage(4, 18, true, new byte[] {4})));
            SctpReceivedMessage m = nextMessage(p.server);
            assertEquals(4, m.stream());
            assertEquals(0, m.ssn());
            assertEquals(60, m.ppid());
            assertArrayEquals(new byte[] {1, 2, 3}, m.bytes());
            SctpReceivedMessage u = nextMessage(p.server);
            assertTrue(u.unordered());
            assertEquals(18, u.ppid());
            assertEquals(m.tsn() + 1, u.tsn());
            SctpException bad = assertInstanceOf(SctpException.InvalidMessage.class,
                    p.client.send(SctpMessage.of(5, 0, new byte[1])).failure());
            assertTrue(bad.getMessage().contains("stream 5"));
            assertInstanceOf(SctpException.InvalidMessage.class, p.client.send(SctpMessage.of(0, 0, new byte[0])).failure());
            return null;
        });
    }

    @ParameterizedTest(name = "loss {0}")
    @CsvSource({"0.00, 3000", "0.01, 2000", "0.05, 1500", "0.20, 400"})
    void everyMessageArrivesOnceInOrderPerStream(double loss, int count) throws Exception {
        onShard(25, () -> {
            MemoryNetwork net = new MemoryNetwork(0x5EED + (long) (loss * 100)).faults(loss, loss / 2, 0.05,
                    Duration.ofMillis(1));
            Pair p = connect(net, fast(), fast());
            int streams = 5;
            SplittableRandom r = new SplittableRandom(7);
            int[] sizes = new int[count];
            boolean[] unordered = new boolean[count];
            for (int i = 0; i < count; i++) {
                sizes[i] = r.nextInt(10) == 0 ? r.nextInt(1, 9000) : r.nextInt(1, 300); // some are fragmented
                unordered[i] = r.nextInt(5) == 0;
            }
            Future<Void> sender = Async.run(() -> {
                for (int i = 0; i < count; i++) {
                    int s = i % streams;
                    Async.await(p.client.send(new SctpMessage(s, i, unordered[i], payload(s, i, sizes[i]))));
                }
                return null;
            });
            Map<Integer, Integer> lastOrdered = new HashMap<>();
            boolean[] seen = new boolean[count];
            for (int k = 0; k < count; k++) {
                SctpReceivedMessage m = nextMessage(p.server);
                int i = m.ppid();
                assertTrue(!seen[i], "message " + i + " delivered twice");
                seen[i] = true;
                assertEquals(i % streams, m.stream());
                assertEquals(unordered[i], m.unordered());
                assertArrayEquals(payload(m.stream(), i, sizes[i]), m.bytes(), "payload of " + i);
                if (!m.unordered()) {
                    Integer prev = lastOrdered.put(m.stream(), i);
                    assertTrue(prev == null || prev < i, "stream " + m.stream() + ": " + i + " after " + prev);
                }
            }
            Async.await(sender);
            if (loss > 0) {
                assertTrue(net.dropped > 0);
            }
            Async.await(p.client.shutdown().withTimeout(Duration.ofSeconds(10)));
            assertEquals(SctpAssociation.State.CLOSED, p.client.state());
            return null;
        });
    }

    @Test
    void notificationsShareTheFeedAndShutdownCompletes() throws Exception {
        onShard(20, () -> {
            MemoryNetwork net = new MemoryNetwork(2);
            InitOptions ev = fast().withEvents(EnumSet.allOf(SctpNotification.Kind.class));
            Pair p = connect(net, ev, ev);
            assertInstanceOf(SctpNotification.AssociationUp.class, Async.await(p.client.receive()));
            assertInstanceOf(SctpNotification.AssociationUp.class, Async.await(p.server.receive()));
            Async.await(p.client.send(SctpMessage.of(1, 60, new byte[] {9})));
            Future<Void> done = p.client.shutdown();
            assertInstanceOf(SctpReceivedMessage.class, Async.await(p.server.receive()));
            Async.await(done.withTimeout(Duration.ofSeconds(5)));
            assertInstanceOf(SctpNotification.ShutdownComplete.class, Async.await(p.client.receive()));
            assertInstanceOf(SctpNotification.ShutdownComplete.class,
                    Async.await(p.server.receive().withTimeout(Duration.ofSeconds(5))));
            assertInstanceOf(SctpException.Closed.class, p.server.receive().failure());
            assertEquals(0, p.clientStack.associationCount());
            assertEquals(0, p.serverStack.associationCount());
            return null;
        });
    }

    @Test
    void abortReachesThePeerWithItsCause() throws Exception {
        onShard(20, () -> {
            MemoryNetwork net = new MemoryNetwork(3);
            InitOptions ev = fast().withEvents(EnumSet.of(SctpNotification.Kind.ASSOCIATION_LOST));
            Pair p = connect(net, ev, ev);
            p.client.abort("operator said so");
            SctpNotification.AssociationLost lost = assertInstanceOf(SctpNotification.AssociationLost.class,
                    Async.await(p.server.receive().withTimeout(Duration.ofSeconds(5))));
            assertEquals(ErrorCause.USER_INITIATED_ABORT, lost.causes().get(0).code());
            assertEquals("operator said so", new String(lost.causes().get(0).info()));
            assertEquals(SctpAssociation.State.CLOSED, p.server.state());
            return null;
        });
    }

    @Test
    void unreachablePeerIsLostWithinTheRetransmissionLimit() throws Exception {
        onShard(20, () -> {
            MemoryNetwork net = new MemoryNetwork(4);
            InitOptions ev = fast().withRetransmissionLimits(8, 4, 2)
                    .withEvents(EnumSet.of(SctpNotification.Kind.ASSOCIATION_LOST, SctpNotification.Kind.SEND_FAILED));
            Pair p = connect(net, ev, ev);
            net.blackhole = (from, to) -> true;
            long t0 = System.nanoTime();
            Async.await(p.client.send(SctpMessage.of(0, 1, new byte[100])));
            SctpEvent first = Async.await(p.client.receive().withTimeout(Duration.ofSeconds(10)));
            SctpEvent second = Async.await(p.client.receive().withTimeout(Duration.ofSeconds(10)));
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertInstanceOf(SctpNotification.AssociationLost.class, first);
            assertInstanceOf(SctpNotification.SendFailed.class, second);
            // 5 timeouts backing off 50, 100, 200, 400, 400 ms: about 1.15 s; bound loosely.
            assertTrue(ms > 500 && ms < 8000, ms + " ms");
            return null;
        });
    }

    @Test
    void connectToNobodyFailsAfterTheInitAttempts() throws Exception {
        onShard(20, () -> {
            MemoryNetwork net = new MemoryNetwork(5);
            SctpStack c = new SctpStack(net.node("10.0.0.1"));
            Throwable t = Async.await(c.connect(SERVER, fast().withRetransmissionLimits(3, 5, 5))
                    .handle((v, e) -> e));
            assertInstanceOf(SctpException.ConnectFailed.class, t);
            assertEquals(0, c.associationCount());
            return null;
        });
    }

    @Test
    void abortAcceptFailsThePendingAcceptAndLaterOnes() throws Exception {
        onShard(20, () -> {
            MemoryNetwork net = new MemoryNetwork(6);
            SctpStack s = new SctpStack(net.node("10.0.0.2"));
            SctpServerSocket l = s.listen(SERVER, fast());
            Future<SctpAssociation> pending = l.accept();
            l.abortAccept();
            assertInstanceOf(SctpException.Closed.class, pending.failure());
            assertInstanceOf(SctpException.Closed.class, l.accept().failure());
            SctpStack c = new SctpStack(net.node("10.0.0.1"));
            Throwable t = Async.await(c.connect(SERVER, fast()).handle((v, e) -> e));
            assertInstanceOf(SctpException.ConnectFailed.class, t);
            return null;
        });
    }

    @Test
    void simultaneousOpenConvergesOnOneAssociation() throws Exception {
        onShard(20, () -> {
            MemoryNetwork net = new MemoryNetwork(7).faults(0, 0, 0, Duration.ofMillis(2));
            SctpStack a = new SctpStack(net.node("10.0.0.1"));
            SctpStack b = new SctpStack(net.node("10.0.0.2"));
            a.listen(SocketAddress.of("10.0.0.1", 5000), fast());
            b.listen(SocketAddress.of("10.0.0.2", 6000), fast());
            // Both connect with each other's listening port as their own local port: the INITs cross.
            Future<SctpAssociation> fa = a.connect(5000, SocketAddress.of("10.0.0.2", 6000), fast());
            Future<SctpAssociation> fb = b.connect(6000, SocketAddress.of("10.0.0.1", 5000), fast());
            SctpAssociation x = Async.await(fa.withTimeout(Duration.ofSeconds(5)));
            SctpAssociation y = Async.await(fb.withTimeout(Duration.ofSeconds(5)));
            assertEquals(x.localTag, y.peerTag);
            assertEquals(y.localTag, x.peerTag);
            Async.await(x.send(SctpMessage.of(0, 1, new byte[] {42})));
            assertEquals(42, nextMessage(y).bytes()[0]);
            Async.await(y.send(SctpMessage.of(0, 1, new byte[] {43})));
            assertEquals(43, nextMessage(x).bytes()[0]);
            return null;
        });
    }

    @Test
    void peerRestartIsDetectedAndNotified() throws Exception {
        onShard(20, () -> {
            MemoryNetwork net = new MemoryNetwork(8);
            InitOptions ev = fast().withEvents(EnumSet.of(SctpNotification.Kind.RESTART));
            SctpStack s = new SctpStack(net.node("10.0.0.2"));
            SctpServerSocket l = s.listen(SERVER, ev);
            MemoryNetwork.Node clientNode = net.node("10.0.0.1");
            SctpStack c1 = new SctpStack(clientNode);
            Future<SctpAssociation> acc = l.accept();
            SctpAssociation first = Async.await(c1.connect(7777, SERVER, fast()));
            SctpAssociation server = Async.await(acc);
            Async.await(first.send(SctpMessage.of(0, 1, new byte[] {1})));
            assertEquals(1, nextMessage(server).bytes()[0]);
            // The client host "reboots": a new stack on the same address and port, knowing nothing (the old one
            // no longer receives anything).
            SctpStack c2 = new SctpStack(clientNode);
            SctpAssociation second = Async.await(c2.connect(7777, SERVER, fast()).withTimeout(Duration.ofSeconds(5)));
            assertInstanceOf(SctpNotification.Restart.class, Async.await(server.receive().withTimeout(Duration.ofSeconds(5))));
            Async.await(second.send(SctpMessage.of(0, 1, new byte[] {2})));
            SctpReceivedMessage m = nextMessage(server);
            assertEquals(2, m.bytes()[0]);
            assertEquals(0, m.ssn()); // sequence numbers started again
            return null;
        });
    }

    @Test
    void aRestartedPeerHasTheAddressesOfItsNewInitOnly() throws Exception {
        onShard(20, () -> {
            MemoryNetwork net = new MemoryNetwork(9);
            InitOptions ev = fast().withEvents(EnumSet.of(SctpNotification.Kind.RESTART));
            SctpStack s = new SctpStack(net.node("10.0.0.2"));
            SctpServerSocket l = s.listen(SERVER, ev);
            SctpStack c1 = new SctpStack(net.node("10.0.0.1", "10.1.0.1"));
            Future<SctpAssociation> acc = l.accept();
            Async.await(c1.connect(7778, SERVER, fast()));
            SctpAssociation server = Async.await(acc);
            assertEquals(2, server.peerAddresses().size());
            // The host comes back with one address of the two: the association restarts with that one alone, and
            // the other no longer names it (a packet from there is out of the blue).
            MemoryNetwork.Node reborn = net.node("10.0.0.1");
            SctpStack c2 = new SctpStack(reborn);
            SctpAssociation second = Async.await(c2.connect(7778, SERVER, fast()).withTimeout(Duration.ofSeconds(5)));
            assertInstanceOf(SctpNotification.Restart.class, Async.await(server.receive().withTimeout(Duration.ofSeconds(5))));
            assertEquals(List.of(SocketAddress.of("10.0.0.1", 0)), server.peerAddresses());
            assertEquals(1, s.associationCount());
            Async.await(second.send(SctpMessage.of(0, 1, new byte[] {2})));
            assertEquals(0, nextMessage(server).ssn());
            long ootb = s.dropCounters()[3];
            MemoryNetwork.Node other = net.node("10.1.0.1");
            byte[] hb = SctpCodec.encode(SctpPacket.of(7778, SERVER.port(), server.localTag,
                    new Chunk.Heartbeat(false, new byte[] {1})));
            other.send(SocketAddress.of("10.0.0.2", 0), hb, 0, hb.length);
            long deadline = System.nanoTime() + 5_000_000_000L;
            while (s.dropCounters()[3] == ootb && System.nanoTime() < deadline) {
                Async.sleep(Duration.ofMillis(5));
            }
            assertEquals(ootb + 1, s.dropCounters()[3], "a packet from the address the peer left out");
            assertEquals(SctpAssociation.State.ESTABLISHED, server.state());
            return null;
        });
    }

    @Test
    void initFloodLeavesNoStateAndBadPacketsAreDropped() throws Exception {
        onShard(20, () -> {
            MemoryNetwork net = new MemoryNetwork(9);
            SctpStack s = new SctpStack(net.node("10.0.0.2"));
            s.listen(SERVER, fast());
            MemoryNetwork.Node attacker = net.node("10.0.0.66");
            List<byte[]> answers = new ArrayList<>();
            attacker.start((b, off, len, from) -> answers.add(java.util.Arrays.copyOfRange(b, off, off + len)));
            for (int i = 0; i < 1000; i++) {
                byte[] init = SctpCodec.encode(SctpPacket.of(1000 + i, SERVER.port(), 0,
                        new Chunk.Init(false, i + 1, 65536, 10, 10, i, List.of())));
                attacker.send(new SocketAddress(MemoryNetwork.ip("10.0.0.2"), 0), init, 0, init.length);
            }
            for (int i = 0; i < 200 && answers.size() < 1000; i++) {
                Async.sleep(Duration.ofMillis(10));
            }
            assertEquals(1000, answers.size(), "every INIT answered with an INIT-ACK");
            assertEquals(0, s.associationCount(), "no state kept");
            // Wrong tag, bad checksum, foreign port: all dropped without an answer.
            answers.clear();
            byte[] data = SctpCodec.encode(SctpPacket.of(1000, SERVER.port(), 12345, new Chunk.Shutdown(1)));
            byte[] corrupt = data.clone();
            corrupt[corrupt.length - 1] ^= 1;
            byte[] foreign = SctpCodec.encode(SctpPacket.of(1000, 9, 12345, new Chunk.Shutdown(1)));
            SocketAddress dst = new SocketAddress(MemoryNetwork.ip("10.0.0.2"), 0);
            attacker.send(dst, corrupt, 0, corrupt.length);
            attacker.send(dst, foreign, 0, foreign.length);
            Async.sleep(Duration.ofMillis(20));
            assertEquals(0, answers.size(), "no answer to a corrupt packet or a foreign port");
            assertEquals(1, s.dropCounters()[0]);
            assertEquals(1, s.dropCounters()[2]);
            // Out of the blue on our port: ABORT with the T bit and the packet's own tag.
            attacker.send(dst, data, 0, data.length);
            Async.sleep(Duration.ofMillis(20));
            SctpPacket abort = SctpCodec.decode(answers.get(0), 0, answers.get(0).length, true);
            assertEquals(12345, abort.verificationTag());
            assertTrue(((Chunk.Abort) abort.chunks().get(0)).reflected());
            return null;
        });
    }

    @Test
    void wrongTagIsDroppedInsideAnAssociation() throws Exception {
        onShard(20, () -> {
            MemoryNetwork net = new MemoryNetwork(10);
            Pair p = connect(net, fast(), fast());
            MemoryNetwork.Node spoofer = net.node("10.0.0.99");
            spoofer.source = MemoryNetwork.ip("10.0.0.1"); // pretends to be the client
            byte[] abort = SctpCodec.encode(SctpPacket.of(p.client.localPort(), SERVER.port(), p.server.localTag + 1,
                    new Chunk.Abort(false, List.of())));
            spoofer.send(new SocketAddress(MemoryNetwork.ip("10.0.0.2"), 0), abort, 0, abort.length);
            Async.sleep(Duration.ofMillis(20));
            assertEquals(SctpAssociation.State.ESTABLISHED, p.server.state());
            assertEquals(1, p.serverStack.dropCounters()[1]);
            return null;
        });
    }

    @Test
    void unrecognisedChunksAreReportedByTheirHighBits() throws Exception {
        onShard(20, () -> {
            MemoryNetwork net = new MemoryNetwork(11);
            Pair p = connect(net, fast(), fast());
            MemoryNetwork.Node spoofer = net.node("10.0.0.98");
            spoofer.source = MemoryNetwork.ip("10.0.0.1");
            List<SctpPacket> seen = new ArrayList<>();
            // Watch what the server sends to the client by wrapping the client's receiver.
            MemoryNetwork.Node clientNode = (MemoryNetwork.Node) p.clientStack.transport;
            SctpTransport.Receiver orig = clientNode.receiver;
            clientNode.receiver = (b, off, len, from) -> {
                seen.add(SctpCodec.decode(b, off, len, true));
                orig.receive(b, off, len, from);
            };
            byte[] pkt = SctpCodec.encode(new SctpPacket(p.client.localPort(), SERVER.port(), p.server.localTag, List.of(
                    new Chunk.Unknown(0xC7, 0, new byte[] {1, 2, 3, 4}),  // skip and report
                    new Chunk.Unknown(0x87, 0, new byte[] {5}),           // skip silently
                    new Chunk.Heartbeat(false, new byte[] {7, 7}))));
            spoofer.send(new SocketAddress(MemoryNetwork.ip("10.0.0.2"), 0), pkt, 0, pkt.length);
            Async.sleep(Duration.ofMillis(30));
            boolean error = false, hbAck = false;
            for (SctpPacket s : seen) {
                for (Chunk c : s.chunks()) {
                    if (c instanceof Chunk.Error e) {
                        assertEquals(1, e.causes().size());
                        assertEquals(ErrorCause.UNRECOGNIZED_CHUNK, e.causes().get(0).code());
                        assertEquals((byte) 0xC7, e.causes().get(0).info()[0]);
                        error = true;
                    }
                    hbAck |= c instanceof Chunk.Heartbeat h && h.ack();
                }
            }
            assertTrue(error, "ERROR with Unrecognized Chunk Type");
            assertTrue(hbAck, "processing went on after the skipped chunks");
            return null;
        });
    }

    @Test
    void multiHomedPeerFailsOverToItsSecondAddress() throws Exception {
        onShard(20, () -> {
            MemoryNetwork net = new MemoryNetwork(12);
            InitOptions ev = fast().withRetransmissionLimits(8, 20, 2).withHeartbeatInterval(Duration.ofMillis(100))
                    .withEvents(EnumSet.of(SctpNotification.Kind.PEER_ADDRESS_CHANGE));
            SctpStack s = new SctpStack(net.node("10.0.0.2", "10.1.0.2"));
            SctpServerSocket l = s.listen(SERVER, ev);
            SctpStack c = new SctpStack(net.node("10.0.0.1"));
            Future<SctpAssociation> acc = l.accept();
            SctpAssociation client = Async.await(c.connect(SERVER, ev));
            SctpAssociation server = Async.await(acc);
            assertEquals(2, client.peerAddresses().size(), "INIT-ACK listed both server addresses");
            SctpNotification.PeerAddressChange confirmed = assertInstanceOf(SctpNotification.PeerAddressChange.class,
                    Async.await(client.receive().withTimeout(Duration.ofSeconds(5))));
            assertEquals(SctpNotification.AddressState.CONFIRMED, confirmed.state());
            assertEquals("10.1.0.2", confirmed.address().ip().getHostAddress());
            // The primary address dies.
            net.blackhole = (from, to) -> to.getHostAddress().equals("10.0.0.2");
            for (int i = 0; i < 50; i++) {
                Async.await(client.send(SctpMessage.of(0, i, new byte[] {(byte) i})));
            }
            for (int i = 0; i < 50; i++) {
                assertEquals(i, nextMessage(server).ppid());
            }
            SctpNotification.PeerAddressChange down = assertInstanceOf(SctpNotification.PeerAddressChange.class,
                    Async.await(client.receive().withTimeout(Duration.ofSeconds(5))));
            assertEquals(SctpNotification.AddressState.UNREACHABLE, down.state());
            assertEquals("10.0.0.2", down.address().ip().getHostAddress());
            return null;
        });
    }

    @Test
    void packetsFromAMultiHomedPeersOtherAddressAreAccepted() throws Exception {
        onShard(20, () -> {
            MemoryNetwork net = new MemoryNetwork(13);
            SctpStack s = new SctpStack(net.node("10.0.0.2"));
            SctpServerSocket l = s.listen(SERVER, fast());
            MemoryNetwork.Node cn = net.node("10.0.0.1", "10.1.0.1");
            SctpStack c = new SctpStack(cn);
            Future<SctpAssociation> acc = l.accept();
            SctpAssociation client = Async.await(c.connect(SERVER, fast()));
            SctpAssociation server = Async.await(acc);
            assertEquals(2, server.peerAddresses().size());
            cn.source = MemoryNetwork.ip("10.1.0.1"); // the client now sends from its second address
            Async.await(client.send(SctpMessage.of(0, 5, new byte[] {5})));
            assertEquals(5, nextMessage(server).ppid());
            return null;
        });
    }

    @Test
    void aFullReceiveWindowStopsTheSenderUntilTheReaderCatchesUp() throws Exception {
        onShard(20, () -> {
            MemoryNetwork net = new MemoryNetwork(14);
            InitOptions small = fast().withBuffers(16 * 1024, 1 << 20, 1 << 20);
            Pair p = connect(net, fast(), small);
            for (int i = 0; i < 64; i++) {
                Async.await(p.client.send(SctpMessage.of(0, i, payload(0, i, 1000))));
            }
            Async.sleep(Duration.ofMillis(300));
            // The server application has not read: at most its 16 KiB window (and a probe) can have been taken.
            assertTrue(p.client.flightSize() <= 17 * 1024 + 1100, "flight " + p.client.flightSize());
            for (int i = 0; i < 64; i++) {
                SctpReceivedMessage m = nextMessage(p.server);
                assertEquals(i, m.ppid());
                assertArrayEquals(payload(0, i, 1000), m.bytes());
            }
            return null;
        });
    }

    @Test
    void largeMessagesUpTo256KiBReassemble() throws Exception {
        onShard(20, () -> {
            MemoryNetwork net = new MemoryNetwork(15).faults(0.02, 0.01, 0.05, Duration.ZERO);
            Pair p = connect(net, fast(), fast());
            int[] sizes = {1, 1452, 1453, 65536, 262144};
            for (int i = 0; i < sizes.length; i++) {
                Async.await(p.client.send(SctpMessage.of(1, i, payload(1, i, sizes[i]))));
            }
            for (int i = 0; i < sizes.length; i++) {
                SctpReceivedMessage m = nextMessage(p.server);
                assertEquals(i, m.ppid());
                assertArrayEquals(payload(1, i, sizes[i]), m.bytes());
            }
            return null;
        });
    }

    @Test
    void pingPongNeverWaitsForTheDelayedSackOrARetransmission() throws Exception {
        onShard(20, () -> {
            // One message outstanding at a time (a signalling request and its answer): SACKs must ride on the
            // answers or follow the every-second-packet rule, never wait for their timer, and nothing may need T3.
            // Both are 2 s here, so one such wait takes the round trips (milliseconds in memory) past 1.5 s.
            MemoryNetwork net = new MemoryNetwork(13);
            InitOptions o = fast().withSackDelay(Duration.ofSeconds(2))
                    .withRto(Duration.ofSeconds(2), Duration.ofSeconds(2), Duration.ofSeconds(4));
            Pair p = connect(net, o, o);
            long t0 = System.nanoTime();
            for (int i = 0; i < 300; i++) {
                Async.await(p.client.send(SctpMessage.of(i % 8, 60, new byte[64])));
                SctpReceivedMessage m = nextMessage(p.server);
                Async.await(p.server.send(SctpMessage.of(m.stream(), m.ppid(), m.bytes())));
                m.release();
                nextMessage(p.client).release();
                long ms = (System.nanoTime() - t0) / 1_000_000;
                assertTrue(ms < 1_500, "round trip " + i + " ended at " + ms + " ms: one waited for a timer");
            }
            return null;
        });
    }

    @Test
    void anInitInShutdownAckSentIsAnsweredWithTheShutdownAckAgain() throws Exception {
        onShard(20, () -> {
            MemoryNetwork net = new MemoryNetwork(12);
            // A long RTO on the server: no T2 retransmission of its own during the test.
            InitOptions slow = fast().withRto(Duration.ofSeconds(5), Duration.ofSeconds(5), Duration.ofSeconds(10));
            Pair p = connect(net, fast(), slow);
            int clientTag = p.client.localTag;
            int clientPort = p.client.localPort();
            Future<Void> closed = p.client.shutdown(); // the SHUTDOWN leaves now, before the blackhole
            net.blackhole = (from, to) -> from.equals(MemoryNetwork.ip("10.0.0.1")); // the SHUTDOWN COMPLETE is lost
            Async.await(closed.withTimeout(Duration.ofSeconds(5)));
            assertEquals(SctpAssociation.State.SHUTDOWN_ACK_SENT, p.server.state());
            // The client host opens again from the same address and port, knowing nothing of the old association.
            net.blackhole = null;
            MemoryNetwork.Node reborn = net.node("10.0.0.1");
            List<SctpPacket> answers = new ArrayList<>();
            reborn.start((b, off, len, from) -> answers.add(SctpCodec.decode(b, off, len, true)));
            SocketAddress server = new SocketAddress(MemoryNetwork.ip("10.0.0.2"), 0);
            byte[] init = SctpCodec.encode(SctpPacket.of(clientPort, SERVER.port(), 0,
                    new Chunk.Init(false, 0x5151, 65536, 8, 8, 77, List.of())));
            reborn.send(server, init, 0, init.length);
            for (int i = 0; i < 200 && answers.isEmpty(); i++) {
                Async.sleep(Duration.ofMillis(5));
            }
            // RFC 9260 9.2: no INIT-ACK; the SHUTDOWN ACK again, under the old association's tag.
            assertEquals(1, answers.size());
            SctpPacket ack = answers.get(0);
            assertEquals(1, ack.chunks().size());
            assertInstanceOf(Chunk.ShutdownAck.class, ack.chunks().get(0));
            assertEquals(clientTag, ack.verificationTag());
            assertEquals(SctpAssociation.State.SHUTDOWN_ACK_SENT, p.server.state());
            assertEquals(1, p.serverStack.associationCount());
            // The peer answers it as out of the blue (8.4 rule 5): SHUTDOWN COMPLETE, T bit, tag reflected. That ends
            // the old association, and the port is free for a new one.
            byte[] complete = SctpCodec.encode(SctpPacket.of(clientPort, SERVER.port(), ack.verificationTag(),
                    new Chunk.ShutdownComplete(true)));
            reborn.send(server, complete, 0, complete.length);
            for (int i = 0; i < 200 && p.serverStack.associationCount() > 0; i++) {
                Async.sleep(Duration.ofMillis(5));
            }
            assertEquals(SctpAssociation.State.CLOSED, p.server.state());
            assertEquals(0, p.serverStack.associationCount());
            return null;
        });
    }

    @Test
    void receiveTimesOutWhenNothingComes() throws Exception {
        onShard(10, () -> {
            Pair p = connect(new MemoryNetwork(16), fast(), fast());
            Throwable t = Async.await(p.server.receive().withTimeout(Duration.ofMillis(50)).handle((v, e) -> e));
            assertInstanceOf(TimeoutException.class, t);
            return null;
        });
    }
}
