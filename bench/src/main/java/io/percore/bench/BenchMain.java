package io.percore.bench;

import java.io.PrintStream;
import java.util.List;
import java.util.Locale;

/**
 * {@code ./percore bench futures|smp|counters [--quick]}: runs one comparison end to end (well under a minute on a
 * two-core machine) and ends its output with {@code figure <name> <value> <unit>} lines. {@code --quick} runs a
 * few hundred milliseconds per comparison, enough to prove the harness works but not to quote the numbers.
 * docs/BENCHMARKS.md says what each figure measures.
 */
public final class BenchMain {
    private BenchMain() {}

    /** Entry point; exit status 0 on success, 2 on a usage error, 1 when a benchmark failed. */
    public static void main(String[] args) {
        // Every comparison starts and stops shards several times; one "started N shard(s)" line each is noise.
        if (System.getProperty("org.slf4j.simpleLogger.log.io.percore.smp.Smp") == null) {
            System.setProperty("org.slf4j.simpleLogger.log.io.percore.smp.Smp", "warn");
        }
        int status;
        try {
            status = run(args, System.out);
        } catch (Exception e) {
            System.err.println("bench failed: " + e);
            e.printStackTrace();
            status = 1;
        }
        System.exit(status);
    }

    /**
     * Runs the comparison named in {@code args} and prints its output to {@code out}, figures last. Call from a
     * non-shard thread, with no Smp running.
     *
     * @return 0 when done, 2 (after printing the usage) when the arguments are not understood
     * @throws Exception when a benchmark fails
     */
    public static int run(String[] args, PrintStream out) throws Exception {
        String mode = null;
        boolean quick = false;
        for (String a : args) {
            if (a.equals("--quick")) {
                quick = true;
            } else if (mode == null && !a.startsWith("-")) {
                mode = a.toLowerCase(Locale.ROOT);
            } else {
                return usage(out, "unexpected argument '" + a + "'");
            }
        }
        if (mode == null) {
            return usage(out, "no benchmark named");
        }
        if (!List.of("futures", "smp", "counters", "io", "sctp", "http", "tcp", "native", "native-fanout").contains(mode)) {
            return usage(out, "unknown benchmark '" + mode + "'");
        }
        Report report = new Report(out);
        report.line("percore bench %s%s on %d CPU(s), %s %s", mode, quick ? " --quick (numbers not meaningful)" : "",
                Runtime.getRuntime().availableProcessors(), System.getProperty("java.vm.name"),
                System.getProperty("java.version"));
        long t0 = System.nanoTime();
        switch (mode) {
            case "futures" -> FuturesBench.run(quick, report);
            case "smp" -> SmpBench.run(quick, report);
            case "io" -> io.percore.bench.io.IoBench.run(quick, out, report::figure);
            case "sctp" -> io.percore.bench.sctp.SctpBench.run(quick, report);
            case "http" -> io.percore.bench.http.HttpBench.run(quick, report);
            case "tcp" -> io.percore.bench.tcp.TcpBench.run(quick, report);
            case "native" -> io.percore.bench.nativestack.NativeBench.run(quick, report);
            case "native-fanout" -> io.percore.bench.nativestack.FanoutBench.run(quick, report);
            default -> CountersBench.run(quick, report);
        }
        report.line("took %.1f s; medians of interleaved rounds below", (System.nanoTime() - t0) / 1e9);
        report.printFigures();
        return 0;
    }

    private static int usage(PrintStream out, String problem) {
        out.println("percore bench: " + problem);
        out.println("usage: percore bench futures|smp|counters|io|sctp|http|tcp|native|native-fanout [--quick]");
        out.println("  futures   future chains vs CompletableFuture; Async.await vs flatMap");
        out.println("  smp       cross-shard round trip and throughput vs ThreadPoolExecutor and JCTools");
        out.println("  counters  a shared counter under locks and atomics vs per-shard counters");
        out.println("  io        io_tester vs fio: random 4 KiB reads at QD 1/8/32, sequential 128 KiB (2 GiB file)");
        out.println("  sctp      SCTP over UDP: percore to percore vs usrsctp to usrsctp (ping-pong, bulk)");
        out.println("  http      wrk against percore httpd, Netty, Vert.x and the JDK HttpServer (needs wrk, taskset)");
        out.println("  tcp       64-byte TCP ping-pong, 64 connections: percore echo vs Netty echo (needs taskset; strace)");
        out.println("  native    echo over the native stack on TAP vs the POSIX stack on veth (root; namespaces of its own)");
        out.println("  native-fanout  AF_PACKET fanout by the stack's hash (cBPF) vs the kernel's hash, 2 shards (root)");
        return 2;
    }
}
