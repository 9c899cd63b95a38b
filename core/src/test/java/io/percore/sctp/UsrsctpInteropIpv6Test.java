package io.percore.sctp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.percore.core.Async;
import io.percore.core.Future;
import io.percore.core.ReactorConfig;
import io.percore.net.SocketAddress;
import io.percore.smp.Smp;
import io.percore.smp.SmpConfig;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * percore's SCTP against usrsctp 0.9.5 over IPv6 loopback ({@code ::1}): percore client with a usrsctp echo
 * server and usrsctp client with a percore echo server, over UDP encapsulation and raw IPv6 (protocol 132), with
 * the checks of {@link UsrsctpInteropTest} on fewer messages (2,000, four of them 256 KiB). Then multi-homing
 * across families: a usrsctp server bound to {@code ::1} and {@code 127.0.0.1} lists both in its INIT-ACK, and a
 * percore client on a dual-stack socket confirms the IPv4 path and fails over to it when the IPv6 one goes dark.
 */
class UsrsctpInteropIpv6Test {
    static final int COUNT = 2_000;
    static final int STREAMS = 4;
    static final InetAddress LOOPBACK6 = SocketAddress.parseLiteral("::1");
    static final InetAddress LOOPBACK4 = SocketAddress.parseLiteral("127.0.0.1");

    @BeforeAll
    static void tooling() {
        String why = UsrsctpPeer.unavailable();
        Assumptions.assumeTrue(why == null, () -> why);
    }

    static int freeUdpPort() throws Exception {
        return InteropSetup.freeUdpPort(LOOPBACK6);
    }

    static int sctpPort() {
        return ThreadLocalRandom.current().nextInt(30000, 40000);
    }

    static void assumeRaw(String transport) {
        InteropSetup.assumeRaw(transport, LOOPBACK6);
    }

    static SctpTransport transport(String kind, int remoteUdp) {
        return InteropSetup.transport(kind, remoteUdp, LOOPBACK6);
    }

    static InitOptions options() {
        return InteropSetup.options();
    }

    /**
     * Sends the pattern and checks its echoes; returns how many came back. Notifications met on the way go to
     * {@code notes}. Runs inside {@link Async}.
     */
    static long exchange(SctpAssociation a, int count, List<SctpNotification> notes) {
        Future<Void> sender = Async.run(() -> {
            for (long i = 0; i < count; i++) {
                Async.await(a.send(InteropPattern.message(i, STREAMS)));
            }
            return null;
        });
        InteropPattern.Checker checker = new InteropPattern.Checker(count, STREAMS);
        while (checker.received < count) {
            SctpEvent e = Async.await(a.receive().withTimeout(Duration.ofSeconds(20)));
            if (e instanceof SctpReceivedMessage m) {
                checker.check(m);
            } else if (e instanceof SctpNotification n) {
                notes.add(n);
            }
        }
        Async.await(sender);
        return checker.received;
    }

    @ParameterizedTest
    @ValueSource(strings = {"udp", "raw"})
    void percoreClientWithUsrsctpEchoServer(String kind) throws Exception {
        assumeRaw(kind);
        int udp = kind.equals("udp") ? freeUdpPort() : 0;
        int port = sctpPort();
        try (UsrsctpPeer server = new UsrsctpPeer("server", "" + udp, "::1", "" + port)) {
            assertEquals("READY", server.readLine());
            long received = SctpTesting.onShard(60, () -> {
                SctpStack stack = new SctpStack(transport(kind, udp));
                try {
                    SctpAssociation a = Async.await(stack.connect(new SocketAddress(LOOPBACK6, port), options())
                            .withTimeout(Duration.ofSeconds(10)));
                    assertTrue(a.outboundStreams() >= STREAMS);
                    assertTrue(a.peerAddress().isIpv6(), a.peerAddress().toString());
                    long n = exchange(a, COUNT, new ArrayList<>());
                    Async.await(a.shutdown().withTimeout(Duration.ofSeconds(10)));
                    return n;
                } finally {
                    stack.close();
                }
            });
            assertEquals(COUNT, received);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"udp", "raw"})
    void usrsctpClientWithPercoreEchoServer(String kind) throws Exception {
        assumeRaw(kind);
        int port = sctpPort();
        Smp smp = Smp.start(SmpConfig.of(1, ReactorConfig.defaults()), r -> { });
        try {
            int[] ourUdp = new int[1];
            SctpStack[] stack = new SctpStack[1];
            smp.submitExternal(0, () -> {
                SctpTransport t = transport(kind, UdpEncapsulation.DEFAULT_PORT);
                if (t instanceof UdpEncapsulation u) {
                    ourUdp[0] = u.localPort();
                }
                stack[0] = new SctpStack(t);
                EchoServer.serve(stack[0].listen(new SocketAddress(LOOPBACK6, port), options()));
                return Future.done();
            }).get(10, TimeUnit.SECONDS);
            String localUdp = kind.equals("udp") ? "" + freeUdpPort() : "0";
            try (UsrsctpPeer client = new UsrsctpPeer("client", localUdp, "" + ourUdp[0], "::1", "" + port,
                    "" + COUNT, "" + STREAMS)) {
                String result = client.readLine();
                assertNotNull(result, "usrsctp client ended without a word");
                String ok = "OK " + COUNT + " messages";
                assertTrue(result.startsWith(ok), String.join("\n", client.lines));
            }
            int associations = smp.submitExternal(0, () -> {
                int n = stack[0].associationCount();
                stack[0].close();
                return Future.ready(n);
            }).get(10, TimeUnit.SECONDS);
            assertTrue(associations <= 1, "associations left: " + associations);
        } finally {
            smp.stop();
        }
    }

