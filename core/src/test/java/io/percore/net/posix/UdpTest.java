package io.percore.net.posix;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.percore.core.Future;
import io.percore.core.Futures;
import io.percore.core.Timer;
import io.percore.memory.Buffer;
import io.percore.memory.Packet;
import io.percore.net.NetException;
import io.percore.net.SocketAddress;
import io.percore.net.UdpChannel;
import io.percore.sys.Errno;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.time.Duration;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.AfterParameterizedClassInvocation;
import org.junit.jupiter.params.BeforeParameterizedClassInvocation;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.MethodSource;

/** UDP on every I/O mode: sizes from 0 to the protocol's limits, addresses, dual stack, errors, closing. */
@ParameterizedClass(name = "{0}")
@MethodSource("io.percore.net.posix.IoMode#all")
@Timeout(60)
class UdpTest extends NetTestBase {
    /** The largest UDP payload over IPv4 (65,535 − 20 − 8) and over IPv6 without jumbograms (65,535 − 8). */
    static final int MAX_V4 = 65_507, MAX_V6 = 65_527;

    @BeforeParameterizedClassInvocation
    static void start(IoMode m) throws Exception {
        startShards(m, 2);
    }

    @AfterParameterizedClassInvocation
    static void stop() {
        stopShards();
    }

    private static UdpChannel server;

    /** Opens an echo channel on shard 0: every datagram goes back to its sender. */
    private static SocketAddress echoChannel(SocketAddress at) throws Exception {
        return on(0, () -> {
            server = stack().udpChannel(at);
            Futures.keepDoing(() -> server.receive().flatMap(d -> server.send(d.sender(), Packet.of(d.data()))))
                    .ignoreFailure();
            return server.localAddress();
        });
    }

    private static void closeServer() throws Exception {
        on(0, () -> {
            server.close();
            return null;
        });
    }

    /** @return {@code size} random bytes as a packet of up to 5 fragments. */
    private static Packet randomPacket(byte[] bytes) {
        Packet p = Packet.empty();
        int at = 0;
        int pieces = Math.min(5, Math.max(1, bytes.length));
        for (int i = 0; i < pieces; i++) {
            int end = i == pieces - 1 ? bytes.length : at + bytes.length / pieces;
            p.append(Buffer.copyOf(Arrays.copyOfRange(bytes, at, end)));
            at = end;
        }
        return p;
    }

    private static void roundTrips(SocketAddress serverAt, SocketAddress clientAt, int... sizes) throws Exception {
        on(1, () -> {
            UdpChannel c = stack().udpChannel(clientAt);
            SplittableRandom rnd = new SplittableRandom(7);
            for (int size : sizes) {
                byte[] bytes = new byte[size];
                rnd.nextBytes(bytes);
                await(c.send(serverAt, randomPacket(bytes)));
                UdpChannel.Datagram d = await(c.receive().withTimeout(Duration.ofSeconds(10)));
                assertEquals(serverAt.port(), d.sender().port());
                assertArrayEquals(bytes, d.data().toArray(), "datagram of " + size + " bytes");
                d.data().release();
            }
            c.close();
            return null;
        });
    }

    @Test
    void datagramsOfEverySizeUpToTheIpv4Limit() throws Exception {
        SocketAddress at = echoChannel(loopback(false));
        try {
            roundTrips(at, loopback(false), 0, 1, 2, 100, 1472, 1473, 8192,
                    PosixUdpChannel.HAND_OVER - 1, PosixUdpChannel.HAND_OVER, PosixUdpChannel.HAND_OVER + 1, 65_000, MAX_V4);
        } finally {
            closeServer();
        }
    }

    @Test
    void datagramsUpToTheIpv6Limit() throws Exception {
        SocketAddress at = echoChannel(loopback(true));
        try {
            roundTrips(at, loopback(true), 1, 1232, MAX_V4, MAX_V4 + 1, MAX_V6);
        } finally {
            closeServer();
        }
    }

    @Test
    void aDatagramOverTheLimitFailsThatSendOnly() throws Exception {
        SocketAddress at = echoChannel(loopback(false));
        try {
            on(1, () -> {
                UdpChannel c = stack().udpChannel(loopback(false));
                Throwable t = await(c.send(at, Packet.of(Buffer.allocate(MAX_V4 + 1))).handle((v, e) -> e));
                NetException e = assertInstanceOf(NetException.class, t);
                assertEquals(Errno.EMSGSIZE, e.errno());
                assertEquals(at, e.address());
                Throwable family = await(c.send(SocketAddress.of("::1", 9), Packet.of(Buffer.copyOf("x")))
                        .handle((v, err) -> err));
                assertEquals(Errno.EAFNOSUPPORT, assertInstanceOf(NetException.class, family).errno());
                // The channel goes on.
                await(c.send(at, Packet.of(Buffer.copyOf("after"))));
                UdpChannel.Datagram d = await(c.receive());
                assertEquals("after", d.data().toString(java.nio.charset.StandardCharsets.UTF_8));
                d.data().release();
                c.close();
                return null;
            });
        } finally {
            closeServer();
        }
    }

