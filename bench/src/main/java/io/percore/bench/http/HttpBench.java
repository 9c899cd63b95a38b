package io.percore.bench.http;

import io.percore.bench.Report;
import io.percore.bench.ServerProcess;
import io.percore.reactor.ReactorBackends;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code ./percore bench http}: wrk against percore httpd and its peers, all in one run with the same pinning.
 *
 * <p>Each server is a child JVM (the same heap flags for all) pinned with {@code taskset} to CPU 0; wrk runs pinned to
 * CPU 1 with one thread and 64 connections: a warm-up, then a plain run ({@code GET /} answered "Hello, World!"),
 * then a pipelined run (16 requests per connection per write, a wrk Lua script). Servers: percore httpd on one shard
 * with each reactor backend this build has; Netty 4.2 (TechEmpower style) on epoll and io_uring; Vert.x 5; the JDK's
 * HttpServer. Last, percore with two shards on both CPUs, wrk sharing them. For each run: requests per second,
 * p50/p99 latency, the server's RSS after the run, and its CPU time (utime + stime from /proc/PID/stat across the
 * measured run) per request — on two cores wrk nears saturation, so requests per server CPU-second is what separates
 * servers. The bench installs nothing: it stops and says what is missing (wrk, taskset).
 */
public final class HttpBench {
    private HttpBench() {}

    /** One measured wrk run. */
    record Run(long requests, double rps, double p50ms, double p99ms, double cpuSeconds, long rssKb) {
        double requestsPerCpuSecond() {
            return cpuSeconds > 0 ? requests / cpuSeconds : 0;
        }
    }

    /** A server to measure: a name for figures and its main class with arguments (PORT is replaced). */
    private record Server(String name, String label, List<String> mainAndArgs) {}

