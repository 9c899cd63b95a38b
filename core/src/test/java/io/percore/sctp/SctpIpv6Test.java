package io.percore.sctp;

import static io.percore.sctp.SctpTesting.fast;
import static io.percore.sctp.SctpTesting.onShard;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.percore.core.Async;
import io.percore.core.Future;
import io.percore.net.SocketAddress;
import io.percore.sys.ErrnoException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * IPv6 in the SCTP stack: address parameters of type 6 in INIT and INIT-ACK, multi-homing over IPv6 and across
 * families (in memory, with the fault shim's black hole), the scope and family rules for listed addresses, and the
 * families the kernel-socket transports carry (UDP on {@code ::} is dual-stack) with associations over them.
 */
class SctpIpv6Test {
    static final SocketAddress SERVER6 = SocketAddress.of("2001:db8::2", 38412);

    static InetAddress ip(String literal) {
        return SocketAddress.parseLiteral(literal);
    }

    static Set<String> ips(List<SocketAddress> addresses) {
        Set<String> out = new TreeSet<>();
        for (SocketAddress a : addresses) {
            out.add(a.ip().getHostAddress());
        }
        return out;
    }

    static SctpNotification.PeerAddressChange addressChange(SctpAssociation a) {
        for (;;) {
            SctpEvent e = Async.await(a.receive().withTimeout(Duration.ofSeconds(5)));
            if (e instanceof SctpNotification.PeerAddressChange c) {
                return c;
            }
        }
    }

    static int nextPpid(SctpAssociation a) {
        for (;;) {
            SctpEvent e = Async.await(a.receive().withTimeout(Duration.ofSeconds(15)));
            if (e instanceof SctpReceivedMessage m) {
                return m.ppid();
            }
        }
    }

    /**
     * The server has a second address ({@code second}); its first, 2001:db8::2, goes dark after the handshake: the
     * client confirms the second by heartbeat, declares the first unreachable and delivers everything via the second.
     */
    private static void failsOverTo(String second, long seed) {
        MemoryNetwork net = new MemoryNetwork(seed);
        InitOptions ev = fast().withRetransmissionLimits(8, 20, 2).withHeartbeatInterval(Duration.ofMillis(100))
                .withEvents(EnumSet.of(SctpNotification.Kind.PEER_ADDRESS_CHANGE));
        SctpStack s = new SctpStack(net.node("2001:db8::2", second));
        SctpServerSocket l = s.listen(SERVER6, ev);
        SctpStack c = new SctpStack(net.node("2001:db8::1"));
        Future<SctpAssociation> acc = l.accept();
        SctpAssociation client = Async.await(c.connect(SERVER6, ev));
        SctpAssociation server = Async.await(acc);
        assertEquals(Set.of("2001:db8:0:0:0:0:0:2", ip(second).getHostAddress()), ips(client.peerAddresses()),
                "INIT-ACK listed both server addresses");
        SctpNotification.PeerAddressChange confirmed = addressChange(client);
        assertEquals(SctpNotification.AddressState.CONFIRMED, confirmed.state());
        assertEquals(ip(second), confirmed.address().ip());
        net.blackhole = (from, to) -> to.equals(ip("2001:db8::2"));
        for (int i = 0; i < 50; i++) {
            Async.await(client.send(SctpMessage.of(0, i, new byte[] {(byte) i})));
        }
        for (int i = 0; i < 50; i++) {
            assertEquals(i, nextPpid(server));
        }
        SctpNotification.PeerAddressChange down = addressChange(client);
        assertEquals(SctpNotification.AddressState.UNREACHABLE, down.state());
        assertEquals(ip("2001:db8::2"), down.address().ip());
    }

    @Test
    void multiHomedIpv6PeerFailsOverToItsSecondIpv6Address() throws Exception {
        onShard(20, () -> {
            failsOverTo("2001:db8:1::2", 21);
            return null;
        });
    }

    @Test
    void multiHomedPeerFailsOverFromIpv6ToIpv4() throws Exception {
        onShard(20, () -> {
            failsOverTo("10.1.0.2", 22);
            return null;
        });
    }

    @Test
    void serverLearnsAMultiHomedIpv6ClientsAddressesFromItsInit() throws Exception {
        onShard(20, () -> {
            MemoryNetwork net = new MemoryNetwork(23);
            SctpStack s = new SctpStack(net.node("2001:db8::2"));
            SctpServerSocket l = s.listen(SERVER6, fast());
            MemoryNetwork.Node cn = net.node("2001:db8::1", "2001:db8:1::1", "10.0.0.1");
            SctpStack c = new SctpStack(cn);
            Future<SctpAssociation> acc = l.accept();
            SctpAssociation client = Async.await(c.connect(SERVER6, fast()));
            SctpAssociation server = Async.await(acc);
            assertEquals(Set.of("2001:db8:0:0:0:0:0:1", "2001:db8:1:0:0:0:0:1", "10.0.0.1"),
                    ips(server.peerAddresses()));
            cn.source = ip("2001:db8:1::1"); // the client now sends from its second IPv6 address
            Async.await(client.send(SctpMessage.of(0, 7, new byte[] {7})));
            assertEquals(7, nextPpid(server));
            cn.source = ip("10.0.0.1"); // and from its IPv4 one
            Async.await(client.send(SctpMessage.of(0, 8, new byte[] {8})));
            assertEquals(8, nextPpid(server));
            return null;
        });
    }

    @Test
    void listedAddressesOutOfScopeAreNotPaths() throws Exception {
        onShard(20, () -> {
            MemoryNetwork net = new MemoryNetwork(24);
            SctpStack s = new SctpStack(net.node("2001:db8::2"));
            SctpServerSocket l = s.listen(SERVER6, fast());
            // A global peer that also lists its loopback, a link-local and a multicast address.
            SctpStack c = new SctpStack(net.node("2001:db8::1", "::1", "fe80::1", "ff02::1", "127.0.0.1",
                    "2001:db8:1::1"));
            Future<SctpAssociation> acc = l.accept();
            SctpAssociation client = Async.await(c.connect(SERVER6, fast()));
            SctpAssociation server = Async.await(acc);
            assertEquals(Set.of("2001:db8:0:0:0:0:0:1", "2001:db8:1:0:0:0:0:1"), ips(server.peerAddresses()));
            assertEquals(SctpAssociation.State.ESTABLISHED, client.state());
            return null;
        });
    }

    @Test
    void linkLocalAddressesCountWhenThePeerSpeaksFromTheLink() throws Exception {
        onShard(20, () -> {
            MemoryNetwork net = new MemoryNetwork(25);
            SocketAddress server = SocketAddress.of("fe80::2", 38412);
            SctpStack s = new SctpStack(net.node("fe80::2"));
            SctpServerSocket l = s.listen(server, fast());
            SctpStack c = new SctpStack(net.node("fe80::1", "fe80::11"));
            Future<SctpAssociation> acc = l.accept();
            Async.await(c.connect(server, fast()));
            assertEquals(Set.of("fe80:0:0:0:0:0:0:1", "fe80:0:0:0:0:0:0:11"), ips(Async.await(acc).peerAddresses()));
            return null;
        });
    }

    @Test
    void scopeRulesKeepTheSourcesInterfaceForLinkLocalAddresses() throws Exception {
        SctpTransport both = new SctpTransport() {
            public void start(Receiver r) { }

            public void send(SocketAddress to, byte[] p, int off, int len) { }

            public SocketAddress transportAddress(InetAddress a) {
                return new SocketAddress(a, 0);
            }

            public int overhead(SocketAddress to) {
                return 40;
            }

            public void close() { }
        };
        byte[] ll2 = ip("fe80::2").getAddress();
        InetAddress source = Inet6Address.getByAddress(null, ip("fe80::1").getAddress(), 3);
        Inet6Address kept = assertInstanceOf(Inet6Address.class, AddressScope.usable(ip("fe80::2"), source, both));
        assertEquals(3, kept.getScopeId(), "a link-local address is on the link the packet came over");
        assertTrue(java.util.Arrays.equals(ll2, kept.getAddress()));
        assertNull(AddressScope.usable(ip("fe80::2"), ip("2001:db8::1"), both));
        assertNull(AddressScope.usable(ip("::1"), ip("2001:db8::1"), both));
        assertEquals(ip("::1"), AddressScope.usable(ip("::1"), ip("::1"), both));
        assertEquals(ip("127.0.0.1"), AddressScope.usable(ip("127.0.0.1"), ip("::1"), both));
        assertNull(AddressScope.usable(ip("::"), ip("2001:db8::1"), both));
        assertNull(AddressScope.usable(ip("ff02::1"), ip("2001:db8::1"), both));
        assertNull(AddressScope.usable(null, ip("2001:db8::1"), both));

        // Supported Address Types: as listed, plus the source's family and those of listed addresses (RFC 9260
        // 5.1.2); everything when the parameter is absent.
        Param v4only = Param.supportedAddressTypes(true, false);
        Param v6only = Param.supportedAddressTypes(false, true);
        assertEquals(List.of(0, 6), toInts(v6only.value()));
        assertEquals(AddressScope.IPV4, AddressScope.peerFamilies(List.of(v4only), ip("10.0.0.1")));
        assertEquals(AddressScope.IPV6, AddressScope.peerFamilies(List.of(v6only), ip("2001:db8::1")));
        assertEquals(AddressScope.IPV4 | AddressScope.IPV6, AddressScope.peerFamilies(List.of(v4only), ip("::1")));
        assertEquals(AddressScope.IPV4 | AddressScope.IPV6,
                AddressScope.peerFamilies(List.of(v6only, Param.address(ip("10.0.0.1"))), ip("2001:db8::1")));
        assertEquals(AddressScope.IPV4 | AddressScope.IPV6, AddressScope.peerFamilies(List.of(), ip("10.0.0.1")));
        assertThrows(IllegalArgumentException.class, () -> Param.supportedAddressTypes(false, false));
    }

    private static List<Integer> toInts(byte[] b) {
        List<Integer> out = new ArrayList<>();
        for (byte x : b) {
            out.add((int) x);
        }
        return out;
    }

    /** A memory-network host that records the packets it sends, and may carry IPv6 only. */
    static final class Recorder implements SctpTransport {
        final MemoryNetwork.Node node;
        final boolean ipv4;
        final List<SctpPacket> sent = new ArrayList<>();

        Recorder(MemoryNetwork.Node node, boolean ipv4) {
            this.node = node;
            this.ipv4 = ipv4;
        }

        Chunk.Init firstInit(boolean ack) {
            for (SctpPacket p : sent) {
                if (p.chunks().get(0) instanceof Chunk.Init i && i.ack() == ack) {
                    return i;
                }
            }
            throw new AssertionError("no INIT" + (ack ? "-ACK" : "") + " sent");
        }

        public void start(Receiver r) {
            node.start(r);
        }

        public void send(SocketAddress to, byte[] p, int off, int len) {
            sent.add(SctpCodec.decode(p, off, len, true));
            node.send(to, p, off, len);
        }

        public SocketAddress transportAddress(InetAddress a) {
            return node.transportAddress(a);
        }

        public int overhead(SocketAddress to) {
            return 40;
        }

        public List<InetAddress> localAddresses() {
            return node.localAddresses().stream().filter(a -> ipv4 || a instanceof Inet6Address).toList();
        }

        public boolean carriesIpv4() {
            return ipv4;
        }

        public void close() {
            node.close();
        }
    }

    @Test
    void anIpv6OnlyEndNeitherUsesNorIsOfferedIpv4Addresses() throws Exception {
        onShard(20, () -> {
            MemoryNetwork net = new MemoryNetwork(26);
            Recorder st = new Recorder(net.node("2001:db8::2", "10.0.0.2", "2001:db8:1::2"), true);
            SctpStack s = new SctpStack(st);
            SctpServerSocket l = s.listen(SERVER6, fast());
            Recorder ct = new Recorder(net.node("2001:db8::1", "2001:db8:1::1"), false);
            SctpStack c = new SctpStack(ct);
            Future<SctpAssociation> acc = l.accept();
            SctpAssociation client = Async.await(c.connect(SERVER6, fast()));
            SctpAssociation server = Async.await(acc);
            List<Param> init = ct.firstInit(false).params();
            assertTrue(init.contains(Param.supportedAddressTypes(false, true)), init.toString());
            // The server honours the INIT's Supported Address Types: its INIT-ACK offers no IPv4 address.
            List<Param> ack = st.firstInit(true).params();
            assertTrue(ack.contains(Param.address(ip("2001:db8:1::2"))), ack.toString());
            assertFalse(ack.stream().anyMatch(p -> p.type() == Param.IPV4_ADDRESS), ack.toString());
            assertEquals(Set.of("2001:db8:0:0:0:0:0:2", "2001:db8:1:0:0:0:0:2"), ips(client.peerAddresses()));
            assertEquals(Set.of("2001:db8:0:0:0:0:0:1", "2001:db8:1:0:0:0:0:1"), ips(server.peerAddresses()));
            Async.await(client.send(SctpMessage.of(1, 60, new byte[] {1, 2, 3})));
            assertEquals(60, nextPpid(server));
            return null;
        });
    }

    @Test
    void kernelTransportsSayWhichFamiliesTheyCarry() throws Exception {
        onShard(20, () -> {
            UdpEncapsulation dual = UdpEncapsulation.bind(SocketAddress.of("::", 0), 9899, false);
            UdpEncapsulation v6 = UdpEncapsulation.bind(SocketAddress.of("::1", 0), 9899, false);
            UdpEncapsulation v4 = UdpEncapsulation.bind(SocketAddress.of("127.0.0.1", 0), 9899, false);
            try {
                assertTrue(dual.carriesIpv4() && dual.carriesIpv6());
                assertTrue(!v6.carriesIpv4() && v6.carriesIpv6());
                assertTrue(v4.carriesIpv4() && !v4.carriesIpv6());
                assertThrows(IllegalArgumentException.class, () -> v4.announce(List.of(ip("::1"))));
                SctpStack only4 = new SctpStack(v4);
                Future<SctpAssociation> refused = only4.connect(SocketAddress.of("::1", 38412), fast());
                assertTrue(refused.isFailed(), "a family the transport cannot carry fails at once");
                assertInstanceOf(SctpException.ConnectFailed.class, refused.failure());
                assertEquals(0, only4.associationCount());
                assertEquals(48, v6.overhead(SocketAddress.of("::1", 9899)));
            } finally {
                dual.close();
                v6.close();
                v4.close();
            }
            RawIpTransport raw6;
            try {
                raw6 = RawIpTransport.open(ip("::1"));
            } catch (ErrnoException e) {
                return null; // no CAP_NET_RAW: the UDP half above still ran
            }
            try {
                assertFalse(raw6.carriesIpv4());
                assertTrue(raw6.carriesIpv6());
                assertThrows(IllegalArgumentException.class, () -> raw6.announce(List.of(ip("127.0.0.1"))));
                assertEquals(40, raw6.overhead(SocketAddress.of("::1", 0)));
            } finally {
                raw6.close();
            }
            return null;
        });
    }

    @Test
    void dualStackEndsOverUdpConfirmBothFamiliesAndServeIpv4Clients() throws Exception {
        onShard(20, () -> {
            InitOptions ev = fast().withEvents(EnumSet.of(SctpNotification.Kind.PEER_ADDRESS_CHANGE));
            UdpEncapsulation su = UdpEncapsulation.bind(SocketAddress.of("::", 0), 9899, false);
            su.announce(List.of(ip("::1"), ip("127.0.0.1")));
            SctpStack s = new SctpStack(su);
            SocketAddress listen = SocketAddress.of("::1", 38412);
            EchoServer.serve(s.listen(listen, ev));
            UdpEncapsulation cu = UdpEncapsulation.bind(SocketAddress.of("::", 0), su.localPort(), false);
            cu.announce(List.of(ip("::1"), ip("127.0.0.1")));
            SctpStack c = new SctpStack(cu);
            UdpEncapsulation c4u = UdpEncapsulation.bind(SocketAddress.of("127.0.0.1", 0), su.localPort(), false);
            SctpStack c4 = new SctpStack(c4u);
            try {
                SctpAssociation a = Async.await(c.connect(listen, ev).withTimeout(Duration.ofSeconds(10)));
                assertEquals(Set.of("0:0:0:0:0:0:0:1", "127.0.0.1"), ips(a.peerAddresses()));
                SctpNotification.PeerAddressChange confirmed = addressChange(a);
                assertEquals(SctpNotification.AddressState.CONFIRMED, confirmed.state());
                assertEquals(new SocketAddress(ip("127.0.0.1"), su.localPort()), confirmed.address());
                Async.await(a.send(SctpMessage.of(2, 18, new byte[] {9})));
                assertEquals(18, nextPpid(a));

                // An IPv4-only client reaches the dual-stack server through its IPv4 address (v4-mapped there).
                SctpAssociation b = Async.await(c4.connect(SocketAddress.of("127.0.0.1", 38412), fast())
                        .withTimeout(Duration.ofSeconds(10)));
                assertEquals(Set.of("127.0.0.1"), ips(b.peerAddresses()), "the IPv6 address is no path for it");
                Async.await(b.send(SctpMessage.of(0, 60, new byte[] {4, 2})));
                assertEquals(60, nextPpid(b));
                Async.await(a.shutdown().withTimeout(Duration.ofSeconds(10)));
                Async.await(b.shutdown().withTimeout(Duration.ofSeconds(10)));
            } finally {
                c.close();
                c4.close();
                s.close();
            }
            return null;
        });
    }
}
