package io.percore.bench.nativestack;

import io.percore.bench.Report;
import io.percore.bench.Stats;
import io.percore.core.Future;
import io.percore.core.ReactorConfig;
import io.percore.memory.Buffer;
import io.percore.net.ConnectedSocket;
import io.percore.net.ListenOptions;
import io.percore.net.ServerSocket;
import io.percore.net.SocketAddress;
import io.percore.net.stack.NativeNetwork;
import io.percore.net.stack.NativeStack;
import io.percore.net.stack.NativeStackConfig;
import io.percore.net.stack.PacketDevice;
import io.percore.smp.Smp;
import io.percore.smp.SmpConfig;
import io.percore.sys.Tun;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code ./percore bench native-fanout}: the native stack on an AF_PACKET device with two shards, its fanout group
 * steering by the stack's flow hash (a cBPF program) against the kernel's own hash, in interleaved rounds of one
 * run. Namespace A holds the kernel clients on veth end {@code pcfa} (192.168.84.1); namespace B holds the other
 * end {@code pcfb}, without addresses, on which this JVM runs the stack (192.168.84.2) with 2 shards. Each round opens
 * the device in one mode, then 16 kernel connections from A do 64-byte request/response for the round's time.
 * Reported per mode (medians): round trips/s, and the share of received TCP segments the receiving shard handed to
 * the owner shard. Both namespaces are deleted at the end, which removes the veth pair. Root only.
 */
public final class FanoutBench {
    private static final String IP = "192.168.84.2";
    private static final int PORT = 7;
    private static final int MESSAGE = 64;
    private static final int CONNECTIONS = 16;

    private FanoutBench() {}

    /** Runs the comparison; {@code quick} runs one short round per mode. Non-shard thread. */
    public static void run(boolean quick, Report report) throws Exception {
        if (!"root".equals(System.getProperty("user.name"))) {
            throw new IllegalStateException("bench native-fanout needs root (network namespaces, AF_PACKET)");
        }
        int rounds = quick ? 1 : 4;
        long millis = quick ? 500 : 3000;
        long pid = ProcessHandle.current().pid();
        String nsA = "pcfa" + pid, nsB = "pcfb" + pid;
        List<String> created = new ArrayList<>();
        Smp smp = null;
        try {
            for (String ns : List.of(nsA, nsB)) {
                sh("ip", "netns", "add", ns);
                created.add(ns);
                sh("ip", "-n", ns, "link", "set", "lo", "up");
            }
            sh("ip", "-n", nsA, "link", "add", "pcfa", "type", "veth", "peer", "name", "pcfb", "netns", nsB);
            sh("ip", "netns", "exec", nsB, "sysctl", "-q", "-w", "net.ipv6.conf.pcfb.disable_ipv6=1");
            sh("ip", "-n", nsA, "addr", "add", "192.168.84.1/24", "dev", "pcfa");
            sh("ip", "-n", nsA, "link", "set", "pcfa", "up");
            sh("ip", "-n", nsB, "link", "set", "pcfb", "up");
            smp = Smp.start(SmpConfig.of(2, ReactorConfig.defaults()), r -> { });
            report.line("native stack, 2 shards, AF_PACKET on veth pcfb (namespace %s); %d kernel clients in %s, 64 B"
                    + " request/response, %d ms per round, %d rounds per mode interleaved", nsB, CONNECTIONS, nsA, millis, rounds);
            report.line("load average at the start: %s", loadAverage());
            String pathA = "/var/run/netns/" + nsA, pathB = "/var/run/netns/" + nsB;
            round(smp, pathA, pathB, true, quick ? 200 : 1000); // warm-up, not reported
            double[][] rate = new double[2][rounds], handed = new double[2][rounds];
            for (int i = 0; i < rounds; i++) {
                for (int m = 0; m < 2; m++) {
                    boolean cbpf = (i + m) % 2 == 0; // alternate which mode goes first
                    double[] r = round(smp, pathA, pathB, cbpf, millis);
                    int k = cbpf ? 0 : 1;
                    rate[k][i] = r[0];
                    handed[k][i] = r[1];
                    report.line("round %d %-5s %8.0f rt/s, %5.1f %% of TCP segments handed between shards", i + 1,
                            cbpf ? "cbpf" : "hash", r[0], 100 * r[1]);
                }
            }
            report.figure("fanout_cbpf_rr16_rate", Stats.median(rate[0]), "rt/s");
            report.figure("fanout_hash_rr16_rate", Stats.median(rate[1]), "rt/s");
            report.figure("fanout_cbpf_handed_over", 100 * Stats.median(handed[0]), "%");
            report.figure("fanout_hash_handed_over", 100 * Stats.median(handed[1]), "%");
            report.figure("fanout_cbpf_vs_hash_rr16_rate", Stats.median(rate[0]) / Stats.median(rate[1]), "x");
            report.line("load average at the end: %s", loadAverage());
        } finally {
            if (smp != null) {
                smp.stop();
            }
            for (String ns : created) {
                try {
                    sh("ip", "netns", "del", ns);
                } catch (IOException e) {
                    report.line("could not delete namespace %s: %s", ns, e.getMessage());
                }
            }
        }
    }