    /**
     * Runs the comparison. Call from a non-shard thread.
     *
     * @throws IllegalStateException when a tool is missing (the message says which and how to get it)
     */
    public static void run(boolean quick, Report report) throws Exception {
        List<String> missing = new ArrayList<>();
        if (!ServerProcess.onPath("wrk")) {
            missing.add("wrk (Debian: apt-get install wrk)");
        }
        if (!ServerProcess.onPath("taskset")) {
            missing.add("taskset (Debian: apt-get install util-linux)");
        }
        if (!missing.isEmpty()) {
            throw new IllegalStateException("percore bench http needs " + String.join(" and ", missing) + "; it installs nothing itself");
        }
        int cpus = Runtime.getRuntime().availableProcessors();
        String serverCpu = "0";
        String wrkCpu = cpus > 1 ? "1" : "0";
        int seconds = quick ? 2 : 10;
        int warm = quick ? 1 : 4;
        report.line("wrk -t1 -c64 -d%ds (pinned to CPU %s) against each server (pinned to CPU %s), %d s warm-up; pipelined: 16 requests per write",
                seconds, wrkCpu, serverCpu, warm);
        Path lua = Files.createTempFile("percore-pipeline", ".lua");
        Files.writeString(lua, """
                -- 16 GET / per write: the pipelined run of ./percore bench http
                init = function(args)
                  local n = tonumber(args[1]) or 16
                  local r = {}
                  for i = 1, n do r[i] = wrk.format(nil, "/") end
                  req = table.concat(r)
                end
                request = function() return req end
                """);
        List<Server> servers = new ArrayList<>();
        for (String backend : ReactorBackends.AVAILABLE) {
            servers.add(new Server("percore_" + figureWord(backend), "percore httpd (" + backend + ", 1 shard)",
                    List.of("io.percore.apps.Main", "httpd", "--port", "PORT", "--address", "127.0.0.1", "--smp", "1",
                            "--cpuset", serverCpu, "--memory", "256M", "--reactor-backend", backend)));
        }
        servers.add(new Server("netty_epoll", "Netty 4.2 epoll", List.of(NettyPlaintextServer.class.getName(), "PORT", "epoll")));
        servers.add(new Server("netty_io_uring", "Netty 4.2 io_uring", List.of(NettyPlaintextServer.class.getName(), "PORT", "io_uring")));
        servers.add(new Server("vertx", "Vert.x 5", List.of(VertxPlaintextServer.class.getName(), "PORT")));
        servers.add(new Server("jdk", "JDK HttpServer", List.of(JdkPlaintextServer.class.getName(), "PORT")));

        Map<String, Run[]> results = new LinkedHashMap<>();
        Map<String, String> labels = new LinkedHashMap<>();
        try {
            for (Server s : servers) {
                Run[] r = measure(s, serverCpu, wrkCpu, seconds, warm, lua, report);
                if (r != null) {
                    results.put(s.name(), r);
                    labels.put(s.name(), s.label());
                }
            }
            Server two = new Server("percore_smp2", "percore httpd (epoll, 2 shards, wrk on the same CPUs)",
                    List.of("io.percore.apps.Main", "httpd", "--port", "PORT", "--address", "127.0.0.1", "--smp", "2",
                            "--memory", "512M"));
            String both = cpus > 1 ? "0,1" : "0";
            Run[] r2 = measure(two, both, both, seconds, warm, lua, report);
            if (r2 != null) {
                results.put(two.name(), r2);
                labels.put(two.name(), two.label());
            }
        } finally {
            Files.deleteIfExists(lua);
        }

        report.line("");
        report.line("%-48s %10s %8s %8s %10s %7s | %11s %10s", "server", "req/s", "p50 ms", "p99 ms", "req/CPU-s", "RSS MB",
                "pipe req/s", "pipe req/CPU-s");
        for (Map.Entry<String, Run[]> e : results.entrySet()) {
            Run p = e.getValue()[0];
            Run q = e.getValue()[1];
            report.line("%-48s %10.0f %8.2f %8.2f %10.0f %7.0f | %11.0f %10.0f", labels.get(e.getKey()), p.rps(), p.p50ms(),
                    p.p99ms(), p.requestsPerCpuSecond(), p.rssKb() / 1024.0, q.rps(), q.requestsPerCpuSecond());
        }
        for (Map.Entry<String, Run[]> e : results.entrySet()) {
            String n = e.getKey();
            Run p = e.getValue()[0];
            Run q = e.getValue()[1];
            report.figure("http_" + n + "_rps", p.rps(), "req/s");
            report.figure("http_" + n + "_p50", p.p50ms(), "ms");
            report.figure("http_" + n + "_p99", p.p99ms(), "ms");
            report.figure("http_" + n + "_req_per_cpu_s", p.requestsPerCpuSecond(), "req/CPU-s");
            report.figure("http_" + n + "_rss", p.rssKb() / 1024.0, "MiB");
            report.figure("http_" + n + "_pipelined_rps", q.rps(), "req/s");
            report.figure("http_" + n + "_pipelined_req_per_cpu_s", q.requestsPerCpuSecond(), "req/CPU-s");
        }
        ratio(report, results, "req_per_cpu_s", r -> r[0].requestsPerCpuSecond());
        ratio(report, results, "rps", r -> r[0].rps());
        ratio(report, results, "pipelined_req_per_cpu_s", r -> r[1].requestsPerCpuSecond());
        ratio(report, results, "pipelined_rps", r -> r[1].rps());
    }

    /** Best one-shard percore against the best Netty transport: above 1, percore is better. */
    private static void ratio(Report report, Map<String, Run[]> results, String what, java.util.function.ToDoubleFunction<Run[]> f) {
        double ours = 0;
        double netty = 0;
        for (Map.Entry<String, Run[]> e : results.entrySet()) {
            double v = f.applyAsDouble(e.getValue());
            if (e.getKey().startsWith("percore_") && !e.getKey().equals("percore_smp2")) {
                ours = Math.max(ours, v);
            } else if (e.getKey().startsWith("netty_")) {
                netty = Math.max(netty, v);
            }
        }
        if (ours > 0 && netty > 0) {
            report.figure("http_percore_vs_netty_" + what, ours / netty, "x");
        }
    }

    private static String figureWord(String s) {
        return s.toLowerCase(java.util.Locale.ROOT).replaceAll("[^a-z0-9]+", "_");
    }

