package io.percore.net.stack;

import static io.percore.net.stack.DhcpTesting.ip;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.percore.core.Future;
import io.percore.core.ReactorConfig;
import io.percore.memory.Buffer;
import io.percore.memory.Packet;
import io.percore.net.ListenOptions;
import io.percore.net.SocketAddress;
import io.percore.net.UdpChannel;
import io.percore.smp.Smp;
import io.percore.smp.SmpConfig;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The DHCP client against a scripted server: network A (two shards, no address, DHCP) and network B (10.0.0.1, a
 * server on UDP port 67 of its shard 0 that answers each client request as the test's script says) on an in-memory
 * wire. Lease times are seconds, so the renewal, NAK and expiry paths run within a test's time.
 */
class DhcpClientTest {
    private static final DhcpClient.Options FAST = new DhcpClient.Options(Duration.ofMillis(200), Duration.ofMillis(800),
            Duration.ofSeconds(10));
    private Smp smp;
    private NativeNetwork a, b;

    /** What the server saw: message type, ciaddr, and whether the request was sent to the broadcast address. */
    record Seen(int type, int ciaddr, int xid) {}

    private void start(Function<byte[], List<byte[]>> script, List<Seen> seen) throws Exception {
        smp = Smp.start(SmpConfig.of(2, ReactorConfig.defaults()), r -> { });
        MemoryDevicePair wire = MemoryDevicePair.create(2, 1500);
        a = NativeNetwork.create(wire.left(), NativeStackConfig.dhcpOnly(), 2);
        b = NativeNetwork.create(wire.right(), NativeStackConfig.ipv4("10.0.0.1", "255.255.255.0", null), 2);
        smp.invokeOnAllExternal(id -> {
            a.startShard();
            NativeStack sb = b.startShard();
            if (id == 0 && script != null) {
                serve(sb.udpChannel(SocketAddress.anyIpv4(67)), script, seen);
            }
            return Future.done();
        }).get(20, TimeUnit.SECONDS);
    }

    private static void serve(UdpChannel ch, Function<byte[], List<byte[]>> script, List<Seen> seen) {
        ch.receive().onComplete((d, t) -> {
            if (t != null) {
                return;
            }
            byte[] req = d.data().toArray();
            d.data().release();
            synchronized (seen) {
                seen.add(new Seen(DhcpTesting.requestType(req), DhcpMessage.get32(req, 12), DhcpMessage.get32(req, 4)));
            }
            for (byte[] reply : script.apply(req)) {
                ch.send(SocketAddress.of("255.255.255.255", 68), Packet.of(Buffer.copyOf(reply))).ignoreFailure();
            }
            serve(ch, script, seen);
        });
    }

    @AfterEach
    void stop() throws Exception {
        if (smp != null) {
            try {
                smp.invokeOnAllExternal(id -> {
                    a.stacks[id].stop();
                    b.stacks[id].stop();
                    return Future.done();
                }).get(20, TimeUnit.SECONDS);
            } finally {
                smp.stop();
                a.close();
                b.close();
            }
        }
    }

    private NativeStackConfig acquire(DhcpClient.Options options) throws Exception {
        return smp.submitExternal(0, () -> a.configureByDhcp(options)).get(20, TimeUnit.SECONDS);
    }

    private <T> T onA(Function<DhcpClient, T> f) throws Exception {
        return smp.submitExternal(0, () -> Future.ready(f.apply(a.stacks[0].dhcp))).get(10, TimeUnit.SECONDS);
    }

    @Test
    void malformedRepliesAreIgnoredANakRestartsAndTheLeaseIsRenewed() throws Exception {
        List<Seen> seen = new ArrayList<>();
        int[] requests = new int[1];
        start(req -> {
            int xid = DhcpMessage.get32(req, 4);
            long mac = DhcpTesting.mac(req);
            byte[] lease = DhcpTesting.leaseOptions(ip("255.255.255.0"), ip("10.0.0.1"), ip("10.0.0.53"), ip("10.0.0.1"), 30, 1, 20);
            if (DhcpTesting.requestType(req) == DhcpMessage.DISCOVER) {
                byte[] offer = DhcpTesting.reply(DhcpMessage.OFFER, xid, mac, ip("10.0.0.77"), lease);
                byte[] badCookie = offer.clone();
                badCookie[DhcpMessage.COOKIE_OFFSET] = 0;
                byte[] truncated = java.util.Arrays.copyOf(offer, DhcpMessage.OPTIONS_OFFSET + 7);
                byte[] otherXid = DhcpTesting.reply(DhcpMessage.OFFER, xid + 1, mac, ip("10.0.0.66"), lease);
                byte[] otherClient = DhcpTesting.reply(DhcpMessage.OFFER, xid, mac ^ 1, ip("10.0.0.65"), lease);
                return List.of(badCookie, truncated, otherXid, otherClient, offer);
            }
            if (++requests[0] == 1) {
                return List.of(DhcpTesting.reply(DhcpMessage.NAK, xid, mac, 0,
                        new byte[] {(byte) DhcpMessage.OPT_SERVER_ID, 4, 10, 0, 0, 1}));
            }
            return List.of(DhcpTesting.reply(DhcpMessage.ACK, xid, mac, ip("10.0.0.77"), lease));
        }, seen);
        NativeStackConfig cfg = acquire(FAST);
        assertEquals("/10.0.0.77", cfg.hostIpv4().toString());
        assertEquals("/255.255.255.0", cfg.netmaskIpv4().toString());
        assertEquals("/10.0.0.1", cfg.gatewayIpv4().toString());
        assertEquals("[/10.0.0.53]", cfg.dnsServers().toString());
        assertEquals(cfg, a.config());
        assertEquals(1L, (long) onA(DhcpClient::naks), () -> "one NAK; " + seen);
        long ignored = onA(DhcpClient::ignoredReplies);
        assertTrue(ignored >= 8, "bad cookie, truncated, other xid and other client, twice: " + ignored);
        DhcpClient.Lease lease = onA(DhcpClient::lease);
        assertEquals(Duration.ofSeconds(30), lease.leaseTime());
        assertEquals(Duration.ofSeconds(1), lease.renewalTime());

        // The address works: B reaches an echo server on A.
        smp.invokeOnAllExternal(id -> {
            StackTesting.serveEcho(a.stacks[id].listen(SocketAddress.anyIpv4(7), ListenOptions.defaults()));
            return Future.done();
        }).get(10, TimeUnit.SECONDS);
        StackTesting.Transfer t = smp.submitExternal(1, () -> b.stacks[1].connect(SocketAddress.of("10.0.0.77", 7))
                .flatMap(c -> StackTesting.transfer(c, 256 << 10, 3))).get(20, TimeUnit.SECONDS);
        assertEquals(t.sentCrc(), t.receivedCrc());

        // T1 is 1 s: the client renews by unicast from its address, and the server extends the lease.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (onA(DhcpClient::renewals) == 0 && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        assertTrue(onA(DhcpClient::renewals) >= 1, () -> "renewed; " + seen);
        synchronized (seen) {
            assertTrue(seen.stream().anyMatch(s -> s.type() == DhcpMessage.REQUEST && s.ciaddr() == ip("10.0.0.77")),
                    "a renewal carries our address as ciaddr: " + seen);
        }
    }

    @Test
    void anExpiredLeaseDropsTheAddressAndStartsOver() throws Exception {
        List<Seen> seen = new ArrayList<>();
        int[] acks = new int[1];
        start(req -> {
            int xid = DhcpMessage.get32(req, 4);
            long mac = DhcpTesting.mac(req);
            byte[] lease = DhcpTesting.leaseOptions(ip("255.255.255.0"), ip("10.0.0.1"), ip("10.0.0.53"), ip("10.0.0.1"), 2, 1, 1);
            if (DhcpTesting.requestType(req) == DhcpMessage.DISCOVER) {
                return acks[0] == 0 ? List.of(DhcpTesting.reply(DhcpMessage.OFFER, xid, mac, ip("10.0.0.80"), lease)) : List.of();
            }
            // One lease, then silence: renewal and rebinding get no answer.
            return acks[0]++ == 0 ? List.of(DhcpTesting.reply(DhcpMessage.ACK, xid, mac, ip("10.0.0.80"), lease)) : List.of();
        }, seen);
        assertEquals("/10.0.0.80", acquire(FAST).hostIpv4().toString());
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (a.ipv4 != null && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        assertNull(a.ipv4, "the address is gone after the lease ran out");
        assertNull(a.config().hostIpv4());
        assertNull(onA(DhcpClient::lease));
        long discovers;
        deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        do {
            Thread.sleep(100);
            synchronized (seen) {
                discovers = seen.stream().filter(s -> s.type() == DhcpMessage.DISCOVER).count();
            }
        } while (discovers < 2 && System.nanoTime() < deadline);
        assertTrue(discovers >= 2, "discovering again after expiry: " + seen);
        synchronized (seen) {
            assertTrue(seen.stream().anyMatch(s -> s.type() == DhcpMessage.REQUEST && s.ciaddr() != 0), "renewal tried: " + seen);
        }
    }

    @Test
    void withoutAServerItFailsClearlyAfterTheTimeout() throws Exception {
        start(null, List.of());
        DhcpClient.Options quick = new DhcpClient.Options(Duration.ofMillis(100), Duration.ofMillis(400), Duration.ofMillis(1500));
        long t0 = System.nanoTime();
        ExecutionException e = assertThrows(ExecutionException.class, () -> acquire(quick));
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertInstanceOf(DhcpClient.NoLeaseException.class, e.getCause());
        String msg = e.getCause().getMessage();
        assertTrue(msg.contains("no DHCP lease") && msg.contains("DISCOVER"), msg);
        int sent = Integer.parseInt(msg.replaceAll(".*: (\\d+) DISCOVER.*", "$1"));
        assertTrue(sent >= 3 && sent <= 20, "DISCOVERs with backoff in 1.5 s: " + msg);
        assertTrue(ms >= 1400 && ms < 15_000, "failed after the timeout: " + ms + " ms");
        assertNull(a.ipv4);
        long udp = smp.submitExternal(0, () -> Future.ready((long) (a.udpPorts.containsKey(68) ? 1 : 0))).get();
        assertEquals(0, udp, "port 68 released after the failure");
    }
}
