package io.percore.bench.sctp;

import io.percore.bench.Report;
import io.percore.core.Async;
import io.percore.core.Future;
import io.percore.core.Futures;
import io.percore.core.ReactorConfig;
import io.percore.memory.Buffer;
import io.percore.net.SocketAddress;
import io.percore.sctp.InitOptions;
import io.percore.sctp.SctpAssociation;
import io.percore.sctp.SctpEvent;
import io.percore.sctp.SctpMessage;
import io.percore.sctp.SctpReceivedMessage;
import io.percore.sctp.SctpServerSocket;
import io.percore.sctp.SctpStack;
import io.percore.sctp.UdpEncapsulation;
import io.percore.smp.Smp;
import io.percore.smp.SmpConfig;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * {@code ./percore bench sctp}: SCTP over UDP encapsulation on loopback, percore to percore (client and server on
 * two shards of one process) beside usrsctp to usrsctp (the C peer of core/src/test/c, built here with gcc), in
 * the same run: 64-byte ping-pong (one message outstanding: messages/s, p50/p99 round trip) and 1 KiB bulk (every
 * message echoed, all in flight at once: messages/s). percore runs both once unmeasured first (a JVM compiles its
 * code in its first seconds; that phase's latencies are printed on a line of their own), then measured. The
 * usrsctp half is skipped, with a line saying why, when gcc or libusrsctp-dev is missing.
 */
public final class SctpBench {
    private SctpBench() {}

    /** Runs the comparison; {@code quick} runs few messages. Non-shard thread. */
    public static void run(boolean quick, Report report) throws Exception {
        int pings = quick ? 2_000 : 20_000;
        int bulk = quick ? 5_000 : 100_000;
        double[] ours = percore(pings, bulk, report);
        report.line("percore  ping-pong 64 B: %.0f msg/s, p50 %.1f us, p99 %.1f us; bulk 1 KiB: %.0f msg/s",
                ours[0], ours[1], ours[2], ours[3]);
        report.figure("sctp_percore_pingpong_rate", ours[0], "msg/s");
        report.figure("sctp_percore_pingpong_p50", ours[1], "us");
        report.figure("sctp_percore_pingpong_p99", ours[2], "us");
        report.figure("sctp_percore_bulk_rate", ours[3], "msg/s");
        Path peer = buildPeer(report);
        if (peer != null) {
            double[] theirs = usrsctp(peer, pings, bulk);
            report.line("usrsctp  ping-pong 64 B: %.0f msg/s, p50 %.1f us, p99 %.1f us; bulk 1 KiB: %.0f msg/s",
                    theirs[0], theirs[1], theirs[2], theirs[3]);
            report.figure("sctp_usrsctp_pingpong_rate", theirs[0], "msg/s");
            report.figure("sctp_usrsctp_pingpong_p50", theirs[1], "us");
            report.figure("sctp_usrsctp_pingpong_p99", theirs[2], "us");
            report.figure("sctp_usrsctp_bulk_rate", theirs[3], "msg/s");
            report.figure("sctp_pingpong_ratio", ours[0] / theirs[0], "x");
            report.figure("sctp_bulk_ratio", ours[3] / theirs[3], "x");
        }
    }

    private record Client(SctpStack stack, SctpAssociation association) {
    }

    private static double[] percore(int pings, int bulk, Report report) throws Exception {
        Smp smp = Smp.start(SmpConfig.of(2, ReactorConfig.defaults()), r -> { });
        try {
            InitOptions opt = InitOptions.defaults().withStreams(4, 4).withBuffers(4 << 20, 4 << 20, 1 << 16);
            int udp = smp.submitExternal(0, () -> {
                UdpEncapsulation t = UdpEncapsulation.bind(SocketAddress.of("127.0.0.1", 0), 9899, false);
                SctpStack s = new SctpStack(t);
                SctpServerSocket l = s.listen(SocketAddress.of("127.0.0.1", 5999), opt);
                Futures.repeat(() -> l.accept().map(a -> {
                    Futures.repeat(() -> a.receive().flatMap(e -> e instanceof SctpReceivedMessage m
                            ? a.send(new SctpMessage(m.stream(), m.ppid(), m.unordered(), m.payload())).map(v -> false)
                            : Future.ready(false))).ignoreFailure();
                    return false;
                })).ignoreFailure();
                return Future.ready(t.localPort());
            }).get(10, TimeUnit.SECONDS);
            Client c = smp.submitExternal(1, () -> Async.run(() -> {
                SctpStack s = new SctpStack(UdpEncapsulation.bind(SocketAddress.of("127.0.0.1", 0), udp, false));
                return new Client(s, Async.await(s.connect(SocketAddress.of("127.0.0.1", 5999), opt)
                        .withTimeout(Duration.ofSeconds(10))));
            })).get(20, TimeUnit.SECONDS);
            SctpAssociation a = c.association();
            // Warm-up, not measured: in a fresh JVM the JIT compiles the stack during the first seconds, on the same
            // two CPUs the shards spin on, and those pings take milliseconds (the C peer has no such phase). It is
            // reported on its own line; the comparison is of the steady state.
            CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
            long jit0 = jit.getTotalCompilationTime();
            long[] cold = smp.submitExternal(1, () -> Async.run(() -> {
                long[] lat = pingPong(a, pings);
                bulk(a, bulk / 5);
                return lat;
            })).get(170, TimeUnit.SECONDS);
            long jitCold = jit.getTotalCompilationTime() - jit0;
            // C2 goes on compiling (and recompiling) for a while: more rounds until two in a row compile next to
            // nothing (one alone may just precede a queued compilation).
            int rounds = 0;
            for (long before = jit.getTotalCompilationTime(), quiet = 0; rounds < 10 && quiet < 2; rounds++) {
                smp.submitExternal(1, () -> Async.run(() -> {
                    pingPong(a, pings / 4);
                    return bulk(a, bulk / 20);
                })).get(170, TimeUnit.SECONDS);
                long now = jit.getTotalCompilationTime();
                quiet = now - before < 20 ? quiet + 1 : 0;
                before = now;
            }
            long jit1 = jit.getTotalCompilationTime();
            long switches0 = shardInvoluntarySwitches();
            long[] lat = smp.submitExternal(1, () -> Async.run(() -> pingPong(a, pings))).get(170, TimeUnit.SECONDS);
            long switches1 = shardInvoluntarySwitches();
            long switches = switches0 < 0 || switches1 < 0 ? -1 : switches1 - switches0;
            long jitMeasured = jit.getTotalCompilationTime() - jit1;
            double bulkRate = smp.submitExternal(1, () -> Async.run(() -> {
                double rate = bulk(a, bulk);
                Async.await(a.shutdown().withTimeout(Duration.ofSeconds(10)));
                c.stack().close();
                return rate;
            })).get(170, TimeUnit.SECONDS);
            double pingRate = pings * 1e9 / lat[pings];
            Arrays.sort(lat, 0, pings);
            Arrays.sort(cold, 0, pings);
            report.line("percore  cold start (first %d pings of the JVM, %d ms of JIT compilation meanwhile):"
                    + " p50 %.1f us, p99 %.1f us; not in the figures below", pings, jitCold, cold[pings / 2] / 1e3,
                    cold[pings * 99 / 100] / 1e3);
            report.line("percore  measured ping-pong (after %d more warm-up rounds): p99.9 %.1f us, max %.1f us;"
                    + " %d ms JIT meanwhile; shard threads preempted %s times (involuntary context switches: CPU"
                    + " given to other threads)", rounds, lat[pings * 999 / 1000] / 1e3, lat[pings - 1] / 1e3,
                    jitMeasured, switches < 0 ? "?" : Long.toString(switches));
            report.figure("sctp_percore_pingpong_cold_p99", cold[pings * 99 / 100] / 1e3, "us");
            return new double[] {pingRate, lat[pings / 2] / 1e3, lat[pings * 99 / 100] / 1e3, bulkRate};
        } finally {
            smp.stop();
        }
    }

    /** @return the round trip of each of {@code n} pings, then the total time in slot {@code n}. In Async. */
    private static long[] pingPong(SctpAssociation a, int n) {
        Buffer small = Buffer.allocate(64);
        small.segment().fill((byte) 0);
        long[] lat = new long[n + 1];
        long t0 = System.nanoTime();
        for (int i = 0; i < n; i++) {
            long a0 = System.nanoTime();
            Async.await(a.send(SctpMessage.of(0, 60, small.share()))); // a view: the send takes it
            receiveMessage(a);
            lat[i] = System.nanoTime() - a0;
        }
        lat[n] = System.nanoTime() - t0;
        small.release();
        return lat;
    }

    /** Sends {@code n} 1 KiB messages, all in flight at once, and receives their echoes. In Async. @return msg/s */
    private static double bulk(SctpAssociation a, int n) {
        Buffer kb = Buffer.allocate(1024);
        kb.segment().fill((byte) 0);
        long t1 = System.nanoTime();
        Future<Void> sender = Async.run(() -> {
            for (int i = 0; i < n; i++) {
                Async.await(a.send(SctpMessage.of(i % 4, 60, kb.share())));
            }
            kb.release();
            return null;
        });
        for (int i = 0; i < n; i++) {
            receiveMessage(a);
        }
        Async.await(sender);
        return n * 1e9 / (System.nanoTime() - t1);
    }

    /**
     * @return the involuntary context switches of this process's shard threads so far (each one a time slice the
     * kernel gave to another thread while the shard could run), or -1 where /proc does not tell. Non-shard thread.
     */
    private static long shardInvoluntarySwitches() {
        long sum = 0;
        try (var tasks = Files.list(Path.of("/proc/self/task"))) {
            for (Path t : (Iterable<Path>) tasks::iterator) {
                if (!Files.readString(t.resolve("comm")).strip().startsWith("shard-")) {
                    continue;
                }
                for (String line : Files.readAllLines(t.resolve("status"))) {
                    if (line.startsWith("nonvoluntary_ctxt_switches:")) {
                        sum += Long.parseLong(line.substring(line.indexOf(':') + 1).strip());
                    }
                }
            }
            return sum;
        } catch (java.io.IOException | RuntimeException e) {
            return -1; // not Linux, or a thread ended while we read it
        }
    }

    private static void receiveMessage(SctpAssociation a) {
        for (;;) {
            SctpEvent e = Async.await(a.receive().withTimeout(Duration.ofSeconds(20)));
            if (e instanceof SctpReceivedMessage m) {
                m.release();
                return;
            }
        }
    }

    private static Path buildPeer(Report report) throws Exception {
        Path src = null;
        for (Path p = Path.of("").toAbsolutePath(); p != null && src == null; p = p.getParent()) {
            Path c = p.resolve("core/src/test/c/usrsctp_peer.c");
            if (Files.exists(c)) {
                src = c;
            }
        }
        if (src == null || !Files.exists(Path.of("/usr/include/usrsctp.h"))) {
            report.line("usrsctp: skipped (%s)", src == null ? "usrsctp_peer.c not found: run from the repository"
                    : "libusrsctp-dev not installed");
            return null;
        }
        Path out = Files.createTempDirectory("percore-bench-usrsctp").resolve("usrsctp_peer");
        Process p = new ProcessBuilder("gcc", "-O2", "-o", out.toString(), src.toString(), "-lusrsctp", "-lpthread")
                .redirectErrorStream(true).start();
        String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            report.line("usrsctp: skipped (gcc failed: %s)", log.strip());
            return null;
        }
        return out;
    }

    private static double[] usrsctp(Path peer, int pings, int bulk) throws Exception {
        // A fresh usrsctp server per measurement: its echo loop serves one association, then another.
        String[] ping = withServer(peer, 29899, () -> result(peer, "pingpong", 29898, 29899, pings, 64));
        String[] bulkR = withServer(peer, 29897, () -> result(peer, "bulk", 29896, 29897, bulk, 1024));
        return new double[] {value(ping, "msgs_per_s"), value(ping, "p50_us"), value(ping, "p99_us"),
                value(bulkR, "msgs_per_s")};
    }

    private interface Measurement {
        String[] run() throws Exception;
    }

    private static String[] withServer(Path peer, int udp, Measurement m) throws Exception {
        Process server = new ProcessBuilder(peer.toString(), "server", "" + udp, "127.0.0.1", "5998")
                .redirectErrorStream(true).start();
        try {
            BufferedReader r = new BufferedReader(new InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8));
            if (!"READY".equals(r.readLine())) {
                throw new IllegalStateException("usrsctp server did not start");
            }
            return m.run();
        } finally {
            server.destroyForcibly();
            server.waitFor(5, TimeUnit.SECONDS);
        }
    }

    private static String[] result(Path peer, String mode, int udp, int remoteUdp, int count, int size) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(peer.toString(), mode, "" + udp, "" + remoteUdp, "127.0.0.1", "5998",
                "" + count, "" + size));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) { // readAllBytes returned: it has ended
            p.destroyForcibly();
            throw new IllegalStateException("usrsctp " + mode + " failed: " + out);
        }
        for (String line : out.split("\n")) {
            if (line.startsWith("RESULT ")) {
                return line.substring(7).split(" ");
            }
        }
        throw new IllegalStateException("usrsctp " + mode + " printed no result: " + out);
    }

    private static double value(String[] kv, String key) {
        for (String s : kv) {
            if (s.startsWith(key + "=")) {
                return Double.parseDouble(s.substring(key.length() + 1));
            }
        }
        throw new IllegalStateException("no " + key);
    }
}
