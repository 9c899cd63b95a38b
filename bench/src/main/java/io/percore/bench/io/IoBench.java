package io.percore.bench.io;

import io.percore.memory.MemorySize;
import io.percore.bench.Stats;
import io.percore.reactor.ReactorBackends;
import io.percore.smp.CpuSet;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URISyntaxException;
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
 * {@code ./percore bench io}: percore's io_tester against fio on the same file, with the same parameters, in the same
 * run. The file ({@code --file-size}, default 2 GiB) is created on the disk under {@code target/iobench} (or {@code
 * --dir}) and laid out with data once; later runs reuse it. The points: random 4 KiB reads at queue depth 1, 8 and 32,
 * sequential 128 KiB reads and sequential 128 KiB writes at depth 8. The contenders: fio with {@code --direct=1
 * --ioengine=io_uring} and {@code --ioengine=libaio}, and {@code ./percore io_tester --smp 1} on each reactor backend
 * asked for (default io_uring and linux-aio, the two with an asynchronous file path).
 *
 * <p><b>Fairness.</b> A shared machine's load comes and goes; measured one after the other, a contender can land on a
 * busy stretch and lose for reasons of its own. So the run is interleaved: each of {@code --rounds} rounds runs every
 * contender once at every point, in an order that rotates from round to round and point to point, each for the same
 * {@code --seconds} (default 2) after the same warm-up (default 2 s: io_tester's JVM is still compiling its hot paths
 * in the first second) on the same file; three rounds by default, about five minutes in all. Every contender runs on
 * the same single CPU ({@code --cpu}, default the last one this process may use): fio with {@code --cpus_allowed},
 * io_tester's shard with {@code --cpuset} (the JVM's compiler and GC threads are not pinned). Figures are medians over
 * the rounds; a ratio is the median over the rounds of the ratio within each round, where the two ran seconds apart.
 * io_tester runs with percore's default idle poll (its reactor spins 200 µs before sleeping, as Seastar's does), which
 * is what a user gets; {@code --idle-poll-us 0} makes it sleep in the kernel as soon as it waits for the device, as
 * fio does. On a quiet machine at random-read QD8 that is the difference between 1.1-1.3x and 0.85-0.98x fio, for
 * about 6 µs more CPU per request; on a CPU shared with other programs the spin spends the share of CPU time the
 * scheduler grants it on polling and leaves the shard waiting in the run queue when its completions arrive. Beside each figure, the CPU time per request of the thread doing the I/O (fio's job
 * thread, io_tester's shard) shows whether the I/O path or the wait for a CPU set the pace.
 *
 * <p>Figures: {@code io_<point>_<engine>} in IOPS (random reads) or MiB/s (sequential), and ratios {@code
 * io_<point>_percore_<backend>_vs_fio_<engine>} (greater than 1 when percore is faster): io_uring against fio's
 * io_uring, linux-aio against fio's libaio, and epoll ({@code --backends epoll,...}), whose file I/O runs on helper
 * threads (labelled {@code epoll_threadpool}), against both; {@code ..._cpu_per_op} in µs. {@code --quick}: a 256 MiB
 * file, one round of 1-second points, enough to check the harness, not to quote.
 *
 * <p>Entry points: {@link #run(boolean, PrintStream, FigureSink)} for the bench's dispatcher, {@link #run(String[],
 * PrintStream)} and {@link #main} with options ({@code --dir}, {@code --file-size}, {@code --seconds}, {@code
 * --warmup-ms}, {@code --rounds}, {@code --cpu}, {@code --idle-poll-us}, {@code --points}, {@code --backends}, {@code
 * --no-fio}). Run from a non-shard thread; it starts child processes (fio, the launcher) and nothing else.
 */
public final class IoBench {
    private IoBench() {}

    /** One measured point: what io_tester and fio are asked to do. */
    record Point(String name, String type, String fioRw, int reqSize, int depth, boolean bandwidth) {}

    static final List<Point> POINTS = List.of(
            new Point("randread_4k_qd1", "randread", "randread", 4096, 1, false),
            new Point("randread_4k_qd8", "randread", "randread", 4096, 8, false),
            new Point("randread_4k_qd32", "randread", "randread", 4096, 32, false),
            new Point("seqread_128k_qd8", "seqread", "read", 128 << 10, 8, true),
            new Point("seqwrite_128k_qd8", "seqwrite", "write", 128 << 10, 8, true));

