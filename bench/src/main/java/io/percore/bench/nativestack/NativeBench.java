package io.percore.bench.nativestack;

import io.percore.bench.Report;
import io.percore.bench.Stats;
import io.percore.bench.ServerProcess;
import io.percore.sys.Affinity;
import io.percore.sys.Tun;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * {@code ./percore bench native}: the same program, {@code percore echo}, on the native stack over a TAP device and on
 * the POSIX stack over a veth pair, measured in one run by the same client: the Linux kernel's TCP in a network
 * namespace of the bench's own.
 *
 * <p>Layout: namespace C holds the clients, the kernel side of TAP {@code pcb0} (192.168.83.1) and one end of a veth
 * pair (10.83.1.1). The native server runs in C on the TAP (192.168.83.2, {@code --network-stack native}); the POSIX
 * server runs in namespace S behind the other veth end (10.83.1.2). Each server is a child JVM with one shard, pinned
 * with {@code taskset} to CPU 0; the client threads are pinned to CPU 1. Both namespaces are deleted at the end, which
 * removes the TAP and the veth pair, and both servers are stopped, whatever happened.
 *
 * <p>Measured, in interleaved rounds (native, POSIX, native, ...; medians reported): 64-byte request/response on one
 * connection (round trips/s, p50/p99) and on 16 connections at once (round trips/s, and per server CPU-second from
 * /proc); bulk echo on one connection, 64 KiB writes (MiB/s each way, server CPU-seconds per GiB); and the server's
 * memory per open connection: after opening 1000 connections that each echoed a byte, the growth of the server's
 * RSS outside its pre-touched heap plus the growth of its live heap (after a full GC, by {@code jcmd}), divided by
 * 1000. Kernel socket memory of the POSIX server is in neither: the figure says what the process pays.
 */
public final class NativeBench {
    private static final String TAP = "pcb0";
    private static final String NATIVE_IP = "192.168.83.2";
    private static final String POSIX_IP = "10.83.1.2";
    private static final int PORT = 7000;
    private static final int MESSAGE = 64;
    private static final int CONNECTIONS = 16;

    private NativeBench() {}

    /** One stack's measurements from one round. */
    record Round(double rr1Rate, double rr1P50Us, double rr1P99Us, double rr16Rate, double rr16PerCpuSecond,
                 double bulkMiBs, double bulkCpuPerGiB) {}

    /**
     * Runs the comparison; {@code quick} runs one short round and few connections (proves the harness, not the
     * numbers). Non-shard thread.
     *
     * @throws IllegalStateException when something the bench needs is missing (root, /dev/net/tun, ip, taskset)
     */
    public static void run(boolean quick, Report report) throws Exception {
        checkNeeds();
        int rounds = quick ? 1 : 3;
        long millis = quick ? 200 : 3000;
        int memoryConnections = quick ? 50 : 1000;
        int cpus = Runtime.getRuntime().availableProcessors();
        int serverCpu = 0;
        int clientCpu = cpus > 1 ? 1 : 0;
        try (Namespaces ns = Namespaces.create(ProcessHandle.current().pid());
             ClientThreads clients = new ClientThreads(ns.clientPath(), clientCpu)) {
            report.line("servers: percore echo, 1 shard, pinned to CPU %d; clients: JDK sockets (kernel TCP) pinned to CPU %d",
                    serverCpu, clientCpu);
            report.line("native: TAP %s (multi-queue, vnet header) in namespace %s, server %s; posix: veth pair, server %s in %s",
                    TAP, ns.client, NATIVE_IP, POSIX_IP, ns.server);
            report.line("load average at the start: %s", loadAverage());
            // Both JVMs start at once (their start-up is most of a quick run); each is waited for below.
            try (Server nat = Server.launch(ns, "native", ns.client, serverCpu, List.of("--network-stack", "native",
                    "--tap-device", TAP, "--host-ipv4-addr", NATIVE_IP, "--gw-ipv4-addr", "192.168.83.1"));
                 Server pos = Server.launch(ns, "posix", ns.server, serverCpu, List.of())) {
                nat.awaitReady();
                pos.awaitReady();
                try {
                    measure(report, quick, rounds, millis, memoryConnections, clients, nat, pos);
                } catch (Exception e) {
                    // What the servers logged is the first thing to read when a measurement fails.
                    throw new IOException(e + "\n--- native server log (end)\n" + nat.tail() + "\n--- posix server log (end)\n"
                            + pos.tail(), e);
                }
            }
        }
    }

