package io.percore.bench.tcp;

import io.percore.bench.Report;
import io.percore.bench.ServerProcess;
import io.percore.bench.Stats;
import io.percore.reactor.ReactorBackends;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code ./percore bench tcp}: TCP request/response — 64 connections each doing 64-byte ping-pong — against
 * percore's echo server on one shard with each reactor backend this build has, and against a Netty 4.2 echo server
 * on its epoll and io_uring transports, all in one run with the same pinning.
 *
 * <p>Each server is a child JVM (the same flags for all, see {@link ServerProcess}) pinned with {@code taskset} to
 * CPU 0; all start together and sleep while another is measured. Each has its own load generator
 * ({@link TcpLoadClient}, one NIO thread, the same program for every server), a child JVM pinned to CPU 1. Per
 * server: a warm-up, then measured rounds, the servers taking turns so that the machine's noise falls on all alike
 * (requests/s, p50/p99 round trip, and the server's CPU time — utime + stime from {@code /proc/PID/stat} across the
 * round — per request; figures are medians over the rounds), then a short traced run under
 * {@code strace -c -f -p PID}: the system calls the whole server process made, divided by the requests served
 * meanwhile (an io_uring submission is an {@code io_uring_enter} and counts as one). strace slows the server, so
 * that run is not timed. The bench installs nothing: without {@code taskset} it stops and says so; without
 * {@code strace} it says so and leaves out the system-call figures. The system property
 * {@code percore.bench.tcp.only} (figure names joined by commas, e.g. {@code percore_epoll,netty_epoll}) measures
 * only those servers ({@code PERCORE_JAVA_OPTS=-Dpercore.bench.tcp.only=... ./percore bench tcp}); the property
 * {@code percore.bench.tcp.percore-args} adds options to percore's echo server (space-separated; e.g. {@code --idle-poll-time-us=0}).
 */
public final class TcpBench {
    /** Connections of the load generator. */
    public static final int CONNECTIONS = 64;
    /** Bytes of each request (and echo). */
    public static final int SIZE = 64;

    private TcpBench() {}

    /**
     * How long each phase runs: per server a warm-up, then {@code rounds} measured runs of {@code measureMillis} each,
     * the servers taking turns (round-robin, a different server first each round), then one traced run.
     */
    record Timing(long warmMillis, int rounds, long measureMillis, long traceMillis) {
        static Timing of(boolean quick) {
            return quick ? new Timing(300, 2, 500, 500) : new Timing(800, 5, 1000, 800);
        }
    }

    /** A server to measure: a name for figures, a label for people, its main class with arguments (PORT replaced). */
    record Server(String name, String label, List<String> mainAndArgs) {}

    /** One measured run: what the load generator counted, and the server's CPU time over it (all, and user). */
    record Run(long requests, double seconds, double p50us, double p99us, double cpuSeconds, double userSeconds) {
        double rps() {
            return requests / seconds;
        }

        double requestsPerCpuSecond() {
            return cpuSeconds > 0 ? requests / cpuSeconds : 0;
        }
    }

    /** The system calls of the traced run: total, and per name. */
    record Syscalls(long requests, long total, Map<String, Long> byName) {
        double perRequest() {
            return requests > 0 ? (double) total / requests : 0;
        }
    }

    /** What one server gave: its measured rounds, and its system calls (null when strace is missing or failed). */
    record Result(Server server, List<Run> rounds, Syscalls syscalls) {
        double rps() {
            return median(Run::rps);
        }

        double p50us() {
            return median(Run::p50us);
        }

        double p99us() {
            return median(Run::p99us);
        }

        double requestsPerCpuSecond() {
            return median(Run::requestsPerCpuSecond);
        }

        /** @return requests over all measured rounds */
        long requests() {
            return rounds.stream().mapToLong(Run::requests).sum();
        }

        /** @return the server's CPU seconds over all measured rounds */
        double cpuSeconds() {
            return rounds.stream().mapToDouble(Run::cpuSeconds).sum();
        }

        /** @return the part of the server's CPU time spent in user mode, over all measured rounds */
        double userShare() {
            double cpu = cpuSeconds();
            return cpu > 0 ? rounds.stream().mapToDouble(Run::userSeconds).sum() / cpu : 0;
        }

        private double median(java.util.function.ToDoubleFunction<Run> f) {
            return Stats.median(rounds.stream().mapToDouble(f).toArray());
        }
    }

