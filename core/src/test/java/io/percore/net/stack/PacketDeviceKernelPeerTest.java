package io.percore.net.stack;

import static io.percore.net.stack.StackTesting.requireTool;
import static io.percore.net.stack.StackTesting.run;
import static io.percore.net.stack.StackTesting.sh;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.percore.core.Future;
import io.percore.core.ReactorConfig;
import io.percore.net.ListenOptions;
import io.percore.net.SocketAddress;
import io.percore.smp.Smp;
import io.percore.smp.SmpConfig;
import io.percore.sys.ClassicBpf;
import io.percore.sys.Tun;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The native stack on an AF_PACKET device against the Linux kernel. Two network namespaces of the test's own are
 * joined by a veth pair: the kernel end {@code vpa} in namespace A has 192.168.78.1 / fd78::1, the end {@code vpb}
 * in namespace B has no address and IPv6 disabled, and percore's stack runs on it through two AF_PACKET sockets
 * in one fanout group as 192.168.78.2 / fd78::2 with the interface's MAC. The sockets are opened from a helper
 * thread that entered B (they bind in the thread's namespace and work from the shards afterwards); the kernel peers
 * are JDK sockets on threads that entered A, and ping / nc run with {@code ip netns exec A}. Both namespaces are
 * deleted afterwards, which removes the veth pair.
 *
 * <p>Needs root (CAP_NET_ADMIN, CAP_NET_RAW, CAP_SYS_ADMIN) and iproute2; skipped with a message otherwise.
 */
class PacketDeviceKernelPeerTest {
    private static final String NS_A = "pcpkta" + ProcessHandle.current().pid();
    private static final String NS_B = "pcpktb" + ProcessHandle.current().pid();
    private static final String NS_B_PATH = "/var/run/netns/" + NS_B;
    private static boolean createdA, createdB;
    private static ExecutorService peerThreads;

    private Smp smp;
    private NativeNetwork net;

    @BeforeAll
    static void createNamespaces() throws Exception {
        boolean root = "root".equals(System.getProperty("user.name"));
        boolean ip = Files.isExecutable(Path.of("/usr/sbin/ip")) || Files.isExecutable(Path.of("/sbin/ip"));
        assumeTrue(root && ip, "AF_PACKET kernel peer tests need root and iproute2 (root=" + root + ", ip=" + ip + "); skipped");
        createdA = sh("ip", "netns", "add", NS_A) == 0;
        createdB = createdA && sh("ip", "netns", "add", NS_B) == 0;
        assumeTrue(createdA && createdB, "cannot create network namespaces; skipped");
        run("ip", "-n", NS_A, "link", "set", "lo", "up");
        run("ip", "-n", NS_B, "link", "set", "lo", "up");
        run("ip", "-n", NS_A, "link", "add", "vpa", "type", "veth", "peer", "name", "vpb", "netns", NS_B);
        // The kernel of B sees every frame too: without addresses or IPv6 on vpb it stays silent.
        run("ip", "netns", "exec", NS_B, "sysctl", "-q", "-w", "net.ipv6.conf.vpb.disable_ipv6=1");
        run("ip", "-n", NS_A, "addr", "add", "192.168.78.1/24", "dev", "vpa");
        run("ip", "-n", NS_A, "-6", "addr", "add", "fd78::1/64", "dev", "vpa", "nodad");
        run("ip", "-n", NS_A, "link", "set", "vpa", "up");
        run("ip", "-n", NS_B, "link", "set", "vpb", "up");
        peerThreads = StackTesting.threadsIn("/var/run/netns/" + NS_A, "packet-peer");
    }

    @AfterAll
    static void deleteNamespaces() throws Exception {
        if (peerThreads != null) {
            peerThreads.shutdownNow();
        }
        if (createdA) {
            sh("ip", "netns", "del", NS_A);
        }
        if (createdB) {
            sh("ip", "netns", "del", NS_B);
        }
    }

    @AfterEach
    void stopStack() throws Exception {
        if (smp != null) {
            try {
                if (net != null) {
                    smp.invokeOnAllExternal(id -> {
                        if (net.stacks[id] != null) {
                            net.stacks[id].stop();
                        }
                        return Future.done();
                    }).get(20, TimeUnit.SECONDS);
                }
            } finally {
                smp.stop();
                if (net != null) {
                    net.close();
                }
            }
        }
    }

    private void start() throws Exception {
        start(true);
    }

    private void start(boolean vnet) throws Exception {
        start(vnet, true);
    }

    private void start(boolean vnet, boolean steerByFlow) throws Exception {
        smp = Smp.start(SmpConfig.of(2, ReactorConfig.defaults()), r -> { });
        NativeStackConfig cfg = NativeStackConfig.ipv4("192.168.78.2", "255.255.255.0", "192.168.78.1")
                .withIpv6("fd78::2", 64).withPacketInterface("vpb").withTimeWait(java.time.Duration.ofSeconds(5));
        if (vnet && steerByFlow) {
            net = NativeNetwork.open(cfg, 2, NS_B_PATH);
        } else {
            PacketDevice dev = PacketDevice.open("vpb", 2, null, vnet, steerByFlow, NS_B_PATH);
            net = NativeNetwork.create(dev, cfg.withMac(dev.macAddress()), 2);
        }
        smp.invokeOnAllExternal(id -> {
            NativeStack s = net.startShard();
            StackTesting.serveEcho(s.listen(SocketAddress.anyIpv6(7), ListenOptions.defaults()));
            return Future.done();
        }).get(20, TimeUnit.SECONDS);
    }

    @Test
    void usesTheInterfaceMacAndNoOffloads() throws Exception {
        start();
        PacketDevice dev = (PacketDevice) net.device();
        byte[] ifMac = Tun.inNamespace(NS_B_PATH, () -> Tun.hardwareAddress("vpb"));
        assertTrue(Arrays.equals(ifMac, net.macAddress()), "the stack takes vpb's MAC");
        assertEquals(DeviceQueue.TX_CHECKSUM, dev.offloads(), "checksum offload through the virtio-net header");
        assertEquals(2, dev.queueCount());
        assertEquals(1500, dev.mtu());
        assertTrue(dev.describe().contains("fanout"), dev.describe());
    }

    @Test
    void withoutTheVnetHeaderTheStackComputesEveryChecksum() throws Exception {
        start(false);
        assertEquals(0, net.device().offloads());
        assertTrue(!net.device().describe().contains("vnet"), net.device().describe());
        long[] r = peerThreads.submit(() -> kernelTransfer("192.168.78.2", 8L << 20, 13)).get(60, TimeUnit.SECONDS);
        assertEquals(r[0], r[2], "bytes echoed");
        assertEquals(r[1], r[3], "CRC32 of the echo");
    }

    @Test
    void pingAndPing6AreAnswered() throws Exception {
        requireTool("ping", "iputils-ping");
        start();
        assertEquals(0, sh("ip", "netns", "exec", NS_A, "ping", "-c", "3", "-i", "0.2", "-W", "3", "192.168.78.2"),
                () -> "ping failed; " + counters());
        assertEquals(0, sh("ip", "netns", "exec", NS_A, "ping", "-6", "-c", "3", "-i", "0.2", "-W", "3", "fd78::2"),
                () -> "ping -6 failed; " + counters());
        long replies = sum(s -> s.counters.echoReplies);
        assertTrue(replies >= 6, "echo replies: " + replies);
        // The round trip shows the receive ring's block retire timer (a lone frame waits for it).
        Process p = new ProcessBuilder("ip", "netns", "exec", NS_A, "ping", "-q", "-c", "10", "-i", "0.05", "-W", "3",
                "192.168.78.2").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(20, TimeUnit.SECONDS));
        System.out.println("af_packet ping: " + out.lines().filter(l -> l.startsWith("rtt")).findFirst().orElse(out));
    }

    @Test
    void ncReachesTheEchoServer() throws Exception {
        requireTool("nc", "netcat-openbsd");
        start();
        Process p = new ProcessBuilder("ip", "netns", "exec", NS_A, "sh", "-c",
                "printf 'hello over af_packet' | nc -N -w 5 192.168.78.2 7").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(20, TimeUnit.SECONDS));
        assertEquals("hello over af_packet", out, () -> "nc output; " + counters());
    }

    @Test
    void kernelClientTransfersChecksummedOverIpv4AndIpv6() throws Exception {
        start();
        long t0 = System.nanoTime();
        long[] r = peerThreads.submit(() -> kernelTransfer("192.168.78.2", 32L << 20, 11)).get(60, TimeUnit.SECONDS);
        long nanos = System.nanoTime() - t0;
        assertEquals(r[0], r[2], "bytes echoed");
        assertEquals(r[1], r[3], "CRC32 of the echo");
        System.out.printf("af_packet: 32 MiB each way over IPv4 in %.2f s (%.0f MB/s each way)%n", nanos / 1e9,
                (32 << 20) / (nanos / 1e9) / 1e6);
        long[] r6 = peerThreads.submit(() -> kernelTransfer("fd78::2", 8L << 20, 12)).get(60, TimeUnit.SECONDS);
        assertEquals(r6[0], r6[2], "bytes echoed over IPv6");
        assertEquals(r6[1], r6[3], "CRC32 of the IPv6 echo");
        long[] k = ((PacketDevice) net.device()).kernelStatistics();
        System.out.println("af_packet kernel counters: packets " + k[0] + ", ring drops " + k[1] + ", freezes " + k[2]
                + "; transmit drops " + sum(st -> st.queue.transmitDrops()) + ", retransmits " + sum(st -> st.counters.tcpRetransmits)
                + ", handed between shards " + sum(st -> st.counters.handedOff));
    }

    @Test
    void percoreClientReachesAKernelServer() throws Exception {
        start();
        java.net.ServerSocket server = peerThreads.submit(() -> {
            java.net.ServerSocket ss = new java.net.ServerSocket();
            ss.bind(new InetSocketAddress("192.168.78.1", 9000));
            return ss;
        }).get();
        try {
            peerThreads.submit(() -> {
                try (Socket s = server.accept()) {
                    s.getInputStream().transferTo(s.getOutputStream());
                }
                return null;
            });
            StackTesting.Transfer t = smp.submitExternal(1, () -> net.stacks[1].connect(SocketAddress.of("192.168.78.1", 9000))
                    .flatMap(c -> StackTesting.transfer(c, 8L << 20, 5))).get(60, TimeUnit.SECONDS);
            assertEquals(t.sent(), t.received());
            assertEquals(t.sentCrc(), t.receivedCrc());
        } finally {
            server.close();
        }
    }

    @Test
    void fanoutSpreadsFlowsOverBothShardsWithoutDuplicates() throws Exception {
        start();
        long txBefore = kernelTxPackets();
        int flows = 16;
        exchange("192.168.78.2", flows, 5);
        long txDelta = kernelTxPackets() - txBefore;
        PacketDevice dev = (PacketDevice) net.device();
        long q0 = smp.submitExternal(0, () -> Future.ready(dev.framesReceived(0))).get(10, TimeUnit.SECONDS);
        long q1 = smp.submitExternal(1, () -> Future.ready(dev.framesReceived(1))).get(10, TimeUnit.SECONDS);
        System.out.println("fanout over " + flows + " flows: queue 0 got " + q0 + " frames, queue 1 " + q1
                + ", the kernel sent " + txDelta + "; handed between shards " + sum(s -> s.counters.handedOff));
        assertTrue(q0 > 0 && q1 > 0, "both queues receive: " + q0 + " / " + q1);
        // Without a fanout group every socket would see every frame: the sum would be twice what vpa sent.
        assertTrue(q0 + q1 <= txDelta * 3 / 2 + 10, "each frame reaches one queue: " + (q0 + q1) + " for " + txDelta);
    }

    @Test
    void kernelSteersEveryFlowToItsOwnerShard() throws Exception {
        start();
        PacketDevice dev = (PacketDevice) net.device();
        assertTrue(dev.steersByFlow(), "the kernel took the fanout program: " + dev.describe());
        assertTrue(dev.describe().contains("cbpf"), dev.describe());
        exchange("192.168.78.2", 16, 5);
        exchange("fd78::2", 8, 5);
        percoreClientsEcho();
        long handed = sum(s -> s.counters.handedOff);
        long tcp = sum(s -> s.counters.tcpSegmentsReceived);
        System.out.println("cbpf fanout: " + tcp + " TCP segments received, " + handed + " handed between shards; queues "
                + queueCounts());
        // With the kernel's hash about half of the segments land on the wrong shard (see the next test); with our
        // program none should. A program whose hash diverges from the stack's fails here.
        assertTrue(tcp > 150, "segments received: " + tcp);
        assertTrue(handed <= 3, "handed between shards with cbpf steering: " + handed + " of " + tcp + "; " + counters());
    }

    @Test
    void withTheKernelsHashFramesAreHandedOver() throws Exception {
        start(true, false);
        PacketDevice dev = (PacketDevice) net.device();
        assertTrue(!dev.steersByFlow() && dev.describe().contains("fanout hash"), dev.describe());
        exchange("192.168.78.2", 16, 5);
        long handed = sum(s -> s.counters.handedOff);
        long tcp = sum(s -> s.counters.tcpSegmentsReceived);
        System.out.println("hash fanout: " + tcp + " TCP segments received, " + handed + " handed between shards; queues "
                + queueCounts());
        // The kernel's randomly seeded hash agrees with ours for a flow one time in two: 16 flows all agreeing is a
        // 2^-16 chance. This is what the cbpf test above must beat.
        assertTrue(handed > 0, "some frames handed over with the kernel's hash; " + counters());
    }

    @Test
    void aProgramTheKernelRefusesFallsBackToItsHash() throws Exception {
        // Reads scratch memory no path wrote: the kernel's checker refuses it (EINVAL) when the group gets it.
        ClassicBpf.Program refused = new ClassicBpf.Assembler().ldMem(0).retA().build();
        smp = Smp.start(SmpConfig.of(2, ReactorConfig.defaults()), r -> { });
        PacketDevice dev = PacketDevice.open("vpb", 2, null, true, refused, NS_B_PATH);
        NativeStackConfig cfg = NativeStackConfig.ipv4("192.168.78.2", "255.255.255.0", "192.168.78.1")
                .withPacketInterface("vpb").withTimeWait(java.time.Duration.ofSeconds(5));
        net = NativeNetwork.create(dev, cfg.withMac(dev.macAddress()), 2);
        smp.invokeOnAllExternal(id -> {
            StackTesting.serveEcho(net.startShard().listen(SocketAddress.anyIpv6(7), ListenOptions.defaults()));
            return Future.done();
        }).get(20, TimeUnit.SECONDS);
        assertTrue(!dev.steersByFlow() && dev.describe().contains("fanout hash"), dev.describe());
        exchange("192.168.78.2", 16, 3); // every flow served; all 16 on one queue would be a 2^-15 chance
        long q0 = smp.submitExternal(0, () -> Future.ready(dev.framesReceived(0))).get(10, TimeUnit.SECONDS);
        long q1 = smp.submitExternal(1, () -> Future.ready(dev.framesReceived(1))).get(10, TimeUnit.SECONDS);
        assertTrue(q0 > 0 && q1 > 0, "the kernel's hash spreads the flows: " + q0 + " / " + q1);
    }

    /** Opens {@code flows} kernel connections to the echo server and echoes {@code rounds} lines on each, from A. */
    private void exchange(String host, int flows, int rounds) throws Exception {
        int ok = peerThreads.submit(() -> {
            List<Socket> sockets = new ArrayList<>();
            int good = 0;
            try {
                for (int i = 0; i < flows; i++) {
                    Socket s = new Socket();
                    s.connect(new InetSocketAddress(host, 7), 10_000);
                    s.setSoTimeout(10_000);
                    sockets.add(s);
                }
                for (int round = 0; round < rounds; round++) {
                    for (int i = 0; i < flows; i++) {
                        byte[] want = ("flow " + i + " round " + round + "\n").getBytes(StandardCharsets.US_ASCII);
                        sockets.get(i).getOutputStream().write(want);
                        if (Arrays.equals(want, sockets.get(i).getInputStream().readNBytes(want.length))) {
                            good++;
                        }
                    }
                }
            } finally {
                for (Socket s : sockets) {
                    s.close();
                }
            }
            return good;
        }).get(60, TimeUnit.SECONDS);
        assertEquals(flows * rounds, ok, () -> "echoed lines; " + counters());
        Thread.sleep(200); // the FINs' blocks retire
    }

    /** Each shard connects to a kernel echo server in A and echoes 64 KiB: replies must come back to that shard. */
    private void percoreClientsEcho() throws Exception {
        java.net.ServerSocket server = peerThreads.submit(() -> {
            java.net.ServerSocket ss = new java.net.ServerSocket();
            ss.bind(new InetSocketAddress("192.168.78.1", 9001));
            return ss;
        }).get();
        try {
            for (int shard = 0; shard < 2; shard++) {
                peerThreads.submit(() -> {
                    try (Socket s = server.accept()) {
                        s.getInputStream().transferTo(s.getOutputStream());
                    }
                    return null;
                });
                int sh = shard;
                StackTesting.Transfer t = smp.submitExternal(sh, () -> net.stacks[sh].connect(SocketAddress.of("192.168.78.1", 9001))
                        .flatMap(c -> StackTesting.transfer(c, 64 << 10, sh))).get(60, TimeUnit.SECONDS);
                assertEquals(t.sentCrc(), t.receivedCrc(), "echo to shard " + sh);
            }
        } finally {
            server.close();
        }
    }

    private String queueCounts() throws Exception {
        PacketDevice dev = (PacketDevice) net.device();
        long q0 = smp.submitExternal(0, () -> Future.ready(dev.framesReceived(0))).get(10, TimeUnit.SECONDS);
        long q1 = smp.submitExternal(1, () -> Future.ready(dev.framesReceived(1))).get(10, TimeUnit.SECONDS);
        return q0 + " / " + q1 + " frames";
    }

    private static long kernelTxPackets() throws Exception {
        Process p = new ProcessBuilder("ip", "netns", "exec", NS_A, "cat", "/sys/class/net/vpa/statistics/tx_packets")
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).trim();
        assertTrue(p.waitFor(20, TimeUnit.SECONDS));
        return Long.parseLong(out);
    }

    /** {@link StackTesting#kernelEcho} to port 7, from namespace A. */
    static long[] kernelTransfer(String host, long total, long seed) throws Exception {
        return StackTesting.kernelEcho(host, 7, total, seed);
    }

    private String counters() {
        return StackTesting.counters(smp, net, 2);
    }

    private long sum(java.util.function.ToLongFunction<NativeStack> f) throws Exception {
        return StackTesting.sum(smp, net, 2, f);
    }
}