    private static void measure(Report report, boolean quick, int rounds, long millis, int memoryConnections,
                                ClientThreads clients, Server nat, Server pos) throws Exception {
        Server[] servers = {nat, pos};
        String[] ips = {NATIVE_IP, POSIX_IP};
        List<List<Round>> results = List.of(new ArrayList<>(), new ArrayList<>());
        // Warm both servers' JIT and the neighbour caches before the first measured round.
        for (int i = 0; i < 2 && !quick; i++) {
            pingPong(clients, ips[i], 1, 1500);
            bulk(clients, ips[i], 1000);
        }
        for (int r = 0; r < rounds; r++) {
            for (int i = 0; i < 2; i++) {
                Round one = round(clients, servers[i], ips[i], millis);
                results.get(i).add(one);
                report.line("round %d %-6s: 1 conn %8.0f rt/s p50 %6.1f us p99 %7.1f us | %d conns %8.0f rt/s %8.0f rt/CPU-s"
                                + " | bulk %7.1f MiB/s %5.2f CPU-s/GiB",
                        r + 1, servers[i].name, one.rr1Rate, one.rr1P50Us, one.rr1P99Us, CONNECTIONS, one.rr16Rate,
                        one.rr16PerCpuSecond, one.bulkMiBs, one.bulkCpuPerGiB);
            }
        }
        double[] memory = new double[2];
        for (int i = 0; i < 2; i++) {
            memory[i] = memoryPerConnection(clients, servers[i], ips[i], memoryConnections);
            report.line("%-6s: %.1f KiB of server memory per open connection (RSS outside the heap + live heap; %d"
                    + " connections)", servers[i].name, memory[i], memoryConnections);
        }
        report.line("load average at the end: %s (the machine is shared: rates swing with it; CPU per round"
                + " trip and p50 much less)", loadAverage());
        figures(report, results, memory);
    }

    private static void figures(Report report, List<List<Round>> results, double[] memory) {
        String[] names = {"native_tap", "posix_veth"};
        double[][] m = new double[2][];
        for (int i = 0; i < 2; i++) {
            List<Round> rs = results.get(i);
            m[i] = new double[] {
                    median(rs, Round::rr1Rate), median(rs, Round::rr1P50Us), median(rs, Round::rr1P99Us),
                    median(rs, Round::rr16Rate), median(rs, Round::rr16PerCpuSecond), median(rs, Round::bulkMiBs),
                    median(rs, Round::bulkCpuPerGiB)};
        }
        for (int i = 0; i < 2; i++) {
            String n = "echo_" + names[i];
            report.figure(n + "_rr_rate", m[i][0], "rt/s");
            report.figure(n + "_rr_p50", m[i][1], "us");
            report.figure(n + "_rr_p99", m[i][2], "us");
            report.figure(n + "_rr16_rate", m[i][3], "rt/s");
            report.figure(n + "_rr16_per_cpu_s", m[i][4], "rt/CPU-s");
            report.figure(n + "_bulk", m[i][5], "MiB/s");
            report.figure(n + "_bulk_cpu_per_gib", m[i][6], "CPU-s/GiB");
            report.figure(n + "_memory_per_conn", Math.max(memory[i], 0.01), "KiB");
        }
        // Ratios: above 1, the native stack on TAP is better than the POSIX stack on veth.
        report.figure("echo_native_vs_posix_rr_rate", m[0][0] / m[1][0], "x");
        report.figure("echo_native_vs_posix_rr16_rate", m[0][3] / m[1][3], "x");
        report.figure("echo_native_vs_posix_rr16_per_cpu_s", m[0][4] / m[1][4], "x");
        report.figure("echo_native_vs_posix_bulk", m[0][5] / m[1][5], "x");
    }