    /** Starts a server, warms it, runs wrk plain and pipelined, stops it. @return {plain, pipelined}, or null if it could not start */
    private static Run[] measure(Server s, String serverCpus, String wrkCpus, int seconds, int warm, Path lua, Report report)
            throws Exception {
        try (ServerProcess p = ServerProcess.start(serverCpus, s.mainAndArgs())) {
            int port = p.port();
            if (!p.awaitPort(30_000)) {
                report.line("%s: did not start (%s)", s.label(), p.tail());
                return null;
            }
            wrk(wrkCpus, port, warm, null);
            Run plain = measured(p.pid(), wrkCpus, port, seconds, null);
            wrk(wrkCpus, port, Math.max(1, warm / 2), lua);
            Run pipelined = measured(p.pid(), wrkCpus, port, seconds, lua);
            report.line("%-48s %9.0f req/s  p50 %6.2f ms  p99 %6.2f ms  %8.0f req/CPU-s | pipelined %9.0f req/s  %8.0f req/CPU-s",
                    s.label(), plain.rps(), plain.p50ms(), plain.p99ms(), plain.requestsPerCpuSecond(), pipelined.rps(),
                    pipelined.requestsPerCpuSecond());
            return new Run[] {plain, pipelined};
        }
    }

    private static Run measured(long pid, String wrkCpus, int port, int seconds, Path lua) throws Exception {
        long cpu0 = ServerProcess.cpuTicks(pid);
        String out = wrk(wrkCpus, port, seconds, lua);
        long cpu1 = ServerProcess.cpuTicks(pid);
        long rss = ServerProcess.rssKb(pid);
        return parse(out, (cpu1 - cpu0) / (double) ServerProcess.clockTicks(), rss);
    }

    private static String wrk(String cpus, int port, int seconds, Path lua) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("taskset", "-c", cpus, "wrk", "-t1", "-c64", "-d" + seconds + "s", "--latency"));
        if (lua != null) {
            cmd.addAll(List.of("-s", lua.toString()));
        }
        cmd.add("http://127.0.0.1:" + port + "/");
        if (lua != null) {
            cmd.addAll(List.of("--", "16"));
        }
        Process w = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(w.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!w.waitFor(seconds + 30L, TimeUnit.SECONDS) || w.exitValue() != 0) {
            throw new IOException("wrk failed: " + out);
        }
        return out;
    }

    private static final Pattern REQUESTS = Pattern.compile("(\\d+) requests in");
    private static final Pattern RPS = Pattern.compile("Requests/sec:\\s+([0-9.]+)");
    private static final Pattern PERCENTILE = Pattern.compile("^\\s+(50|99)(?:\\.000)?%\\s+([0-9.]+)(us|ms|s)\\s*$", Pattern.MULTILINE);

    static Run parse(String wrkOutput, double cpuSeconds, long rssKb) {
        Matcher req = REQUESTS.matcher(wrkOutput);
        Matcher rps = RPS.matcher(wrkOutput);
        if (!req.find() || !rps.find()) {
            throw new IllegalStateException("cannot read wrk's output:\n" + wrkOutput);
        }
        if (wrkOutput.contains("Non-2xx or 3xx responses") || wrkOutput.contains("Socket errors")) {
            // Errors make the figures meaningless: say so rather than report them.
            if (wrkOutput.contains("Non-2xx")) {
                throw new IllegalStateException("the server answered errors:\n" + wrkOutput);
            }
        }
        double p50 = 0;
        double p99 = 0;
        Matcher m = PERCENTILE.matcher(wrkOutput);
        while (m.find()) {
            double v = Double.parseDouble(m.group(2));
            double ms = switch (m.group(3)) {
                case "us" -> v / 1000;
                case "s" -> v * 1000;
                default -> v;
            };
            if (m.group(1).equals("50")) {
                p50 = ms;
            } else {
                p99 = ms;
            }
        }
        return new Run(Long.parseLong(req.group(1)), Double.parseDouble(rps.group(1)), p50, p99, cpuSeconds, rssKb);
    }
}
