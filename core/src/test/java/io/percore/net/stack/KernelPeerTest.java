package io.percore.net.stack;

import static io.percore.net.stack.StackTesting.requireTool;
import static io.percore.net.stack.StackTesting.sh;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.percore.core.Future;
import io.percore.core.ReactorConfig;
import io.percore.net.ConnectedSocket;
import io.percore.net.ListenOptions;
import io.percore.net.SocketAddress;
import io.percore.smp.Smp;
import io.percore.smp.SmpConfig;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The native stack against the Linux kernel's own TCP/IP. The test makes a network namespace of its own with a
 * multi-queue TAP interface whose kernel side is 192.168.77.1 / fd77::1; percore's stack takes the other side as
 * 192.168.77.2 / fd77::2. The TAP queues are opened from a helper thread that entered the namespace (TUNSETIFF acts
 * in the calling thread's namespace; the descriptors then work from the shards), and the kernel-side clients and
 * servers are JDK sockets created on threads that entered the namespace, or ping / nc / python run with
 * {@code ip netns exec}. Nothing leaves the namespace; it is deleted afterwards, which removes the TAP too.
 *
 * <p>Needs root (CAP_NET_ADMIN, CAP_SYS_ADMIN), /dev/net/tun and iproute2; skipped with a message otherwise.
 */
class KernelPeerTest {
    private static final String NS = "pcnative" + ProcessHandle.current().pid();
    private static final String NS_PATH = "/var/run/netns/" + NS;
    private static final String TAP = "pct0";
    private static final byte[] MAC = {0x02, 0x50, 0x43, 0x00, 0x00, 0x02};
    private static boolean ready;
    private static ExecutorService nsThreads;

    private Smp smp;
    private NativeNetwork net;

    @BeforeAll
    static void createNamespace() throws Exception {
        boolean root = "root".equals(System.getProperty("user.name"));
        boolean tun = Files.exists(Path.of("/dev/net/tun"));
        boolean ip = Files.isExecutable(Path.of("/usr/sbin/ip")) || Files.isExecutable(Path.of("/sbin/ip"));
        assumeTrue(root && tun && ip, "kernel peer tests need root, /dev/net/tun and iproute2 (root=" + root
                + ", tun=" + tun + ", ip=" + ip + "); skipped");
        assumeTrue(sh("ip", "netns", "add", NS) == 0, "cannot create a network namespace; skipped");
        ready = true;
        nsIp("link", "set", "lo", "up");
        nsIp("tuntap", "add", "dev", TAP, "mode", "tap", "multi_queue", "vnet_hdr");
        nsIp("link", "set", TAP, "up");
        nsIp("addr", "add", "192.168.77.1/24", "dev", TAP);
        nsIp("-6", "addr", "add", "fd77::1/64", "dev", TAP, "nodad");
        nsThreads = StackTesting.threadsIn(NS_PATH, "kernel-peer");
    }

    @AfterAll
    static void deleteNamespace() throws Exception {
        if (nsThreads != null) {
            nsThreads.shutdownNow();
        }
        if (ready) {
            sh("ip", "netns", "del", NS);
        }
    }

    @AfterEach
    void stopStack() throws Exception {
        if (smp != null) {
            try {
                smp.invokeOnAllExternal(id -> {
                    net.stacks[id].stop();
                    return Future.done();
                }).get(20, TimeUnit.SECONDS);
            } finally {
                smp.stop();
                net.close();
            }
        }
    }

    private void start(FaultConfig faults) throws Exception {
        smp = Smp.start(SmpConfig.of(2, ReactorConfig.defaults()), r -> { });
        NativeStackConfig cfg = NativeStackConfig.ipv4("192.168.77.2", "255.255.255.0", "192.168.77.1")
                .withIpv6("fd77::2", 64).withTapDevice(TAP).withMac(MAC).withTimeWait(java.time.Duration.ofSeconds(5));
        TapDevice tap = TapDevice.open(TAP, 2, 1500, true, true, NS_PATH);
        NetDevice dev = faults == null ? tap : new FaultInjectingDevice(tap, faults);
        net = NativeNetwork.create(dev, cfg, 2);
        // From here @AfterEach stops the stacks and closes the device, whatever fails next.
        smp.invokeOnAllExternal(id -> {
            NativeStack s = net.startShard();
            StackTesting.serveEcho(s.listen(SocketAddress.anyIpv6(7), ListenOptions.defaults()));
            return Future.done();
        }).get(20, TimeUnit.SECONDS);
    }

    @Test
    void pingAndPing6AreAnswered() throws Exception {
        requireTool("ping", "iputils-ping");
        start(null);
        int rc = sh("ip", "netns", "exec", NS, "ping", "-c", "3", "-i", "0.2", "-W", "3", "192.168.77.2");
        assertEquals(0, rc, () -> "ping failed; counters " + counters());
        assertEquals(0, sh("ip", "netns", "exec", NS, "ping", "-6", "-c", "3", "-i", "0.2", "-W", "3", "fd77::2"));
        long replies = sum(s -> s.counters.echoReplies);
        assertTrue(replies >= 6, "echo replies: " + replies);
    }

    @Test
    void ncReachesTheEchoServer() throws Exception {
        requireTool("nc", "netcat-openbsd");
        start(null);
        Process p = new ProcessBuilder("ip", "netns", "exec", NS, "sh", "-c",
                "printf 'hello from nc' | nc -N -w 5 192.168.77.2 7").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(20, TimeUnit.SECONDS));
        assertEquals("hello from nc", out);
    }

    @Test
    void kernelClientTransfers256MiBEachWayOverIpv4AndIpv6() throws Exception {
        start(null);
        long t0 = System.nanoTime();
        long[] r = nsThreads.submit(() -> kernelTransfer("192.168.77.2", 256L << 20, 11)).get(60, TimeUnit.SECONDS);
        long nanos = System.nanoTime() - t0;
        assertEquals(r[0], r[2], "bytes echoed");
        assertEquals(r[1], r[3], "CRC32 of the echo");
        System.out.printf("256 MiB each way over IPv4 in %.2f s%n", nanos / 1e9);
        long[] r6 = nsThreads.submit(() -> kernelTransfer("fd77::2", 16L << 20, 12)).get(60, TimeUnit.SECONDS);
        assertEquals(r6[1], r6[3], "CRC32 of the IPv6 echo");
    }

    @Test
    void percoreClientReachesAKernelServer() throws Exception {
        start(null);
        ServerSocket server = nsThreads.submit(() -> {
            ServerSocket ss = new ServerSocket();
            ss.bind(new InetSocketAddress("192.168.77.1", 9000));
            return ss;
        }).get();
        try {
            nsThreads.submit(() -> {
                try (Socket s = server.accept()) {
                    s.getInputStream().transferTo(s.getOutputStream());
                }
                return null;
            });
            for (int shard = 0; shard < 2; shard++) {
                int sh = shard;
                StackTesting.Transfer t = smp.submitExternal(sh, () -> net.stacks[sh].connect(SocketAddress.of("192.168.77.1", 9000))
                        .flatMap(c -> StackTesting.transfer(c, 32L << 20, 5))).get(60, TimeUnit.SECONDS);
                assertEquals(t.sent(), t.received());
                assertEquals(t.sentCrc(), t.receivedCrc());
                if (sh == 0) {
                    nsThreads.submit(() -> {
                        try (Socket s = server.accept()) {
                            s.getInputStream().transferTo(s.getOutputStream());
                        }
                        return null;
                    });
                }
            }
        } finally {
            server.close();
        }
    }

    @Test
    void thousandConcurrentConnections() throws Exception {
        start(null);
        int n = 1000;
        List<Socket> sockets = nsThreads.submit(() -> {
            List<Socket> list = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                Socket s = new Socket();
                s.connect(new InetSocketAddress("192.168.77.2", 7), 10_000);
                s.setSoTimeout(10_000);
                list.add(s);
            }
            return list;
        }).get(60, TimeUnit.SECONDS);
        try {
            int ok = nsThreads.submit(() -> {
                int good = 0;
                for (int i = 0; i < n; i++) {
                    sockets.get(i).getOutputStream().write(("conn " + i + "\n").getBytes(StandardCharsets.US_ASCII));
                }
                for (int i = 0; i < n; i++) {
                    byte[] want = ("conn " + i + "\n").getBytes(StandardCharsets.US_ASCII);
                    byte[] got = sockets.get(i).getInputStream().readNBytes(want.length);
                    if (java.util.Arrays.equals(want, got)) {
                        good++;
                    }
                }
                return good;
            }).get(60, TimeUnit.SECONDS);
            assertEquals(n, ok);
            long handedOff = sum(s -> s.counters.handedOff);
            System.out.println("1000 connections: frames handed between shards " + handedOff);
        } finally {
            for (Socket s : sockets) {
                s.close();
            }
        }
    }

    @Test
    void transfersSurviveOnePercentLossWithReordering() throws Exception {
        lossyTransfer(0.01, 8L << 20);
    }

    @Test
    void transfersSurviveFivePercentLossWithReordering() throws Exception {
        lossyTransfer(0.05, 4L << 20);
    }

    @Test
    void transfersSurviveTwentyPercentLossWithReordering() throws Exception {
        lossyTransfer(0.20, 256L << 10);
    }

    private void lossyTransfer(double loss, long bytes) throws Exception {
        start(FaultConfig.lossAndReorder(42, loss, 0.02));
        long[] r = nsThreads.submit(() -> kernelTransfer("192.168.77.2", bytes, 21)).get(120, TimeUnit.SECONDS);
        assertEquals(r[0], r[2], "bytes echoed at " + loss * 100 + " % loss");
        assertEquals(r[1], r[3], "CRC32 at " + loss * 100 + " % loss");
        FaultInjectingDevice dev = (FaultInjectingDevice) net.device();
        long dropped = smp.submitExternal(0, () -> Future.ready(dev.dropped(0))).get()
                + smp.submitExternal(1, () -> Future.ready(dev.dropped(1))).get();
        assertTrue(dropped > 0, "the wrapper dropped frames");
        System.out.printf("%.0f %% loss: %d frames dropped, %d retransmits%n", loss * 100, dropped, sum(s -> s.counters.tcpRetransmits));
    }

    @Test
    void synFloodLeavesTheListenerAnsweringRealClients() throws Exception {
        requireTool("python3", "python3");
        start(null);
        // 4000 SYNs from a host that never answers, from a raw socket in the namespace.
        String script = String.join("\n",
                "import socket, struct, random",
                "s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)",
                "def csum(b):",
                "    if len(b) % 2: b += b'\\0'",
                "    t = sum(struct.unpack('!%dH' % (len(b)//2), b))",
                "    while t >> 16: t = (t & 0xffff) + (t >> 16)",
                "    return ~t & 0xffff",
                "src, dst = socket.inet_aton('192.168.77.99'), socket.inet_aton('192.168.77.2')",
                "for i in range(4000):",
                "    sp = random.randint(1024, 65000)",
                "    tcp = struct.pack('!HHIIBBHHH', sp, 7, random.getrandbits(32), 0, 5 << 4, 2, 65535, 0, 0)",
                "    c = csum(src + dst + struct.pack('!BBH', 0, 6, len(tcp)) + tcp)",
                "    tcp = tcp[:16] + struct.pack('!H', c) + tcp[18:]",
                "    ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 40, i & 0xffff, 0, 64, 6, 0, src, dst)",
                "    s.sendto(ip + tcp, ('192.168.77.2', 0))");
        assertEquals(0, sh("ip", "netns", "exec", NS, "python3", "-c", script));
        long[] r = nsThreads.submit(() -> kernelTransfer("192.168.77.2", 1 << 20, 9)).get(30, TimeUnit.SECONDS);
        assertEquals(r[1], r[3], "a real client is served during the flood");
        long cookies = sum(s -> s.counters.synCookiesSent);
        assertTrue(cookies > 0, "SYN cookies were used: " + cookies);
        System.out.println("SYN flood: cookies sent " + cookies);
    }

    @Test
    void malformedFramesAreDroppedAndCounted() throws Exception {
        requireTool("python3", "python3");
        start(null);
        // Frames written to our MAC from an AF_PACKET socket on the kernel side of the TAP.
        String script = String.join("\n",
                "import socket, struct",
                "s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)",
                "s.bind(('" + TAP + "', 0))",
                "eth = bytes([2,0x50,0x43,0,0,2]) + bytes([2,0,0,0,0,1]) + b'\\x08\\x00'",
                "src, dst = socket.inet_aton('192.168.77.1'), socket.inet_aton('192.168.77.2')",
                "def ip(proto, payload, ident=1, frag=0, ck=None):",
                "    h = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(payload), ident, frag, 64, proto, 0, src, dst)",
                "    t = sum(struct.unpack('!10H', h))",
                "    while t >> 16: t = (t & 0xffff) + (t >> 16)",
                "    c = (~t & 0xffff) if ck is None else ck",
                "    return h[:10] + struct.pack('!H', c) + h[12:] + payload",
                "frames = []",
                "frames.append(eth + ip(6, b'\\0' * 20, ck=0x1234))",                       // bad IP checksum
                "frames.append(eth + b'\\x45\\x00\\x00')",                                      // truncated IP header
                "frames.append(eth + ip(6, struct.pack('!HHIIBBHHH', 1234, 7, 1, 0, 7 << 4, 2, 1000, 0, 0) + b'\\x02\\x00\\x00\\x00' + b'\\x00' * 4))", // bogus TCP option length 0
                "frames.append(eth + ip(17, b'\\x00\\x35\\x13\\x88\\x00\\x30\\x00\\x00' + b'x' * 8))", // UDP length beyond the packet
                "frames.append(eth + ip(17, b'a' * 16, ident=77, frag=0x2000))",                 // fragment 0..16
                "frames.append(eth + ip(17, b'b' * 16, ident=77, frag=0x2001))",                 // overlapping 8..24
                "frames.append(eth + ip(17, b'c' * 8, ident=77, frag=0x0003))",
                "frames.append(eth[:12] + b'\\x86\\xdd' + b'\\x60' + b'\\x00' * 10)",             // truncated IPv6",
                "for f in frames * 50: s.send(f)");
        assertEquals(0, sh("ip", "netns", "exec", NS, "python3", "-c", script.replace("//", "#")));
        Thread.sleep(200);
        long bad = sum(s -> s.counters.malformed + s.counters.badChecksum + s.counters.reassemblyFailed);
        assertTrue(bad >= 300, "malformed frames counted: " + bad);
        long[] r = nsThreads.submit(() -> kernelTransfer("192.168.77.2", 1 << 20, 3)).get(30, TimeUnit.SECONDS);
        assertEquals(r[1], r[3], "the stack still serves after the malformed frames");
    }

    /** {@link StackTesting#kernelEcho} to port 7. In a thread that has entered the namespace. */
    private static long[] kernelTransfer(String host, long total, long seed) throws Exception {
        return StackTesting.kernelEcho(host, 7, total, seed);
    }

    private String counters() {
        return StackTesting.counters(smp, net, 2);
    }

    private long sum(java.util.function.ToLongFunction<NativeStack> f) throws Exception {
        return StackTesting.sum(smp, net, 2, f);
    }

    private static void nsIp(String... args) throws Exception {
        String[] cmd = new String[args.length + 5];
        cmd[0] = "ip";
        cmd[1] = "netns";
        cmd[2] = "exec";
        cmd[3] = NS;
        cmd[4] = "ip";
        System.arraycopy(args, 0, cmd, 5, args.length);
        int rc = sh(cmd);
        if (rc != 0) {
            throw new IllegalStateException("failed: " + String.join(" ", cmd));
        }
    }
}