    private static double median(List<Round> rounds, java.util.function.ToDoubleFunction<Round> f) {
        return Stats.median(rounds.stream().mapToDouble(f).toArray());
    }

    private static Round round(ClientThreads clients, Server s, String ip, long millis) throws Exception {
        double[] rr1 = pingPong(clients, ip, 1, millis);
        long cpu0 = ServerProcess.cpuTicks(s.pid());
        double[] rr16 = pingPong(clients, ip, CONNECTIONS, millis);
        double rr16Cpu = (ServerProcess.cpuTicks(s.pid()) - cpu0) / (double) ServerProcess.clockTicks();
        cpu0 = ServerProcess.cpuTicks(s.pid());
        double[] bulk = bulk(clients, ip, millis);
        double bulkCpu = (ServerProcess.cpuTicks(s.pid()) - cpu0) / (double) ServerProcess.clockTicks();
        double gib = bulk[1] / (double) (1L << 30);
        return new Round(rr1[0], rr1[1], rr1[2], rr16[0], rr16Cpu > 0 ? rr16[3] / rr16Cpu : 0, bulk[0],
                gib > 0 ? bulkCpu / gib : 0);
    }

    /**
     * {@code connections} clients each send 64 bytes and wait for the echo, over and over, for {@code millis}.
     *
     * @return {round trips per second in all, p50 us, p99 us, round trips in all}
     */
    static double[] pingPong(ClientThreads clients, String ip, int connections, long millis) throws Exception {
        List<Future<long[]>> runs = new ArrayList<>();
        for (int c = 0; c < connections; c++) {
            runs.add(clients.submit(() -> {
                try (Socket s = connect(ip)) {
                    OutputStream out = s.getOutputStream();
                    InputStream in = s.getInputStream();
                    byte[] msg = new byte[MESSAGE];
                    byte[] back = new byte[MESSAGE];
                    long[] rtts = new long[1 << 16];
                    int n = 0;
                    long count = 0;
                    // Each connection's window starts once it is connected; at least one round trip is timed.
                    long t0 = System.nanoTime();
                    long end = t0 + millis * 1_000_000;
                    long now = t0;
                    do {
                        msg[0] = (byte) count;
                        out.write(msg);
                        if (in.readNBytes(back, 0, MESSAGE) != MESSAGE || back[0] != msg[0]) {
                            throw new IOException("echo from " + ip + " was short or wrong");
                        }
                        long t = System.nanoTime();
                        if (n == rtts.length) {
                            rtts = Arrays.copyOf(rtts, n * 2);
                        }
                        rtts[n++] = t - now;
                        now = t;
                        count++;
                    } while (now < end);
                    long[] result = Arrays.copyOf(rtts, n + 1);
                    result[n] = now - t0; // the elapsed time rides at the end
                    return result;
                }
            }));
        }
        long total = 0;
        double rate = 0;
        List<long[]> all = new ArrayList<>();
        for (Future<long[]> f : runs) {
            long[] r = f.get(millis + 60_000, TimeUnit.MILLISECONDS);
            int n = r.length - 1;
            total += n;
            rate += n / (r[n] / 1e9);
            all.add(Arrays.copyOf(r, n));
        }
        long[] merged = all.stream().flatMapToLong(Arrays::stream).sorted().toArray();
        if (merged.length == 0) {
            throw new IOException("no round trip completed with " + ip);
        }
        return new double[] {rate, merged[merged.length / 2] / 1e3, merged[(int) (merged.length * 0.99)] / 1e3, total};
    }

