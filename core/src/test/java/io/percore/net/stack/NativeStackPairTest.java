package io.percore.net.stack;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.percore.core.Future;
import io.percore.memory.Buffer;
import io.percore.memory.Packet;
import io.percore.net.ConnectedSocket;
import io.percore.net.ListenOptions;
import io.percore.net.NetException;
import io.percore.net.SocketAddress;
import io.percore.net.UdpChannel;
import io.percore.smp.Smp;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.Test;

/** Two native stacks talking over an in-memory wire on two shards: ARP, UDP, TCP handshake, echo and transfers. */
class NativeStackPairTest {
    @Test
    void udpDatagramsCrossTheWireBothWays() throws Exception {
        try (StackTesting.Pair p = new StackTesting.Pair(2, null, null, "cubic")) {
            UdpChannel[] server = new UdpChannel[1];
            p.on(1, () -> {
                server[0] = p.b.stacks[1].udpChannel(SocketAddress.anyIpv4(5000));
                server[0].receive().onComplete((d, t) ->
                        server[0].send(d.sender(), Packet.of(d.data())));
                return Future.done();
            });
            String echoed = p.on(0, () -> {
                UdpChannel c = p.a.stacks[0].udpChannel(SocketAddress.anyIpv4(0));
                return c.send(SocketAddress.of("10.0.0.2", 5000), Packet.of(Buffer.copyOf("ping over udp")))
                        .flatMap(v -> c.receive())
                        .map(d -> {
                            String s = d.data().toString(StandardCharsets.UTF_8);
                            d.data().release();
                            c.close();
                            return s + " from " + d.sender();
                        });
            });
            assertEquals("ping over udp from 10.0.0.2:5000", echoed);
        }
    }

    /**
     * A UDP port bound on every shard (a GTP-U or SCTP-over-UDP server per shard): each peer's datagrams go to one
     * shard by the flow's hash, both shards get some, and a shard binding the port twice is refused.
     */
    @Test
    void aUdpPortBoundOnEveryShardSpreadsPeersOverThem() throws Exception {
        try (StackTesting.Pair p = new StackTesting.Pair(2, null, null, "cubic")) {
            p.smp.invokeOnAllExternal(id -> {
                UdpChannel ch = p.b.stacks[id].udpChannel(SocketAddress.anyIpv4(2152));
                io.percore.core.Futures.keepDoing(() -> ch.receive().flatMap(d -> {
                    d.data().release();
                    return ch.send(d.sender(), Packet.of(Buffer.copyOf("shard " + id)));
                })).ignoreFailure();
                org.junit.jupiter.api.Assertions.assertThrows(NetException.AddressInUse.class,
                        () -> p.b.stacks[id].udpChannel(SocketAddress.anyIpv4(2152)));
                return Future.done();
            }).get(10, java.util.concurrent.TimeUnit.SECONDS);
            java.util.Map<String, Integer> answeredBy = new java.util.TreeMap<>();
            for (int peer = 0; peer < 40; peer++) {
                String who = p.on(0, () -> {
                    UdpChannel c = p.a.stacks[0].udpChannel(SocketAddress.anyIpv4(0));
                    return c.send(SocketAddress.of("10.0.0.2", 2152), Packet.of(Buffer.copyOf("hello")))
                            .flatMap(v -> c.receive())
                            .map(d -> {
                                String s = d.data().toString(StandardCharsets.UTF_8);
                                d.data().release();
                                c.close();
                                return s;
                            });
                });
                answeredBy.merge(who, 1, Integer::sum);
            }
            assertEquals(java.util.Set.of("shard 0", "shard 1"), answeredBy.keySet(), "answered by " + answeredBy);
            assertTrue(answeredBy.get("shard 0") >= 5 && answeredBy.get("shard 1") >= 5, "spread " + answeredBy);
        }
    }

    @Test
    void tcpEchoOverIpv4AndIpv6FromBothShards() throws Exception {
        try (StackTesting.Pair p = new StackTesting.Pair(2, null, null, "cubic")) {
            p.smp.invokeOnAllExternal(id -> {
                StackTesting.serveEcho(p.b.stacks[id].listen(SocketAddress.anyIpv6(7), ListenOptions.defaults()));
                return Future.done();
            }).get();
            for (int shard = 0; shard < 2; shard++) {
                for (String host : new String[] {"10.0.0.2", "fd00::2"}) {
                    int s = shard;
                    StackTesting.Transfer t = p.on(s, () -> p.a.stacks[s].connect(SocketAddress.of(host, 7))
                            .flatMap(c -> StackTesting.transfer(c, 100_000, 7)));
                    assertEquals(t.sent(), t.received(), host + " from shard " + s);
                    assertEquals(t.sentCrc(), t.receivedCrc());
                }
            }
        }
    }

    @Test
    void connectToAClosedPortIsRefused() throws Exception {
        try (StackTesting.Pair p = new StackTesting.Pair(2, null, null, "cubic")) {
            ExecutionException e = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
                    () -> p.on(0, () -> p.a.stacks[0].connect(SocketAddress.of("10.0.0.2", 9))));
            assertInstanceOf(NetException.ConnectionRefused.class, e.getCause());
        }
    }

    @Test
    void bulkTransferOfEightMegabytesEachWay() throws Exception {
        try (StackTesting.Pair p = new StackTesting.Pair(2, null, null, "cubic")) {
            p.smp.invokeOnAllExternal(id -> {
                StackTesting.serveEcho(p.b.stacks[id].listen(SocketAddress.anyIpv4(7), ListenOptions.defaults()));
                return Future.done();
            }).get();
            StackTesting.Transfer t = p.on(0, () -> p.a.stacks[0].connect(SocketAddress.of("10.0.0.2", 7))
                    .flatMap(c -> StackTesting.transfer(c, 8 << 20, 3)));
            assertEquals(t.sent(), t.received());
            assertEquals(t.sentCrc(), t.receivedCrc());
        }
    }

    @Test
    void transfersThroughLossReorderDuplicationAndCorruptionWithCubicAndNewReno() throws Exception {
        for (String cc : new String[] {"cubic", "newreno"}) {
            FaultConfig faults = new FaultConfig(7, 0.05, 0.01, 0.02, 0.005, 0, java.time.Duration.ZERO);
            FaultConfig other = new FaultConfig(8, 0.05, 0.01, 0.02, 0.005, 0, java.time.Duration.ZERO);
            try (StackTesting.Pair p = new StackTesting.Pair(2, faults, other, cc)) {
                p.smp.invokeOnAllExternal(id -> {
                    StackTesting.serveEcho(p.b.stacks[id].listen(SocketAddress.anyIpv4(7), ListenOptions.defaults()));
                    return Future.done();
                }).get();
                StackTesting.Transfer t = p.on(1, () -> p.a.stacks[1].connect(SocketAddress.of("10.0.0.2", 7))
                        .flatMap(c -> StackTesting.transfer(c, 1 << 20, 9)));
                assertEquals(t.sent(), t.received(), cc);
                assertEquals(t.sentCrc(), t.receivedCrc(), cc);
                long rexmit = p.on(1, () -> Future.ready(p.a.stacks[1].counters.tcpRetransmits));
                long bad = p.on(1, () -> Future.ready(p.a.stacks[1].counters.badChecksum));
                assertTrue(rexmit > 0, cc + " retransmitted");
                assertTrue(bad > 0, cc + " caught corrupted frames by checksum");
            }
        }
    }
}