    /** One round in one mode. @return {round trips/s, handed-over segments / received segments} */
    private static double[] round(Smp smp, String pathA, String pathB, boolean cbpf, long millis) throws Exception {
        NativeStackConfig cfg = NativeStackConfig.ipv4(IP, "255.255.255.0", "192.168.84.1").withPacketInterface("pcfb");
        PacketDevice dev = PacketDevice.open("pcfb", 2, null, true, cbpf, pathB);
        if (dev.steersByFlow() != cbpf) {
            dev.close();
            throw new IllegalStateException("the kernel refused the fanout program: " + dev.describe());
        }
        NativeNetwork net = NativeNetwork.create(dev, cfg.withMac(dev.macAddress()), 2);
        NativeStack[] stacks = new NativeStack[2];
        try {
            smp.invokeOnAllExternal(id -> {
                stacks[id] = net.startShard();
                serveEcho(stacks[id].listen(SocketAddress.anyIpv4(PORT), ListenOptions.defaults()));
                return Future.done();
            }).get(20, TimeUnit.SECONDS);
            AtomicLong trips = new AtomicLong();
            CountDownLatch connected = new CountDownLatch(CONNECTIONS);
            CountDownLatch go = new CountDownLatch(1);
            long[] delta = new long[2];
            List<Thread> clients = new ArrayList<>();
            long[] deadline = new long[1];
            for (int c = 0; c < CONNECTIONS; c++) {
                Thread t = Thread.ofPlatform().start(() -> {
                    Tun.enterNetworkNamespace(pathA);
                    try (Socket s = new Socket()) {
                        s.setTcpNoDelay(true);
                        s.connect(new InetSocketAddress(IP, PORT), 10_000);
                        s.setSoTimeout(10_000);
                        connected.countDown();
                        go.await();
                        byte[] msg = new byte[MESSAGE];
                        OutputStream out = s.getOutputStream();
                        InputStream in = s.getInputStream();
                        long n = 0;
                        while (System.nanoTime() < deadline[0]) {
                            out.write(msg);
                            in.readNBytes(msg, 0, MESSAGE);
                            n++;
                        }
                        trips.addAndGet(n);
                    } catch (Exception e) {
                        connected.countDown();
                        throw new IllegalStateException(e);
                    }
                });
                clients.add(t);
            }
            if (!connected.await(30, TimeUnit.SECONDS)) {
                throw new IllegalStateException("clients did not connect");
            }
            long[] c0 = counters(smp, stacks);
            long t0 = System.nanoTime();
            deadline[0] = t0 + millis * 1_000_000;
            go.countDown();
            for (Thread t : clients) {
                t.join(millis + 30_000);
            }
            long nanos = System.nanoTime() - t0;
            long[] c1 = counters(smp, stacks);
            delta[0] = c1[0] - c0[0];
            delta[1] = c1[1] - c0[1];
            return new double[] {trips.get() / (nanos / 1e9), delta[1] == 0 ? 0 : (double) delta[0] / delta[1]};
        } finally {
            smp.invokeOnAllExternal(id -> {
                if (stacks[id] != null) {
                    stacks[id].stop();
                }
                return Future.done();
            }).get(20, TimeUnit.SECONDS);
            net.close();
        }
    }

    /** @return {handed off, TCP segments received}, summed over the shards, each read on its own. */
    private static long[] counters(Smp smp, NativeStack[] stacks) throws Exception {
        long[] sum = new long[2];
        for (int i = 0; i < stacks.length; i++) {
            int id = i;
            long[] c = smp.submitExternal(id, () -> Future.ready(new long[] {stacks[id].counters().handedOff,
                    stacks[id].counters().tcpSegmentsReceived})).get(10, TimeUnit.SECONDS);
            sum[0] += c[0];
            sum[1] += c[1];
        }
        return sum;
    }

    private static void serveEcho(ServerSocket ss) {
        ss.accept().onComplete((r, t) -> {
            if (t != null) {
                return;
            }
            echo(r.socket());
            serveEcho(ss);
        });
    }

    private static void echo(ConnectedSocket s) {
        s.input().read().onComplete((Buffer b, Throwable t) -> {
            if (t != null || b.isEmpty()) {
                if (b != null) {
                    b.release();
                }
                s.close();
                return;
            }
            s.output().write(b).flatMap(v -> s.output().flush()).onComplete((v, t2) -> {
                if (t2 != null) {
                    s.close();
                } else {
                    echo(s);
                }
            });
        });
    }

    private static String loadAverage() {
        try {
            return java.nio.file.Files.readString(java.nio.file.Path.of("/proc/loadavg")).strip();
        } catch (IOException e) {
            return "?";
        }
    }

    private static void sh(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(20, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException(String.join(" ", cmd) + " failed: " + out.strip());
        }
    }
}