    /**
     * One connection: a thread writes 64 KiB blocks for {@code millis}, then shuts its side; another reads the echo to
     * end of stream.
     *
     * @return {MiB/s echoed, bytes echoed}
     */
    static double[] bulk(ClientThreads clients, String ip, long millis) throws Exception {
        // Connected from a client thread: only those are in namespace C (this thread is in the bench's own).
        try (Socket s = clients.submit(() -> connect(ip)).get(30, TimeUnit.SECONDS)) {
            long t0 = System.nanoTime();
            Future<Long> writer = clients.submit(() -> {
                byte[] block = new byte[64 << 10];
                long sent = 0;
                long end = t0 + millis * 1_000_000;
                OutputStream out = s.getOutputStream();
                while (System.nanoTime() < end) {
                    out.write(block);
                    sent += block.length;
                }
                s.shutdownOutput();
                return sent;
            });
            Future<Long> reader = clients.submit(() -> {
                byte[] buf = new byte[256 << 10];
                long got = 0;
                InputStream in = s.getInputStream();
                for (int n; (n = in.read(buf)) > 0; ) {
                    got += n;
                }
                return got;
            });
            long sent;
            long got;
            try {
                sent = writer.get(millis + 60_000, TimeUnit.MILLISECONDS);
                got = reader.get(60_000, TimeUnit.MILLISECONDS);
            } catch (java.util.concurrent.ExecutionException e) {
                throw new IOException("bulk echo with " + ip + " failed: " + e.getCause(), e.getCause());
            }
            double secs = (System.nanoTime() - t0) / 1e9;
            if (got != sent) {
                throw new IOException("bulk echo from " + ip + ": sent " + sent + " bytes, got " + got + " back");
            }
            return new double[] {got / secs / (1 << 20), got};
        }
    }

    /** Opens {@code n} connections that each echo one byte, then compares the server's RSS. @return KiB per connection */
    static double memoryPerConnection(ClientThreads clients, Server s, String ip, int n) throws Exception {
        List<Socket> open = java.util.Collections.synchronizedList(new ArrayList<>());
        try {
            // Settle first: a connection opened and closed, so first-use allocations are not counted per connection.
            clients.submit(() -> {
                try (Socket one = connect(ip)) {
                    one.getOutputStream().write(1);
                    one.getInputStream().read();
                }
                return null;
            }).get(30, TimeUnit.SECONDS);
            long heapBefore = liveHeapKb(s.pid());
            long before = ServerProcess.rssKb(s.pid());
            clients.submit(() -> {
                for (int i = 0; i < n; i++) {
                    Socket c = connect(ip);
                    open.add(c);
                    c.getOutputStream().write(i);
                    if (c.getInputStream().read() != (i & 0xff)) {
                        throw new IOException("connection " + i + " to " + ip + " did not echo");
                    }
                }
                return null;
            }).get(120, TimeUnit.SECONDS);
            long heapAfter = liveHeapKb(s.pid());
            long after = ServerProcess.rssKb(s.pid());
            // The heap is pre-touched (AlwaysPreTouch), so RSS grows only with memory outside it: percore's
            // pools, thread stacks, native buffers. Objects on the heap are counted by the live-heap difference.
            return ((after - before) + (heapAfter - heapBefore)) / (double) n;
        } finally {
            for (Socket c : open) {
                c.close();
            }
        }
    }

    private static final java.util.regex.Pattern HEAP_USED =
            java.util.regex.Pattern.compile("(?m)^\\S.*total \\d+K, used (\\d+)K");

    /** @return the server's live heap in KiB: a full GC ({@code jcmd GC.run}), then the used sizes of its generations. */
    static long liveHeapKb(long pid) throws Exception {
        jcmd(pid, "GC.run");
        String info = jcmd(pid, "GC.heap_info");
        java.util.regex.Matcher m = HEAP_USED.matcher(info);
        long used = 0;
        boolean any = false;
        while (m.find()) {
            used += Long.parseLong(m.group(1));
            any = true;
        }
        if (!any) {
            throw new IOException("cannot read jcmd GC.heap_info:\n" + info);
        }
        return used;
    }