    /** The reactor backends measured unless {@code --backends} says otherwise: those with asynchronous file I/O. */
    static final List<String> DEFAULT_BACKENDS = List.of("io_uring", "linux-aio");

    /**
     * One contender: fio with an engine, or io_tester on a reactor backend.
     *
     * @param key    its part of the figure names ({@code fio_libaio}, {@code percore_linux_aio})
     * @param fio    true for fio
     * @param engine fio's {@code --ioengine}, or io_tester's {@code --reactor-backend}
     */
    record Contender(String key, boolean fio, String engine) {
        static Contender fio(String engine) {
            return new Contender("fio_" + engine, true, engine);
        }

        static Contender percore(String backend) {
            return new Contender("percore_" + label(backend), false, backend);
        }
    }

    /**
     * How long and where to measure.
     *
     * @param rounds        measured rounds (every contender at every point once per round)
     * @param seconds       measured seconds of one contender at one point
     * @param warmupSeconds unmeasured load before each measurement
     * @param cpu           the CPU every contender runs on
     * @param idlePollMicros io_tester's {@code --idle-poll-time-us}: how long its reactor spins before sleeping
     */
    record Timing(int rounds, int seconds, double warmupSeconds, int cpu, int idlePollMicros) {}

    /** Where figures go: {@code report::figure} of the bench's report fits. */
    @FunctionalInterface
    public interface FigureSink {
        /** Records one headline figure: lower-case words joined by underscores, a finite value, a unit. */
        void figure(String name, double value, String unit);
    }

    /** One headline figure. */
    record Figure(String name, double value, String unit) {
        /** @return the {@code figure <name> <value> <unit>} line, the value with about three significant digits. */
        String line() {
            double a = Math.abs(value);
            String pattern = a >= 100 ? "%.0f" : a >= 10 ? "%.1f" : a >= 1 ? "%.2f" : "%.3f";
            return "figure " + name + " " + String.format(Locale.ROOT, pattern, value) + " " + unit;
        }
    }

    /**
     * Runs the comparison with its defaults (or {@code --quick}), printing detail lines to {@code out} and handing
     * every figure to {@code sink}: the entry point for {@code ./percore bench io}
     * ({@code case "io" -> IoBench.run(quick, out, report::figure);}). Non-shard thread.
     *
     * @throws Exception when fio or io_tester fails
     */
    public static void run(boolean quick, PrintStream out, FigureSink sink) throws Exception {
        for (Figure f : measure(quick ? new String[] {"--quick"} : new String[0], out)) {
            sink.figure(f.name(), f.value(), f.unit());
        }
    }

    /**
     * A result of one engine at one point.
     *
     * @param cpuMicrosPerOp CPU time per request of the thread doing the I/O (fio's job, io_tester's shard), 0 when
     *                       not reported
     */
    record Measured(double iops, double mibPerSecond, double p99Micros, double cpuMicrosPerOp) {
        double headline(Point p) {
            return p.bandwidth() ? mibPerSecond : iops;
        }
    }

    /** Entry point: prints detail lines, then the figure lines; exit 0, 2 on a usage error, 1 on failure. */
    public static void main(String[] args) {
        int status;
        try {
            List<String> figures = run(args, System.out);
            if (figures == null) {
                status = 2;
            } else {
                figures.forEach(System.out::println);
                status = 0;
            }
        } catch (Exception e) {
            System.err.println("bench io failed: " + e);
            e.printStackTrace();
            status = 1;
        }
        System.out.flush();
        System.exit(status);
    }

    /**
     * Runs the comparison, printing detail lines to {@code out} as it goes.
     *
     * @return the {@code figure <name> <value> <unit>} lines, for the caller to print last; null (after printing the
     *         usage) when the arguments are not understood
     * @throws Exception when fio or io_tester fails
     */
    public static List<String> run(String[] args, PrintStream out) throws Exception {
        List<Figure> figures = measure(args, out);
        return figures == null ? null : figures.stream().map(Figure::line).toList();
    }

