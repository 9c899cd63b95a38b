package io.percore.net.stack;

import io.percore.core.Async;
import io.percore.core.Future;
import io.percore.core.ReactorConfig;
import io.percore.memory.Buffer;
import io.percore.net.ConnectedSocket;
import io.percore.net.ServerSocket;
import io.percore.smp.Smp;
import io.percore.smp.SmpConfig;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.zip.CRC32;

/** Helpers for native stack tests: shards, networks on a device pair, an echo server, checksummed transfers. */
final class StackTesting {
    static final long WAIT_SECONDS = 20;

    private StackTesting() {}

    /** Two networks (A = 10.0.0.1, B = 10.0.0.2, plus IPv6 fd00::1 / fd00::2) joined by an in-memory wire. */
    static final class Pair implements AutoCloseable {
        final Smp smp;
        final NativeNetwork a;
        final NativeNetwork b;

        Pair(int shards, FaultConfig faultsA, FaultConfig faultsB, String cc) {
            smp = Smp.start(SmpConfig.of(shards, ReactorConfig.defaults()), r -> { });
            try {
                MemoryDevicePair wire = MemoryDevicePair.create(shards, 1500);
                NetDevice da = faultsA == null ? wire.left() : new FaultInjectingDevice(wire.left(), faultsA);
                NetDevice db = faultsB == null ? wire.right() : new FaultInjectingDevice(wire.right(), faultsB);
                NativeStackConfig base = NativeStackConfig.ipv4("10.0.0.1", "255.255.255.0", null)
                        .withCongestionControl(cc).withTimeWait(java.time.Duration.ofSeconds(2));
                a = NativeNetwork.create(da, base.withIpv6("fd00::1", 64), shards);
                b = NativeNetwork.create(db, NativeStackConfig.ipv4("10.0.0.2", "255.255.255.0", null)
                        .withCongestionControl(cc).withTimeWait(java.time.Duration.ofSeconds(2)).withIpv6("fd00::2", 64), shards);
                smp.invokeOnAllExternal(id -> {
                    a.startShard();
                    b.startShard();
                    return Future.done();
                }).get(WAIT_SECONDS, TimeUnit.SECONDS);
            } catch (Exception e) {
                smp.stop();
                throw new IllegalStateException(e);
            }
        }

        <T> T on(int shard, Supplier<? extends Future<T>> work) throws Exception {
            return smp.submitExternal(shard, work).get(WAIT_SECONDS, TimeUnit.SECONDS);
        }

        @Override
        public void close() throws Exception {
            try {
                smp.invokeOnAllExternal(id -> {
                    a.stacks[id].stop();
                    b.stacks[id].stop();
                    return Future.done();
                }).get(WAIT_SECONDS, TimeUnit.SECONDS);
            } finally {
                smp.stop();
                a.close();
                b.close();
            }
        }
    }

    /** Accepts forever, echoing each connection until end of stream, then closing it. */
    static void serveEcho(ServerSocket ss) {
        ss.accept().onComplete((r, t) -> {
            if (t != null) {
                return;
            }
            echo(r.socket());
            serveEcho(ss);
        });
    }

    static void echo(ConnectedSocket s) {
        s.input().read().onComplete((b, t) -> {
            if (t != null) {
                s.close();
                return;
            }
            if (b.isEmpty()) {
                s.output().close().onComplete((v, t2) -> s.close());
                return;
            }
            s.output().write(b).onComplete((v, t2) -> {
                if (t2 != null) {
                    s.close();
                } else {
                    echo(s);
                }
            });
        });
    }

    /** Result of a transfer: bytes and CRC32 of what was sent and received. */
    record Transfer(long sent, long sentCrc, long received, long receivedCrc) {}

    /**
     * Writes {@code total} seeded pseudo-random bytes to {@code s} (then half-closes) while reading everything back
     * until end of stream. Shard thread.
     */
    static Future<Transfer> transfer(ConnectedSocket s, long total, long seed) {
        CRC32 sentCrc = new CRC32();
        Future<Void> writer = Async.run(() -> {
            SplittableRandom r = new SplittableRandom(seed);
            long left = total;
            byte[] chunk = new byte[64 << 10];
            while (left > 0) {
                int n = (int) Math.min(chunk.length, left);
                r.nextBytes(chunk);
                sentCrc.update(chunk, 0, n);
                Buffer b = Buffer.allocate(n);
                MemorySegment.copy(chunk, 0, b.segment(), java.lang.foreign.ValueLayout.JAVA_BYTE, 0, n);
                Async.await(s.output().write(b));
                left -= n;
            }
            Async.await(s.output().close());
            return null;
        });
        Future<long[]> reader = Async.run(() -> {
            CRC32 crc = new CRC32();
            long got = 0;
            for (;;) {
                Buffer b = Async.await(s.input().read());
                if (b.isEmpty()) {
                    break;
                }
                crc.update(b.segment().asByteBuffer());
                got += b.length();
                b.release();
            }
            return new long[] {got, crc.getValue()};
        });
        return writer.flatMap(v -> reader).map(r -> {
            s.close();
            return new Transfer(total, sentCrc.getValue(), r[0], r[1]);
        });
    }