    private static String jcmd(long pid, String command) throws Exception {
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
                Long.toString(pid), command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException("jcmd " + pid + " " + command + " failed: " + out);
        }
        return out;
    }

    private static Socket connect(String ip) throws IOException {
        Socket s = new Socket();
        s.setTcpNoDelay(true);
        s.connect(new InetSocketAddress(ip, PORT), 10_000);
        s.setSoTimeout(30_000);
        return s;
    }

    private static void checkNeeds() {
        List<String> missing = new ArrayList<>();
        if (!"root".equals(System.getProperty("user.name"))) {
            missing.add("root (it creates network namespaces and a TAP device)");
        }
        if (!Files.exists(Path.of("/dev/net/tun"))) {
            missing.add("/dev/net/tun");
        }
        if (!Files.isExecutable(Path.of("/usr/sbin/ip")) && !Files.isExecutable(Path.of("/sbin/ip"))) {
            missing.add("ip (Debian: apt-get install iproute2)");
        }
        if (!onPath("taskset")) {
            missing.add("taskset (Debian: apt-get install util-linux)");
        }
        if (!missing.isEmpty()) {
            throw new IllegalStateException("percore bench native needs " + String.join(" and ", missing)
                    + "; it installs nothing itself");
        }
    }

    private static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).split(" ");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (IOException e) {
            return "unknown";
        }
    }

    private static boolean onPath(String program) {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
            if (Files.isExecutable(Path.of(dir, program))) {
                return true;
            }
        }
        return false;
    }

    /** The two namespaces, the TAP and the veth pair; {@link #close()} deletes them all. */
    static final class Namespaces implements AutoCloseable {
        final String client;
        final String server;
        private final List<String> created = new ArrayList<>();
        /** Processes running inside the namespaces: ended before the namespaces go, should the bench be cut short. */
        private final List<Process> inside = new ArrayList<>();
        /**
         * Ends the servers and deletes the namespaces when the bench is interrupted (SIGINT/SIGTERM run shutdown
         * hooks, not finally blocks).
         */
        private final Thread onExit = new Thread(this::close, "bench-native-cleanup");

        private Namespaces(long id) {
            this.client = "pcbc" + id;
            this.server = "pcbs" + id;
        }

        static Namespaces create(long id) throws Exception {
            Namespaces ns = new Namespaces(id);
            Runtime.getRuntime().addShutdownHook(ns.onExit);
            try {
                ns.add(ns.client);
                ns.add(ns.server);
                ip(ns.client, "link", "set", "lo", "up");
                ip(ns.server, "link", "set", "lo", "up");
                // Persistent, multi-queue, virtio-net header: what the native server opens with one queue per shard.
                ip(ns.client, "tuntap", "add", "dev", TAP, "mode", "tap", "multi_queue", "vnet_hdr");
                ip(ns.client, "link", "set", TAP, "up");
                ip(ns.client, "addr", "add", "192.168.83.1/24", "dev", TAP);
                ip(ns.client, "link", "add", "pcbv0", "type", "veth", "peer", "name", "pcbv1", "netns", ns.server);
                ip(ns.client, "addr", "add", "10.83.1.1/24", "dev", "pcbv0");
                ip(ns.client, "link", "set", "pcbv0", "up");
                ip(ns.server, "addr", "add", POSIX_IP + "/24", "dev", "pcbv1");
                ip(ns.server, "link", "set", "pcbv1", "up");
                return ns;
            } catch (Exception e) {
                ns.close();
                throw e;
            }
        }

        /** Records a process started in a namespace, so that {@link #close()} ends it if it still runs. */
        synchronized void started(Process p) {
            inside.add(p);
        }

        String clientPath() {
            return "/var/run/netns/" + client;
        }

        private void add(String name) throws Exception {
            run(List.of("ip", "netns", "add", name));
            created.add(name);
        }

        private static void ip(String ns, String... args) throws Exception {
            List<String> cmd = new ArrayList<>(List.of("ip", "-n", ns));
            cmd.addAll(List.of(args));
            run(cmd);
        }

        private static void run(List<String> cmd) throws Exception {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(20, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IOException(String.join(" ", cmd) + " failed: " + out.strip());
            }
        }

        @Override
        public synchronized void close() {
            if (Thread.currentThread() != onExit) {
                try {
                    Runtime.getRuntime().removeShutdownHook(onExit);
                } catch (IllegalStateException e) {
                    // The JVM is exiting: the hook runs close() too, and finds nothing left to delete.
                }
            }
            for (Process p : inside) {
                p.destroy();
            }
            for (Process p : inside) {
                try {
                    if (!p.waitFor(10, TimeUnit.SECONDS)) {
                        p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
                    }
                } catch (InterruptedException e) {
                    p.destroyForcibly();
                    Thread.currentThread().interrupt();
                }
            }
            inside.clear();
            // Deleting a namespace deletes the TAP and the veth end inside it (and with it the peer end).
            for (String name : created) {
                try {
                    run(List.of("ip", "netns", "del", name));
                } catch (Exception e) {
                    System.err.println("percore bench native: could not delete namespace " + name + ": " + e.getMessage());
                }
            }
            created.clear();
        }
    }

    /** Client threads: each enters namespace C and pins itself to the client CPU before its first task. */
    static final class ClientThreads implements AutoCloseable {
        private final ExecutorService pool;

        ClientThreads(String namespacePath, int cpu) {
            this.pool = Executors.newCachedThreadPool(r -> {
                Thread t = new Thread(() -> {
                    Tun.enterNetworkNamespace(namespacePath);
                    Affinity.pinTo(cpu);
                    r.run();
                }, "bench-client");
                t.setDaemon(true);
                return t;
            });
        }

        <T> Future<T> submit(Callable<T> task) {
            return pool.submit(task);
        }

        @Override
        public void close() {
            pool.shutdownNow();
        }
    }

    /** A {@code percore echo} child JVM with one shard, in a namespace, pinned to one CPU. */
    static final class Server implements AutoCloseable {
        final String name;
        private final Process process;
        private final Path log;

        private Server(String name, Process process, Path log) {
            this.name = name;
            this.process = process;
            this.log = log;
        }

        /** Starts the server; {@link #awaitReady()} waits for it to serve. The caller closes it. */
        static Server launch(Namespaces ns, String name, String namespace, int cpu, List<String> extra) throws Exception {
            List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", namespace, "taskset", "-c",
                    Integer.toString(cpu), Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "--enable-native-access=ALL-UNNAMED", "--add-exports", "java.base/jdk.internal.vm=ALL-UNNAMED",
                    "-XX:+UseParallelGC", "-Xms256m", "-Xmx256m", "-XX:+AlwaysPreTouch", "-Dorg.slf4j.simpleLogger.defaultLogLevel=info",
                    "-cp", System.getProperty("java.class.path"), "io.percore.apps.Main", "echo",
                    "--port", Integer.toString(PORT), "--smp", "1", "--cpuset", Integer.toString(cpu), "--memory", "512M"));
            cmd.addAll(extra);
            Path log = Files.createTempFile("percore-bench-native-" + name, ".log");
            // ip netns exec and taskset both exec: the process's pid is the JVM's, for /proc and signals.
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            ns.started(p);
            return new Server(name, p, log);
        }

        /** Waits (at most 60 s) for the server's "serving" line. @throws IOException with its log when it does not come */
        void awaitReady() throws Exception {
            long end = System.nanoTime() + 60_000_000_000L;
            while (System.nanoTime() < end) {
                if (Files.readString(log).contains("echo: TCP and UDP on")) {
                    return;
                }
                if (!process.isAlive()) {
                    break;
                }
                Thread.sleep(50);
            }
            throw new IOException("the " + name + " echo server did not start:\n" + Files.readString(log));
        }

        long pid() {
            return process.pid();
        }

        /** @return the last 40 lines the server logged, stack frames left out. */
        String tail() {
            try {
                List<String> lines = Files.readAllLines(log).stream().filter(l -> !l.startsWith("\tat ")).toList();
                return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
            } catch (IOException e) {
                return "(log unreadable: " + e.getMessage() + ")";
            }
        }

        @Override
        public void close() throws Exception {
            process.destroy(); // SIGTERM: an orderly stop
            if (!process.waitFor(15, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
            Files.deleteIfExists(log);
        }
    }
}