    private static List<Figure> measure(String[] args, PrintStream out) throws Exception {
        boolean quick = false;
        boolean withFio = true;
        Path root = findRoot();
        Path dir = root.resolve("target/iobench");
        long fileSize = 2L << 30;
        Integer seconds = null;
        Integer rounds = null;
        Double warmup = null;
        // percore's own default: what a user of io_tester gets; --idle-poll-us 0 makes it sleep at once as fio does.
        int idlePoll = (int) (io.percore.core.ReactorConfig.defaults().idlePollNanos() / 1000);
        List<Point> points = POINTS;
        List<Integer> allowed = CpuSet.allowed();
        int cpu = allowed.getLast();
        List<String> backends = new ArrayList<>();
        for (String b : DEFAULT_BACKENDS) {
            if (ReactorBackends.AVAILABLE.contains(b)) {
                backends.add(b);
            }
        }
        try {
            for (int i = 0; i < args.length; i++) {
                String a = args[i];
                switch (a) {
                    case "--quick" -> quick = true;
                    case "--no-fio" -> withFio = false;
                    case "--dir" -> dir = Path.of(value(args, ++i, a)).toAbsolutePath();
                    case "--file-size" -> fileSize = MemorySize.parse(value(args, ++i, a));
                    case "--seconds" -> seconds = positive(a, value(args, ++i, a));
                    case "--rounds" -> rounds = positive(a, value(args, ++i, a));
                    case "--warmup-ms" -> warmup = Integer.parseInt(value(args, ++i, a)) / 1000.0;
                    case "--cpu" -> cpu = Integer.parseInt(value(args, ++i, a));
                    case "--idle-poll-us" -> idlePoll = Integer.parseInt(value(args, ++i, a));
                    case "--points" -> points = points(value(args, ++i, a));
                    case "--backends" -> backends = List.of(value(args, ++i, a).split(","));
                    default -> throw new IllegalArgumentException("unexpected argument '" + a + "'");
                }
            }
            if (!allowed.contains(cpu)) {
                throw new IllegalArgumentException("--cpu " + cpu + ": this process may run on " + allowed);
            }
        } catch (IllegalArgumentException e) {
            usage(out, e.getMessage());
            return null;
        }
        if (quick) {
            fileSize = Math.min(fileSize, 256L << 20);
        }
        // io_tester's JVM compiles its hot paths during the first seconds (the compiler threads take CPU time the
        // shard needs, and the code runs slower until compiled): 2 s of warm-up before every measurement, for fio too.
        Timing timing = new Timing(rounds != null ? rounds : quick ? 1 : 3, seconds != null ? seconds : quick ? 1 : 2,
                warmup != null ? warmup : quick ? 0.5 : 2, cpu, idlePoll);
        Files.createDirectories(dir);
        Path file = dir.resolve("iobench-" + (fileSize >> 20) + "m.dat");
        String fioVersion = withFio ? fioVersion() : null;
        List<Contender> contenders = new ArrayList<>();
        if (fioVersion != null) {
            contenders.add(Contender.fio("io_uring"));
            contenders.add(Contender.fio("libaio"));
        }
        for (String b : backends) {
            contenders.add(Contender.percore(b));
        }
        out.printf(Locale.ROOT, "io: file %s (%d MiB, on %s); %d interleaved round(s) of %d s per contender and point "
                        + "after %.1f s warm-up, all on CPU %d; backends %s (--idle-poll-time-us %d); %s%n", file,
                fileSize >> 20, fileSystemOf(dir), timing.rounds(), timing.seconds(), timing.warmupSeconds(),
                timing.cpu(), String.join(",", backends), timing.idlePollMicros(),
                fioVersion == null ? "fio not found (install it: apt-get install fio)" : fioVersion);
        layOut(file, fileSize, fioVersion != null, root, out);

        Map<String, List<Measured>> results = new LinkedHashMap<>();
        for (int round = 0; round < timing.rounds(); round++) {
            for (int pi = 0; pi < points.size(); pi++) {
                Point p = points.get(pi);
                for (Contender c : rotation(contenders, round + pi)) {
                    Measured m = c.fio() ? fio(file, fileSize, p, c.engine(), timing)
                            : ioTester(root, file, fileSize, p, c.engine(), timing);
                    results.computeIfAbsent(p.name() + "_" + c.key(), k -> new ArrayList<>()).add(m);
                    detail(out, round, p, c.key(), m);
                }
            }
        }
        List<Figure> figures = figures(results, backends);
        table(out, results, contenders, timing.rounds());
        return figures;
    }

    /** @return {@code list} rotated left by {@code by}: each round and point starts with another contender. */
    static <T> List<T> rotation(List<T> list, int by) {
        List<T> r = new ArrayList<>(list.size());
        for (int i = 0; i < list.size(); i++) {
            r.add(list.get((i + by) % list.size()));
        }
        return r;
    }