    @Test
    void manyFragmentsAreGatheredIntoOneDatagram() throws Exception {
        SocketAddress at = echoChannel(loopback(false));
        try {
            on(1, () -> {
                UdpChannel c = stack().udpChannel(loopback(false));
                Packet p = Packet.empty();
                StringBuilder expected = new StringBuilder();
                for (int i = 0; i < 200; i++) {
                    expected.append((char) ('a' + i % 26));
                    p.append(Buffer.copyOf(String.valueOf((char) ('a' + i % 26))));
                }
                await(c.send(at, p));
                UdpChannel.Datagram d = await(c.receive());
                assertEquals(expected.toString(), d.data().toString(java.nio.charset.StandardCharsets.UTF_8));
                d.data().release();
                c.close();
                return null;
            });
        } finally {
            closeServer();
        }
    }

    @Test
    void aDualStackChannelTalksToIpv4Peers() throws Exception {
        SocketAddress at = echoChannel(SocketAddress.anyIpv6(0));
        try {
            SocketAddress v4 = SocketAddress.of("127.0.0.1", at.port());
            on(1, () -> {
                UdpChannel c = stack().udpChannel(loopback(false));
                await(c.send(v4, Packet.of(Buffer.copyOf("ping"))));
                UdpChannel.Datagram d = await(c.receive().withTimeout(Duration.ofSeconds(10)));
                assertEquals(v4, d.sender(), "the reply comes from the IPv4 side of the dual-stack channel");
                assertInstanceOf(Inet4Address.class, d.sender().ip());
                d.data().release();
                c.close();
                return null;
            });
            // And to IPv6 peers on the same port.
            roundTrips(SocketAddress.of("::1", at.port()), loopback(true), 10);
        } finally {
            closeServer();
        }
    }

    @Test
    void receiveOrderAndConcurrentReceivers() throws Exception {
        SocketAddress at = echoChannel(loopback(false));
        try {
            on(1, () -> {
                UdpChannel c = stack().udpChannel(loopback(false));
                Future<UdpChannel.Datagram> first = c.receive();
                Future<UdpChannel.Datagram> second = c.receive();
                await(c.send(at, Packet.of(Buffer.copyOf("1"))));
                await(Timer.sleep(Duration.ofMillis(20)));
                await(c.send(at, Packet.of(Buffer.copyOf("2"))));
                UdpChannel.Datagram a = await(first);
                UdpChannel.Datagram b = await(second);
                assertEquals("1", a.data().toString(java.nio.charset.StandardCharsets.UTF_8));
                assertEquals("2", b.data().toString(java.nio.charset.StandardCharsets.UTF_8));
                assertTrue(a.sender() == b.sender(), "the decoded sender is reused for the same peer");
                a.data().release();
                b.data().release();
                c.close();
                return null;
            });
        } finally {
            closeServer();
        }
    }

    @Test
    void closingFailsPendingAndLaterOperations() throws Exception {
        on(1, () -> {
            UdpChannel c = stack().udpChannel(loopback(false));
            Future<Throwable> pending = c.receive().handle((d, e) -> e);
            await(Timer.sleep(Duration.ofMillis(10)));
            c.close();
            assertInstanceOf(NetException.SocketClosed.class, await(pending));
            assertInstanceOf(NetException.SocketClosed.class, await(c.receive().handle((d, e) -> e)));
            assertInstanceOf(NetException.SocketClosed.class,
                    await(c.send(loopback(false).withPort(9), Packet.of(Buffer.copyOf("x"))).handle((v, e) -> e)));
            c.close();
            return null;
        });
    }

    @Test
    void aLinkLocalAddressKeepsItsScope() throws Exception {
        Inet6Address linkLocal = null;
        for (NetworkInterface nif : NetworkInterface.networkInterfaces().toList()) {
            if (!nif.isUp()) {
                continue;
            }
            for (InetAddress a : nif.inetAddresses().toList()) {
                if (a instanceof Inet6Address v6 && v6.isLinkLocalAddress() && v6.getScopeId() != 0) {
                    linkLocal = v6;
                }
            }
        }
        Assumptions.assumeTrue(linkLocal != null, "no interface has a link-local IPv6 address");
        // Datagrams a host sends to its own address never leave it.
        SocketAddress at = SocketAddress.of(linkLocal.getHostAddress(), 0);
        int scope = linkLocal.getScopeId();
        on(1, () -> {
            UdpChannel c = stack().udpChannel(at);
            Inet6Address bound = (Inet6Address) c.localAddress().ip();
            assertEquals(scope, bound.getScopeId(), "getsockname keeps the scope");
            await(c.send(c.localAddress(), Packet.of(Buffer.copyOf("self"))));
            UdpChannel.Datagram d = await(c.receive().withTimeout(Duration.ofSeconds(10)));
            assertEquals(c.localAddress(), d.sender());
            assertEquals(scope, ((Inet6Address) d.sender().ip()).getScopeId());
            d.data().release();
            c.close();
            return null;
        });
    }
}