    /**
     * Runs the comparison. Call from a non-shard thread.
     *
     * @throws IllegalStateException when taskset is missing (the message says how to get it)
     */
    public static void run(boolean quick, Report report) throws Exception {
        List<Server> servers = servers();
        String only = System.getProperty("percore.bench.tcp.only");
        if (only != null) {
            List<String> names = List.of(only.split(","));
            servers.removeIf(s -> !names.contains(s.name()));
        }
        run(servers, Timing.of(quick), report);
    }

    /** @return every server of the comparison: percore on each backend of this build, then Netty epoll and io_uring. */
    static List<Server> servers() {
        List<Server> servers = new ArrayList<>();
        for (String backend : ReactorBackends.AVAILABLE) {
            servers.add(percore(backend));
        }
        servers.add(new Server("netty_epoll", "Netty 4.2 epoll", List.of(NettyEchoServer.class.getName(), "PORT", "epoll")));
        servers.add(new Server("netty_io_uring", "Netty 4.2 io_uring",
                List.of(NettyEchoServer.class.getName(), "PORT", "io_uring")));
        return servers;
    }

    /** @return percore's echo app ({@code ./percore echo}) on one shard pinned to CPU 0 with {@code backend}. */
    static Server percore(String backend) {
        List<String> args = new ArrayList<>(List.of("io.percore.apps.Main", "echo", "--port", "PORT", "--smp", "1",
                "--cpuset", "0", "--memory", "256M", "--reactor-backend", backend));
        String extra = System.getProperty("percore.bench.tcp.percore-args", "").strip();
        if (!extra.isEmpty()) {
            args.addAll(List.of(extra.split("\\s+")));
        }
        return new Server("percore_" + backend.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "_"),
                "percore echo (" + backend + ", 1 shard" + (extra.isEmpty() ? "" : ", " + extra) + ")", List.copyOf(args));
    }

    /**
     * Starts {@code servers} (all pinned to CPU 0, idle while another is measured) and a load generator for each,
     * measures them in interleaved rounds, traces each, prints a table and records the figures (medians over the
     * rounds).
     *
     * @return what each server that started gave, in order
     */
    static List<Result> run(List<Server> servers, Timing timing, Report report) throws Exception {
        if (!ServerProcess.onPath("taskset")) {
            throw new IllegalStateException("percore bench tcp needs taskset (Debian: apt-get install util-linux); it installs nothing itself");
        }
        boolean strace = ServerProcess.onPath("strace");
        int cpus = Runtime.getRuntime().availableProcessors();
        String clientCpu = cpus > 1 ? "1" : "0";
        report.line("%d connections x %d-byte ping-pong from one NIO thread pinned to CPU %s; every server pinned to CPU 0;"
                        + " %.1f s warm-up each, then %d rounds of %.1f s per server, taking turns (medians)%s", CONNECTIONS,
                SIZE, clientCpu, timing.warmMillis() / 1e3, timing.rounds(), timing.measureMillis() / 1e3,
                strace ? String.format(Locale.ROOT, ", then %.1f s each under strace -c -f for system calls per request",
                        timing.traceMillis() / 1e3)
                        : "; strace is not installed (Debian: apt-get install strace), so no system-call figures");
        long t0 = System.nanoTime();
        List<Measured> live = new ArrayList<>();
        List<Result> results = new ArrayList<>();
        try {
            // All start at once, servers and load generators (which wait for their server to listen): the JVM
            // start-ups overlap, and each server then sleeps until its turn.
            for (Server s : servers) {
                Measured m = new Measured(s, ServerProcess.start("0", s.mainAndArgs()));
                live.add(m);
                m.client = LoadClient.spawn(clientCpu, m.server.port());
            }
            for (Measured m : List.copyOf(live)) {
                if (!m.server.awaitPort(60_000)) {
                    report.line("%s: did not start (%s)", m.spec.label(), m.server.tail());
                    m.close();
                    live.remove(m);
                } else {
                    m.client.awaitReady();
                }
            }
            report.line("%d server(s) and their load generators up after %.1f s", live.size(), (System.nanoTime() - t0) / 1e9);
            for (Measured m : live) {
                m.client.run(timing.warmMillis());
            }
            for (int round = 0; round < timing.rounds(); round++) {
                for (int i = 0; i < live.size(); i++) {
                    Measured m = live.get((i + round) % live.size());
                    m.rounds.add(m.measure(timing.measureMillis()));
                }
            }
            for (Measured m : live) {
                Syscalls sys = strace ? traced(m.server.pid(), m.client, timing.traceMillis(), report, m.spec.label()) : null;
                Result r = new Result(m.spec, List.copyOf(m.rounds), sys);
                results.add(r);
                report.line("%-34s %9.0f req/s  p50 %7.1f us  p99 %7.1f us  %9.0f req/CPU-s  (%.0f%% user)%s", m.spec.label(),
                        r.rps(), r.p50us(), r.p99us(), r.requestsPerCpuSecond(), 100 * r.userShare(),
                        sys == null ? "" : "  " + describe(sys));
            }
        } finally {
            for (Measured m : live) {
                m.close();
            }
        }

        report.line("");
        report.line("%-34s %10s %9s %9s %11s %10s", "server (medians of " + timing.rounds() + " rounds)", "req/s", "p50 us",
                "p99 us", "req/CPU-s", "syscalls/req");
        for (Result r : results) {
            report.line("%-34s %10.0f %9.1f %9.1f %11.0f %10s", r.server().label(), r.rps(), r.p50us(), r.p99us(),
                    r.requestsPerCpuSecond(),
                    r.syscalls() == null ? "-" : String.format(Locale.ROOT, "%.2f", r.syscalls().perRequest()));
        }
        for (Result r : results) {
            String n = "tcp_" + r.server().name();
            report.figure(n + "_rps", r.rps(), "req/s");
            report.figure(n + "_p50", r.p50us(), "us");
            report.figure(n + "_p99", r.p99us(), "us");
            report.figure(n + "_req_per_cpu_s", r.requestsPerCpuSecond(), "req/CPU-s");
            if (r.syscalls() != null) {
                report.figure(n + "_syscalls_per_req", r.syscalls().perRequest(), "syscalls/req");
            }
        }
        ratio(report, results, "req_per_cpu_s", Result::requestsPerCpuSecond);
        ratio(report, results, "rps", Result::rps);
        return results;
    }

    /** Best percore backend against the best Netty transport: above 1, percore is better. */
    private static void ratio(Report report, List<Result> results, String what, java.util.function.ToDoubleFunction<Result> f) {
        double ours = 0;
        double netty = 0;
        for (Result r : results) {
            double v = f.applyAsDouble(r);
            if (r.server().name().startsWith("percore_")) {
                ours = Math.max(ours, v);
            } else if (r.server().name().startsWith("netty_")) {
                netty = Math.max(netty, v);
            }
        }
        if (ours > 0 && netty > 0) {
            report.figure("tcp_percore_vs_netty_" + what, ours / netty, "x");
        }
    }

    /** A server under measurement: its process, its load generator, its rounds so far. */
    private static final class Measured implements AutoCloseable {
        final Server spec;
        final ServerProcess server;
        LoadClient client;
        final List<Run> rounds = new ArrayList<>();

        Measured(Server spec, ServerProcess server) {
            this.spec = spec;
            this.server = server;
        }

        /** One measured round: the load generator's run, and the server's CPU time across it. */
        Run measure(long millis) throws Exception {
            long cpu0 = server.cpuTicks();
            long user0 = server.userTicks();
            Run run = client.run(millis);
            long cpu1 = server.cpuTicks();
            long user1 = server.userTicks();
            double hz = ServerProcess.clockTicks();
            return new Run(run.requests(), run.seconds(), run.p50us(), run.p99us(), (cpu1 - cpu0) / hz, (user1 - user0) / hz);
        }

        @Override
        public void close() throws Exception {
            try {
                if (client != null) {
                    client.close();
                }
            } finally {
                server.close();
            }
        }
    }

    /** @return "4.02 syscalls/req: recvfrom 1.00, sendto 1.00, …" — the five most frequent calls per request. */
    static String describe(Syscalls sys) {
        StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "%.2f syscalls/req:", sys.perRequest()));
        sys.byName().entrySet().stream()
                .sorted((a, c) -> Long.compare(c.getValue(), a.getValue()))
                .limit(5)
                .forEach(e -> b.append(String.format(Locale.ROOT, " %s %.2f", e.getKey(),
                        (double) e.getValue() / Math.max(1, sys.requests()))));
        return b.toString();
    }

    /**
     * One run with {@code strace -c -f} attached to every thread of the server. @return its counts, or null (with a
     * line saying why) when strace could not attach or printed no summary
     */
    private static Syscalls traced(long pid, LoadClient client, long millis, Report report, String label)
            throws Exception {
        Path out = Files.createTempFile("percore-bench-strace", ".txt");
        // Not pinned: strace runs at every system call of the server, and on the load generator's CPU it would
        // starve the load generator.
        Process st = new ProcessBuilder("strace", "-c", "-f", "-o", out.toString(), "-p", Long.toString(pid))
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        try {
            BufferedReader err = new BufferedReader(new InputStreamReader(st.getErrorStream(), StandardCharsets.UTF_8));
            String first = err.readLine();
            if (first == null || !first.contains("attached")) {
                report.line("%s: strace did not attach (%s)", label, first);
                return null;
            }
            // "attached with N threads": -f has attached every thread. Drain what else strace says, so a full
            // pipe never stops it.
            Thread drain = Thread.ofPlatform().daemon().start(() -> {
                try {
                    while (err.readLine() != null) {
                        // discard
                    }
                } catch (IOException e) {
                    // strace ended
                }
            });
            Run run = client.run(millis);
            st.destroy(); // SIGTERM: strace detaches and writes its summary
            if (!st.waitFor(20, TimeUnit.SECONDS)) {
                report.line("%s: strace did not stop", label);
                return null;
            }
            drain.join(5_000);
            if (run.requests() < 100) {
                report.line("%s: only %d request(s) served under strace, too few to count system calls per request", label,
                        run.requests());
                return null;
            }
            Syscalls sys = parseStraceSummary(Files.readString(out), run.requests());
            if (sys == null) {
                report.line("%s: strace printed no summary", label);
            }
            return sys;
        } finally {
            if (st.isAlive()) {
                st.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
            Files.deleteIfExists(out);
        }
    }

    /**
     * Reads the table {@code strace -c} prints: a header, one row per system call ({@code % time, seconds,
     * usecs/call, calls, errors, syscall}, the errors column empty when there were none) and a {@code total} row
     * (whose usecs/call column older strace versions leave out, so the total is summed from the rows).
     *
     * @return the counts, or null when the text has no total row (strace did not finish its summary)
     */
    static Syscalls parseStraceSummary(String text, long requests) {
        Map<String, Long> byName = new LinkedHashMap<>();
        boolean complete = false;
        long total = 0;
        for (String line : text.split("\\R")) {
            String[] f = line.strip().split("\\s+");
            if (f.length < 4 || !f[0].matches("[0-9.]+") || !f[1].matches("[0-9.]+")) {
                continue;
            }
            String name = f[f.length - 1];
            if (name.equals("total")) {
                complete = true;
            } else if (f.length >= 5 && f[3].matches("[0-9]+")) {
                long calls = Long.parseLong(f[3]);
                byName.merge(name, calls, Long::sum);
                total += calls;
            }
        }
        return complete ? new Syscalls(requests, total, byName) : null;
    }

    /** The load generator's process: {@link TcpLoadClient} in its own pinned JVM, driven line by line. */
    private static final class LoadClient implements AutoCloseable {
        private static final Pattern RESULT =
                Pattern.compile("result requests=(\\d+) nanos=(\\d+) p50us=([0-9.]+) p99us=([0-9.]+)");
        private final Process process;
        private final BufferedReader out;
        private final PrintWriter in;
        /** Connected and reading commands; until then it does not read "quit", so close kills it. */
        private boolean ready;

        private LoadClient(Process process) {
            this.process = process;
            this.out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.US_ASCII));
            this.in = new PrintWriter(process.getOutputStream(), true, StandardCharsets.US_ASCII);
        }

        /** Starts the load generator pinned to {@code cpu}; it connects to 127.0.0.1:{@code port}. */
        static LoadClient spawn(String cpu, int port) throws IOException {
            List<String> cmd = new ArrayList<>(List.of("taskset", "-c", cpu));
            cmd.addAll(ServerProcess.javaCommand());
            cmd.addAll(List.of(TcpLoadClient.class.getName(), "127.0.0.1", Integer.toString(port),
                    Integer.toString(CONNECTIONS), Integer.toString(SIZE)));
            return new LoadClient(new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start());
        }

        /** Waits until every connection is open. */
        void awaitReady() throws IOException {
            String first = out.readLine();
            if (!"ready".equals(first)) {
                throw new IOException("the load generator did not connect (" + first + "; its error is above)");
            }
            ready = true;
        }

        /** Runs the ping-pong for {@code millis}. @return its requests, seconds and latencies (no CPU time yet) */
        Run run(long millis) throws IOException {
            in.println("run " + millis);
            String line = out.readLine();
            Matcher m = line == null ? null : RESULT.matcher(line);
            if (m == null || !m.matches()) {
                throw new IOException("the load generator failed (" + line + "; its error is above)");
            }
            return new Run(Long.parseLong(m.group(1)), Long.parseLong(m.group(2)) / 1e9, Double.parseDouble(m.group(3)),
                    Double.parseDouble(m.group(4)), 0, 0);
        }

        @Override
        public void close() throws InterruptedException {
            in.println("quit");
            if (!ready || !process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
    }
}