    /** @return the points named in {@code csv}, in the standard order. */
    static List<Point> points(String csv) {
        List<String> names = List.of(csv.split(","));
        for (String n : names) {
            if (POINTS.stream().noneMatch(p -> p.name().equals(n))) {
                throw new IllegalArgumentException("--points: no point '" + n + "' (points: "
                        + String.join(",", POINTS.stream().map(Point::name).toList()) + ")");
            }
        }
        return POINTS.stream().filter(p -> names.contains(p.name())).toList();
    }

    private static int positive(String option, String v) {
        int n = Integer.parseInt(v);
        if (n < 1) {
            throw new IllegalArgumentException(option + " must be at least 1, not " + n);
        }
        return n;
    }

    private static String value(String[] args, int i, String option) {
        if (i >= args.length) {
            throw new IllegalArgumentException(option + " needs a value");
        }
        return args[i];
    }

    private static void usage(PrintStream out, String problem) {
        out.println("percore bench io: " + problem);
        out.println("usage: percore bench io [--quick] [--dir DIR] [--file-size SIZE] [--rounds N] [--seconds N] "
                + "[--warmup-ms N] [--cpu N] [--idle-poll-us N] [--points a,b] [--backends a,b] "
                + "[--no-fio]");
    }

    /**
     * The figures of a run: per point, each contender's median over the rounds, then each percore backend's ratio
     * to its fio peers, the median of the per-round ratios (rounds where either side is missing do not count).
     *
     * @param results  per {@code <point>_<contender key>}, one measurement per round, in round order
     * @param backends the percore backends measured
     */
    static List<Figure> figures(Map<String, List<Measured>> results, List<String> backends) {
        List<Figure> f = new ArrayList<>();
        for (Point p : POINTS) {
            String unit = p.bandwidth() ? "MiB/s" : "IOPS";
            List<String> keys = new ArrayList<>(List.of("fio_io_uring", "fio_libaio"));
            for (String backend : backends) {
                keys.add("percore_" + label(backend));
            }
            for (String key : keys) {
                List<Measured> rounds = results.get(p.name() + "_" + key);
                if (rounds != null && !rounds.isEmpty()) {
                    f.add(new Figure("io_" + p.name() + "_" + key, median(rounds, p), unit));
                    double cpu = Stats.median(rounds.stream().mapToDouble(Measured::cpuMicrosPerOp).toArray());
                    if (cpu > 0) {
                        f.add(new Figure("io_" + p.name() + "_" + key + "_cpu_per_op", cpu, "us"));
                    }
                }
            }
            for (String backend : backends) {
                List<Measured> ours = results.get(p.name() + "_percore_" + label(backend));
                for (String peer : peersOf(backend)) {
                    List<Measured> theirs = results.get(p.name() + "_fio_" + peer);
                    if (ours == null || theirs == null) {
                        continue;
                    }
                    List<Double> ratios = new ArrayList<>();
                    for (int r = 0; r < Math.min(ours.size(), theirs.size()); r++) {
                        double t = theirs.get(r).headline(p);
                        if (t > 0) {
                            ratios.add(ours.get(r).headline(p) / t);
                        }
                    }
                    if (!ratios.isEmpty()) {
                        f.add(new Figure("io_" + p.name() + "_percore_" + label(backend) + "_vs_fio_" + peer,
                                Stats.median(ratios.stream().mapToDouble(Double::doubleValue).toArray()), "x"));
                    }
                }
            }
        }
        return f;
    }

    private static double median(List<Measured> rounds, Point p) {
        return Stats.median(rounds.stream().mapToDouble(m -> m.headline(p)).toArray());
    }

    /** @return the fio engines a backend is compared with: its own kind, or both for the thread-pool fallback. */
    static List<String> peersOf(String backend) {
        return switch (backend) {
            case "io_uring" -> List.of("io_uring");
            case "linux-aio" -> List.of("libaio");
            default -> List.of("io_uring", "libaio");
        };
    }

    /** @return the backend's name in figure names; epoll's file I/O is the helper-thread fallback, and says so. */
    static String label(String backend) {
        return switch (backend) {
            case "epoll" -> "epoll_threadpool";
            case "linux-aio" -> "linux_aio";
            default -> backend.replace('-', '_');
        };
    }