    /** A transport that can stop sending to one address, as if the path there went dark. */
    static final class DarkenableTransport implements SctpTransport {
        final SctpTransport inner;
        InetAddress dark;
        long darkened;

        DarkenableTransport(SctpTransport inner) {
            this.inner = inner;
        }

        @Override
        public void start(Receiver receiver) {
            inner.start(receiver);
        }

        @Override
        public void send(SocketAddress to, byte[] packet, int off, int len) {
            if (to.ip().equals(dark)) {
                darkened++;
                return;
            }
            inner.send(to, packet, off, len);
        }

        @Override
        public SocketAddress transportAddress(InetAddress ip) {
            return inner.transportAddress(ip);
        }

        @Override
        public int overhead(SocketAddress to) {
            return inner.overhead(to);
        }

        @Override
        public List<InetAddress> localAddresses() {
            return inner.localAddresses();
        }

        @Override
        public boolean carriesIpv4() {
            return inner.carriesIpv4();
        }

        @Override
        public boolean carriesIpv6() {
            return inner.carriesIpv6();
        }

        @Override
        public void close() {
            inner.close();
        }
    }

    @Test
    void multiHomedUsrsctpServerOverBothFamiliesFailsOverToIpv4() throws Exception {
        int udp = freeUdpPort();
        int port = sctpPort();
        try (UsrsctpPeer server = new UsrsctpPeer("server", "" + udp, "::1,127.0.0.1", "" + port)) {
            assertEquals("READY", server.readLine(), String.join("\n", server.lines));
            SctpTesting.onShard(60, () -> {
                UdpEncapsulation u = UdpEncapsulation.bind(new SocketAddress(SocketAddress.parseLiteral("::"), 0),
                        udp, false);
                assertTrue(u.carriesIpv4() && u.carriesIpv6(), "the :: socket is dual-stack");
                u.announce(List.of(LOOPBACK6, LOOPBACK4));
                DarkenableTransport t = new DarkenableTransport(u);
                SctpStack stack = new SctpStack(t);
                try {
                    InitOptions o = options().withRto(Duration.ofMillis(100), Duration.ofMillis(50),
                                    Duration.ofMillis(400)).withRetransmissionLimits(8, 60, 2)
                            .withHeartbeatInterval(Duration.ofMillis(200))
                            .withEvents(EnumSet.of(SctpNotification.Kind.PEER_ADDRESS_CHANGE));
                    SctpAssociation a = Async.await(stack.connect(new SocketAddress(LOOPBACK6, port), o)
                            .withTimeout(Duration.ofSeconds(10)));
                    List<InetAddress> ips = new ArrayList<>();
                    for (SocketAddress p : a.peerAddresses()) {
                        ips.add(p.ip());
                    }
                    assertEquals(LOOPBACK6, a.peerAddress().ip());
                    assertTrue(ips.contains(LOOPBACK4), "usrsctp's INIT-ACK listed its IPv4 address: " + ips);
                    SctpNotification.PeerAddressChange confirmed = nextAddressChange(a);
                    assertEquals(SctpNotification.AddressState.CONFIRMED, confirmed.state());
                    assertEquals(LOOPBACK4, confirmed.address().ip(), "heartbeat over IPv4 answered");
                    assertEquals(udp, confirmed.address().port(), "the IPv4 path uses the peer's UDP port");

                    // From now on nothing we send to ::1 arrives: heartbeats find the path dead. (Waiting for that
                    // before sending keeps the test quick: until then our SACKs would go to ::1 as well, and
                    // usrsctp, seeing none, would back its retransmission timer off by whole seconds.)
                    t.dark = LOOPBACK6;
                    SctpNotification.PeerAddressChange down = nextAddressChange(a);
                    assertEquals(SctpNotification.AddressState.UNREACHABLE, down.state());
                    assertEquals(LOOPBACK6, down.address().ip());
                    assertTrue(t.darkened > 0);
                    List<SctpNotification> notes = new ArrayList<>();
                    assertEquals(300, exchange(a, 300, notes), "all echoed with our side on the IPv4 path");
                    assertEquals(List.of(), notes);
                    assertEquals(SctpAssociation.State.ESTABLISHED, a.state());
                } finally {
                    stack.close();
                }
                return null;
            });
        }
    }