    /**
     * Connects with a kernel socket (from the calling thread's network namespace) to an echo server at
     * {@code host:port}, writes {@code total} seeded bytes while reading the echo back, and half-closes.
     *
     * @return {sent, CRC32 of sent, received, CRC32 of received}
     */
    static long[] kernelEcho(String host, int port, long total, long seed) throws Exception {
        try (Socket s = new Socket()) {
            // Under the lossy wrapper a SYN or SYN-ACK is lost one time in three (20 % each way): the kernel retries
            // at 1, 3, 7, 15 and 31 s, and 10 s (four tries) failed about one run in fifty. 40 s is six tries.
            s.connect(new InetSocketAddress(host, port), 40_000);
            s.setSoTimeout(30_000);
            CRC32 sent = new CRC32();
            Thread writer = Thread.ofPlatform().unstarted(() -> {
                SplittableRandom r = new SplittableRandom(seed);
                byte[] chunk = new byte[256 << 10];
                try {
                    OutputStream out = s.getOutputStream();
                    for (long left = total; left > 0; ) {
                        int n = (int) Math.min(chunk.length, left);
                        r.nextBytes(chunk);
                        sent.update(chunk, 0, n);
                        out.write(chunk, 0, n);
                        left -= n;
                    }
                    s.shutdownOutput();
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            });
            writer.start();
            CRC32 got = new CRC32();
            long n = 0;
            InputStream in = s.getInputStream();
            byte[] buf = new byte[256 << 10];
            for (int k; (k = in.read(buf)) > 0; ) {
                got.update(buf, 0, k);
                n += k;
            }
            writer.join();
            return new long[] {total, sent.getValue(), n, got.getValue()};
        }
    }

    /** @return every shard's stack counters, for failure messages (the error itself if they cannot be read). */
    static String counters(Smp smp, NativeNetwork net, int shards) {
        try {
            StringBuilder b = new StringBuilder();
            for (int i = 0; i < shards; i++) {
                int id = i;
                b.append(" [shard ").append(id).append(": ")
                        .append(smp.submitExternal(id, () -> Future.ready(net.stacks[id].counters.toString())).get(10, TimeUnit.SECONDS))
                        .append(']');
            }
            return b.toString();
        } catch (Exception e) {
            return e.toString();
        }
    }

    /** @return {@code f} summed over the shards' stacks, each read on its own shard. */
    static long sum(Smp smp, NativeNetwork net, int shards, java.util.function.ToLongFunction<NativeStack> f) throws Exception {
        long total = 0;
        for (int i = 0; i < shards; i++) {
            int id = i;
            total += smp.submitExternal(id, () -> Future.ready(f.applyAsLong(net.stacks[id]))).get(10, TimeUnit.SECONDS);
        }
        return total;
    }

    // ---------------------------------------------------------------- shell and namespaces (kernel-peer suites)

    /** Skips the calling test class unless {@code tool} is on the PATH; names the Debian package to install. */
    static void requireTool(String tool, String pkg) throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(sh("sh", "-c", "command -v " + tool) == 0,
                tool + " is not installed (apt package " + pkg + "); skipped");
    }

    /** Runs {@code cmd}; throws with the command line when it exits non-zero. */
    static void run(String... cmd) throws Exception {
        if (sh(cmd) != 0) {
            throw new IllegalStateException("failed: " + String.join(" ", cmd));
        }
    }

    /** Runs {@code cmd} (60 s at most); prints its output when it fails. @return its exit code, -1 on timeout */
    static int sh(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return -1;
        }
        if (p.exitValue() != 0) {
            System.out.println(String.join(" ", cmd) + " -> " + p.exitValue() + ": " + out);
        }
        return p.exitValue();
    }

    /** @return a thread pool whose threads, named {@code name}, live in the network namespace at {@code nsPath}. */
    static java.util.concurrent.ExecutorService threadsIn(String nsPath, String name) {
        return java.util.concurrent.Executors.newCachedThreadPool(r -> new Thread(() -> {
            io.percore.sys.Tun.enterNetworkNamespace(nsPath);
            r.run();
        }, name));
    }
}
