package io.percore.reactor.uring;

import io.percore.core.Async;
import io.percore.core.Future;
import io.percore.core.Reactor;
import io.percore.core.ReactorConfig;
import io.percore.core.Shard;
import io.percore.memory.Buffer;
import io.percore.net.ConnectedSocket;
import io.percore.net.ListenOptions;
import io.percore.net.ServerSocket;
import io.percore.net.SocketAddress;
import io.percore.net.posix.PosixStack;
import io.percore.smp.Smp;
import io.percore.smp.SmpConfig;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A before/after harness for the io_uring socket paths, not a test (surefire does not run it): two shards over
 * loopback TCP through the POSIX stack, shard 1 the client, shard 0 the server, in three configurations run in
 * interleaved rounds so the machine's noise hits all alike:
 * <ul>
 *   <li>{@code single}: one RECV per read (multishot receives off), copying sends;</li>
 *   <li>{@code multishot}: multishot receives into the provided buffer ring, copying sends;</li>
 *   <li>{@code multishot+zc}: the same with SEND_ZC for writes of 16 KiB and more.</li>
 * </ul>
 * Workloads: a bulk transfer (client writes 64 KiB buffers, server drains to end of stream; MiB/s) and a
 * ping-pong of 64-byte messages on one connection (round trips per second). Beside the rates, which a loaded
 * machine distorts, it prints what each workload cost the two shard threads in CPU time (user and system, so
 * the kernel's receive and send work done in their io_uring_enter counts): CPU-ns per KiB transferred and
 * CPU-µs per round trip. Prints the median of each.
 *
 * <p>Run: {@code java -cp core/target/classes:core/target/test-classes:DEPS --enable-native-access=ALL-UNNAMED
 * io.percore.reactor.uring.ReceiveStreamBenchmark [rounds] [bulkMiB] [pingSeconds]}.
 */
public final class ReceiveStreamBenchmark {
    private ReceiveStreamBenchmark() {}

    private static Smp smp;
    private static PosixStack[] stacks;

    /** Entry point; arguments: rounds (5), bulk MiB (512), ping-pong seconds (2). */
    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        long bulk = (args.length > 1 ? Long.parseLong(args[1]) : 512) << 20;
        double pingSeconds = args.length > 2 ? Double.parseDouble(args[2]) : 2;
        ReactorConfig d = ReactorConfig.defaults();
        // No idle spinning: shards sleep as soon as they have nothing to do, so their CPU time is the work's.
        ReactorConfig config = new ReactorConfig(d.taskQuotaNanos(), 0, false,
                d.blockedNotifyNanos(), "io_uring", d.memoryPerShard());
        smp = Smp.start(SmpConfig.of(2, config), r -> {});
        try {
            stacks = new PosixStack[2];
            smp.invokeOnAllExternal(id -> {
                stacks[id] = PosixStack.create();
                return Future.done();
            }).get(10, TimeUnit.SECONDS);
            String[] configs = {"single", "multishot", "multishot+zc"};
            Map<String, List<Double>> bulkResults = new LinkedHashMap<>();
            Map<String, List<Double>> pingResults = new LinkedHashMap<>();
            Map<String, List<Double>> bulkCpu = new LinkedHashMap<>();
            Map<String, List<Double>> pingCpu = new LinkedHashMap<>();
            for (String c : configs) {
                bulkResults.put(c, new ArrayList<>());
                pingResults.put(c, new ArrayList<>());
                bulkCpu.put(c, new ArrayList<>());
                pingCpu.put(c, new ArrayList<>());
            }
            configure("multishot"); // warm-up, not counted
            bulk(bulk / 4);
            ping(0.5);
            for (int r = 0; r < rounds; r++) {
                for (String c : configs) {
                    configure(c);
                    long cpu0 = shardCpuNanos();
                    double mibs = bulk(bulk);
                    long cpu1 = shardCpuNanos();
                    double rtts = ping(pingSeconds);
                    long cpu2 = shardCpuNanos();
                    double bulkNsPerKiB = (cpu1 - cpu0) / (bulk / 1024.0);
                    double pingUsPerTrip = (cpu2 - cpu1) / 1000.0 / (rtts * lastPingSeconds);
                    bulkResults.get(c).add(mibs);
                    pingResults.get(c).add(rtts);
                    bulkCpu.get(c).add(bulkNsPerKiB);
                    pingCpu.get(c).add(pingUsPerTrip);
                    System.out.printf(Locale.ROOT, "round %d %-13s bulk %6.0f MiB/s %6.0f CPU-ns/KiB   ping-pong %7.0f "
                            + "round trips/s %6.1f CPU-us/trip%n", r + 1, c, mibs, bulkNsPerKiB, rtts, pingUsPerTrip);
                }
            }
            for (String c : new String[] {"single", "multishot"}) {
                configure(c);
                System.out.printf(Locale.ROOT, "idle %-13s %d connections with a read pending hold %.1f MiB of the "
                        + "server shard's pool%n", c, IDLE_CONNECTIONS, idlePoolBytes() / (1024.0 * 1024.0));
            }
            System.out.println(describe());
            for (String c : configs) {
                System.out.printf(Locale.ROOT, "median %-13s bulk %6.0f MiB/s %6.0f CPU-ns/KiB   ping-pong %7.0f "
                        + "round trips/s %6.1f CPU-us/trip%n", c, median(bulkResults.get(c)), median(bulkCpu.get(c)),
                        median(pingResults.get(c)), median(pingCpu.get(c)));
            }
        } finally {
            smp.stop();
        }
    }

    private static final int IDLE_CONNECTIONS = 1000;

    /**
     * Opens {@link #IDLE_CONNECTIONS} connections whose server side waits in a read with no data coming.
     *
     * @return how much more of the server shard's pool is in use while they wait than before
     */
    private static long idlePoolBytes() throws Exception {
        SocketAddress at = listen();
        try {
            long before = on(0, () -> io.percore.memory.MemoryPool.current().used());
            List<ConnectedSocket> servers = new ArrayList<>();
            CompletableFuture<Void> accepted = start(0, () -> {
                for (int i = 0; i < IDLE_CONNECTIONS; i++) {
                    ConnectedSocket s = Async.await(server.accept()).socket();
                    servers.add(s);
                    s.input().read().ignoreFailure();
                }
                return null;
            });
            List<ConnectedSocket> clients = on(1, () -> {
                List<ConnectedSocket> cs = new ArrayList<>();
                for (int i = 0; i < IDLE_CONNECTIONS; i++) {
                    cs.add(Async.await(stack().connect(at)));
                }
                return cs;
            });
            accepted.get(60, TimeUnit.SECONDS);
            long during = on(0, () -> {
                Async.sleep(Duration.ofMillis(200));
                return io.percore.memory.MemoryPool.current().used();
            });
            on(0, () -> {
                for (ConnectedSocket s : servers) {
                    Async.await(s.close());
                }
                return null;
            });
            on(1, () -> {
                for (ConnectedSocket c : clients) {
                    Async.await(c.close());
                }
                return null;
            });
            return during - before;
        } finally {
            closeServer();
        }
    }

    /** Seconds the last ping-pong actually ran. */
    private static double lastPingSeconds;

    /** @return CPU time (user and system) both shard threads have used so far: what the work cost, load or not. */
    private static long shardCpuNanos() throws Exception {
        long total = 0;
        for (int shard = 0; shard < 2; shard++) {
            total += smp.submitExternal(shard, () -> Future.ready(
                    java.lang.management.ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime()))
                    .get(10, TimeUnit.SECONDS);
        }
        return total;
    }

    private static String describe() throws Exception {
        return on(0, () -> ((IoUringBackend) Reactor.current().backend()).describe());
    }

    private static double median(List<Double> xs) {
        double[] a = xs.stream().mapToDouble(Double::doubleValue).toArray();
        Arrays.sort(a);
        return a.length == 0 ? 0 : a[a.length / 2];
    }

    private static void configure(String c) throws Exception {
        smp.invokeOnAllExternal(id -> {
            IoUringBackend b = (IoUringBackend) Reactor.current().backend();
            b.setReceiveStreams(!c.equals("single"));
            b.setZeroCopyThreshold(c.endsWith("+zc") ? 16 << 10 : 0);
            return Future.done();
        }).get(10, TimeUnit.SECONDS);
    }

    private static PosixStack stack() {
        return stacks[Shard.currentId()];
    }

    private static <T> CompletableFuture<T> start(int shard, Callable<T> body) {
        return smp.submitExternal(shard, () -> Async.run(body));
    }

    private static <T> T on(int shard, Callable<T> body) throws Exception {
        return start(shard, body).get(120, TimeUnit.SECONDS);
    }

    private static ServerSocket server;

    private static SocketAddress listen() throws Exception {
        return on(0, () -> {
            server = stack().listen(SocketAddress.of("127.0.0.1", 0), ListenOptions.defaults());
            return server.localAddress();
        });
    }

    private static void closeServer() throws Exception {
        on(0, () -> {
            server.close();
            return null;
        });
    }

    /** @return MiB/s from the client's connect to the server's end of stream. */
    private static double bulk(long total) throws Exception {
        SocketAddress at = listen();
        try {
            CompletableFuture<Long> received = start(0, () -> {
                ConnectedSocket s = Async.await(server.accept()).socket();
                long got = 0;
                for (;;) {
                    Buffer b = Async.await(s.input().read());
                    if (b.isEmpty()) {
                        break;
                    }
                    got += b.length();
                    b.release();
                }
                Async.await(s.close());
                return System.nanoTime();
            });
            long t0 = System.nanoTime();
            on(1, () -> {
                ConnectedSocket c = Async.await(stack().connect(at));
                long sent = 0;
                while (sent < total) {
                    int n = (int) Math.min(64 << 10, total - sent);
                    Async.await(c.output().write(Buffer.allocate(n)));
                    sent += n;
                }
                Async.await(c.output().close());
                Async.await(c.close());
                return null;
            });
            long t1 = received.get(120, TimeUnit.SECONDS);
            return total / (1024.0 * 1024.0) / ((t1 - t0) / 1e9);
        } finally {
            closeServer();
        }
    }

    /** @return round trips per second of 64-byte messages on one connection. */
    private static double ping(double seconds) throws Exception {
        SocketAddress at = listen();
        try {
            CompletableFuture<Void> echo = start(0, () -> {
                ConnectedSocket s = Async.await(server.accept()).socket();
                s.setNoDelay(true);
                for (;;) {
                    Buffer b = Async.await(s.input().read());
                    if (b.isEmpty()) {
                        break;
                    }
                    Async.await(s.output().write(b));
                    Async.await(s.output().flush());
                }
                Async.await(s.close());
                return null;
            });
            double rate = on(1, () -> {
                ConnectedSocket c = Async.await(stack().connect(at));
                c.setNoDelay(true);
                long deadline = System.nanoTime() + (long) (seconds * 1e9);
                long trips = 0;
                long t0 = System.nanoTime();
                while (System.nanoTime() < deadline) {
                    Async.await(c.output().write(Buffer.allocate(64)));
                    Async.await(c.output().flush());
                    int got = 0;
                    while (got < 64) {
                        Buffer b = Async.await(c.input().read());
                        got += b.length();
                        b.release();
                    }
                    trips++;
                }
                lastPingSeconds = (System.nanoTime() - t0) / 1e9;
                double r = trips / lastPingSeconds;
                Async.await(c.output().close());
                Async.await(c.input().read()).release();
                Async.await(c.close());
                return r;
            });
            echo.get(30, TimeUnit.SECONDS);
            return rate;
        } finally {
            closeServer();
        }
    }
}