    private static void detail(PrintStream out, int round, Point p, String who, Measured m) {
        out.printf(Locale.ROOT, "  round %d %-18s %-20s %10.0f IOPS %9.1f MiB/s  p99 %8.1f us  cpu %6.2f us/op%n",
                round + 1, p.name(), who, m.iops(), m.mibPerSecond(), m.p99Micros(), m.cpuMicrosPerOp());
        out.flush();
    }

    /** Prints each point's medians, lowest and highest round per contender. */
    private static void table(PrintStream out, Map<String, List<Measured>> results, List<Contender> contenders,
                              int rounds) {
        out.printf(Locale.ROOT, "io: medians over %d round(s) [lowest .. highest]%n", rounds);
        for (Point p : POINTS) {
            for (Contender c : contenders) {
                List<Measured> ms = results.get(p.name() + "_" + c.key());
                if (ms == null) {
                    continue;
                }
                double[] v = ms.stream().mapToDouble(m -> m.headline(p)).toArray();
                double[] p99 = ms.stream().mapToDouble(Measured::p99Micros).toArray();
                double[] cpu = ms.stream().mapToDouble(Measured::cpuMicrosPerOp).toArray();
                out.printf(Locale.ROOT, "  %-18s %-20s %10.0f %-5s [%.0f .. %.0f]  p99 %8.1f us  cpu %6.2f us/op%n",
                        p.name(), c.key(), Stats.median(v), p.bandwidth() ? "MiB/s" : "IOPS", Stats.min(v),
                        Stats.max(v), Stats.median(p99), Stats.median(cpu));
            }
        }
        out.flush();
    }

    // ---------------------------------------------------------------- the file

    private static void layOut(Path file, long size, boolean useFio, Path root, PrintStream out) throws Exception {
        if (Files.exists(file) && Files.size(file) == size) {
            out.println("io: reusing the laid-out file");
            return;
        }
        Files.deleteIfExists(file);
        long t0 = System.nanoTime();
        if (useFio) {
            exec(List.of("fio", "--name=layout", "--filename=" + file, "--size=" + size, "--rw=write", "--bs=1m",
                    "--direct=1", "--ioengine=libaio", "--iodepth=8", "--end_fsync=1", "--output-format=terse"), 600);
        } else {
            // io_tester lays out a --file shorter than --file-size before its clock starts.
            exec(List.of(root.resolve("percore").toString(), "io_tester", "--smp", "1", "--file", file.toString(),
                    "--file-size", Long.toString(size), "--duration", "100ms", "--warmup", "0s"), 600);
        }
        out.printf(Locale.ROOT, "io: laid out %d MiB in %.1f s%n", size >> 20, (System.nanoTime() - t0) / 1e9);
    }

    private static String fileSystemOf(Path dir) {
        try {
            return Files.getFileStore(dir).type();
        } catch (IOException e) {
            return "?";
        }
    }

    // ---------------------------------------------------------------- fio

    private static String fioVersion() {
        try {
            return exec(List.of("fio", "--version"), 30).trim();
        } catch (Exception e) {
            return null;
        }
    }

    /** Runs fio for one point on {@code timing}'s CPU. */
    static Measured fio(Path file, long size, Point p, String engine, Timing timing) throws Exception {
        List<String> cmd = List.of("fio", "--name=" + p.name(), "--filename=" + file, "--size=" + size, "--direct=1",
                "--ioengine=" + engine, "--rw=" + p.fioRw(), "--bs=" + p.reqSize(), "--iodepth=" + p.depth(),
                "--runtime=" + timing.seconds(), "--ramp_time=" + warmupArg(timing.warmupSeconds()), "--time_based",
                "--norandommap", "--randrepeat=0", "--cpus_allowed=" + timing.cpu(), "--group_reporting",
                "--output-format=terse", "--terse-version=3");
        return parseFioTerse(exec(cmd, timing.seconds() + 120), p.type().contains("write"));
    }

    private static String warmupArg(double seconds) {
        return Math.round(seconds * 1000) + "ms";
    }