    @Test
    void usrsctpClientListsBothFamiliesAndADualStackPercoreServerConfirmsThem() throws Exception {
        int port = sctpPort();
        Smp smp = Smp.start(SmpConfig.of(1, ReactorConfig.defaults()), r -> { });
        try {
            int[] ourUdp = new int[1];
            SctpStack[] stack = new SctpStack[1];
            List<SctpNotification.PeerAddressChange> changes = new ArrayList<>();
            smp.submitExternal(0, () -> {
                UdpEncapsulation u = UdpEncapsulation.bind(new SocketAddress(SocketAddress.parseLiteral("::"), 0),
                        UdpEncapsulation.DEFAULT_PORT, false);
                ourUdp[0] = u.localPort();
                // Listed in our INIT-ACK, so that usrsctp knows the sources of our heartbeats to its addresses.
                u.announce(List.of(LOOPBACK6, LOOPBACK4));
                stack[0] = new SctpStack(u);
                // A short RTO: unconfirmed addresses are probed one per RTO, and usrsctp lists four of them.
                SctpServerSocket l = stack[0].listen(new SocketAddress(LOOPBACK6, port),
                        options().withRto(Duration.ofMillis(100), Duration.ofMillis(50), Duration.ofMillis(400))
                                .withEvents(EnumSet.of(SctpNotification.Kind.PEER_ADDRESS_CHANGE)));
                // Echo, and keep the address changes the association reports.
                l.accept().onComplete((a, err) -> {
                    if (a != null) {
                        io.percore.core.Futures.repeat(() -> a.receive().flatMap(e -> {
                            if (e instanceof SctpReceivedMessage m) {
                                return a.send(new SctpMessage(m.stream(), m.ppid(), m.unordered(), m.payload()))
                                        .map(v -> false);
                            }
                            if (e instanceof SctpNotification.PeerAddressChange c) {
                                changes.add(c);
                            }
                            return Future.ready(false);
                        })).ignoreFailure();
                    }
                });
                return Future.done();
            }).get(10, TimeUnit.SECONDS);
            List<String> confirmed = new ArrayList<>();
            // The client keeps the association up (up to 20 s) after its echoes, until we have looked.
            try (UsrsctpPeer client = new UsrsctpPeer("client", "" + freeUdpPort(), "" + ourUdp[0], "::1",
                    "" + port, "500", "" + STREAMS, "20000")) {
                String result = client.readLine();
                assertNotNull(result, "usrsctp client ended without a word");
                assertTrue(result.startsWith("OK 500 messages"), String.join("\n", client.lines));
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while (!confirmed.contains("127.0.0.1") && System.nanoTime() < deadline) {
                    Thread.sleep(50);
                    confirmed = smp.submitExternal(0, () -> {
                        List<String> out = new ArrayList<>();
                        for (SctpNotification.PeerAddressChange c : changes) {
                            if (c.state() == SctpNotification.AddressState.CONFIRMED) {
                                out.add(c.address().ip().getHostAddress());
                            }
                        }
                        return Future.ready(out);
                    }).get(10, TimeUnit.SECONDS);
                }
            }
            smp.submitExternal(0, () -> {
                stack[0].close();
                return Future.done();
            }).get(10, TimeUnit.SECONDS);
            // usrsctp's INIT from its IPv6 socket lists its IPv4 addresses as well; our heartbeat to 127.0.0.1 (from
            // the dual-stack socket, as IPv4, from an address our INIT-ACK listed) is answered.
            assertTrue(confirmed.contains("127.0.0.1"), "confirmed " + confirmed);
        } finally {
            smp.stop();
        }
    }

    private static SctpNotification.PeerAddressChange nextAddressChange(SctpAssociation a) {
        for (;;) {
            SctpEvent e = Async.await(a.receive().withTimeout(Duration.ofSeconds(10)));
            if (e instanceof SctpNotification.PeerAddressChange c) {
                return c;
            }
            if (e instanceof SctpReceivedMessage m) {
                throw new AssertionError("unexpected message on stream " + m.stream());
            }
        }
    }
}