    /**
     * Reads fio's terse (version 3) line: fields 7 and 8 (1-based) are the read bandwidth in KiB/s and IOPS, 48 and
     * 49 the write ones; the completion-latency percentiles follow each group's min/max/mean/deviation fields as
     * {@code p%=usec} entries; fields 88 and 89 are the job's user and system CPU in percent of its run time.
     */
    static Measured parseFioTerse(String output, boolean write) {
        String line = output.lines().filter(l -> l.startsWith("3;")).reduce((a, b) -> b)
                .orElseThrow(() -> new IllegalStateException("no terse line in fio's output:\n" + output));
        String[] f = line.split(";");
        int base = write ? 46 : 5; // 0-based index of the group's "KiB transferred" field
        double bwKib = Double.parseDouble(f[base + 1]);
        double iops = Double.parseDouble(f[base + 2]);
        double p99 = 0;
        for (int i = base + 12; i < base + 32 && i < f.length; i++) {
            if (f[i].startsWith("99.000000%=")) {
                p99 = Double.parseDouble(f[i].substring(f[i].indexOf('=') + 1));
            }
        }
        double cpuPercent = f.length > 88 ? percent(f[87]) + percent(f[88]) : 0;
        return new Measured(iops, bwKib / 1024, p99, iops > 0 ? cpuPercent / 100 * 1e6 / iops : 0);
    }

    private static double percent(String field) {
        try {
            return Double.parseDouble(field.endsWith("%") ? field.substring(0, field.length() - 1) : field);
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    // ---------------------------------------------------------------- io_tester

    private static final Pattern SUMMARY = Pattern.compile(
            "summary \\S+ iops=([0-9.]+) bandwidth_mib_s=([0-9.]+) p50_us=[0-9.]+ p95_us=[0-9.]+ p99_us=([0-9.]+)"
                    + "(?: p999_us=[0-9.]+ max_us=[0-9.]+ cpu_us_per_op=([0-9.]+))?");

    /** Runs io_tester for one point, its one shard on {@code timing}'s CPU. */
    static Measured ioTester(Path root, Path file, long size, Point p, String backend, Timing timing)
            throws Exception {
        List<String> cmd = List.of(root.resolve("percore").toString(), "io_tester", "--smp", "1", "--cpuset",
                Integer.toString(timing.cpu()), "--idle-poll-time-us", Integer.toString(timing.idlePollMicros()),
                "--reactor-backend", backend, "--file", file.toString(),
                "--file-size", Long.toString(size), "--type", p.type(), "--reqsize", Integer.toString(p.reqSize()),
                "--parallelism", Integer.toString(p.depth()), "--max-in-flight",
                Integer.toString(Math.max(128, p.depth())), "--duration", timing.seconds() + "s", "--warmup",
                warmupArg(timing.warmupSeconds()));
        return parseSummary(exec(cmd, timing.seconds() + 180));
    }

    static Measured parseSummary(String output) {
        Matcher m = SUMMARY.matcher(output);
        if (!m.find()) {
            throw new IllegalStateException("no summary line in io_tester's output:\n" + output);
        }
        return new Measured(Double.parseDouble(m.group(1)), Double.parseDouble(m.group(2)),
                Double.parseDouble(m.group(3)), m.group(4) == null ? 0 : Double.parseDouble(m.group(4)));
    }

    // ---------------------------------------------------------------- processes

    private static String exec(List<String> cmd, int timeoutSeconds) throws Exception {
        Process proc = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        byte[] bytes;
        try (var in = proc.getInputStream()) {
            bytes = in.readAllBytes();
        }
        if (!proc.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            proc.destroyForcibly();
            throw new IllegalStateException(String.join(" ", cmd) + " did not finish in " + timeoutSeconds + " s");
        }
        String out = new String(bytes, StandardCharsets.UTF_8);
        if (proc.exitValue() != 0) {
            throw new IllegalStateException(String.join(" ", cmd) + " exited " + proc.exitValue() + ":\n" + out);
        }
        return out;
    }

    /** The checkout holding the launcher: {@code percore.root}, else up from this class's location, else here. */
    static Path findRoot() {
        String prop = System.getProperty("percore.root");
        if (prop != null) {
            return Path.of(prop).toAbsolutePath();
        }
        try {
            Path p = Path.of(IoBench.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            for (Path d = p; d != null; d = d.getParent()) {
                if (Files.isRegularFile(d.resolve("percore")) && Files.isRegularFile(d.resolve("pom.xml"))) {
                    return d;
                }
            }
        } catch (URISyntaxException | SecurityException | NullPointerException e) {
            // fall through to the working directory
        }
        return Path.of("").toAbsolutePath();
    }
}
