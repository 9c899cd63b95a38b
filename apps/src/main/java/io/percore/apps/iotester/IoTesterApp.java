package io.percore.apps.iotester;

import io.percore.app.AppContext;
import io.percore.app.AppTemplate;
import io.percore.apps.iotester.ShardJob.ShardResult;
import io.percore.core.Future;
import io.percore.core.Futures;
import io.percore.core.Offload;
import io.percore.core.Reactor;
import io.percore.file.Files;
import io.percore.file.IoClass;
import io.percore.file.IoQueueConfig;
import io.percore.file.IoScheduler;
import io.percore.file.OpenOptions;
import io.percore.memory.MemorySize;
import io.percore.smp.Smp;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.HdrHistogram.Histogram;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;

/**
 * {@code ./percore io_tester}: Seastar's io_tester for percore. Runs storage workloads on every shard through DMA
 * files and the I/O scheduler, then prints IOPS, bandwidth and latency percentiles per job (each job is an
 * {@link IoClass} with its shares) and per shard, and a {@code summary} line per job for scripts.
 *
 * <p>A workload comes from the command line (one job: {@code --type --reqsize --parallelism --shares
 * --file-size}) or from a JSON file ({@code --conf}) listing jobs, whose missing fields take the command line's
 * values. Each shard runs each of its jobs on its own file under {@code --storage}, laid out (written) before the
 * clock starts, unless {@code --file} names one file for every job and shard. Files the run creates are deleted at
 * the end unless {@code --keep-files}. Requests are timed from submission to completion. After
 * {@code --warmup}, completions are counted for {@code --duration}; each shard thread's CPU time in that window is
 * reported too, per request ({@code cpu_us_per_op} in the summary), so a run on a shared machine shows whether the
 * I/O path or the wait for a CPU set the pace.
 */
public final class IoTesterApp {
    private IoTesterApp() {}

    /** Classes by job name, so repeated runs in one process (tests) reuse them instead of defining more. */
    private static final Map<String, IoClass> CLASSES = new ConcurrentHashMap<>();

    /** io_tester's own options, added to the standard ones. */
    public static final class Options {
        @Option(names = "--conf", paramLabel = "FILE",
                description = "A JSON workload file: {\"jobs\": [{\"name\", \"type\", \"reqsize\", \"parallelism\", "
                        + "\"shares\", \"file_size\", \"shards\", \"file\"}, ...]}. Missing fields take the values "
                        + "of the options below.")
        String conf;

        @Option(names = "--storage", paramLabel = "DIR", defaultValue = ".",
                description = "Directory for the per-shard files (on the device to test). Default: ${DEFAULT-VALUE}.")
        String storage;

        @Option(names = "--file", paramLabel = "PATH",
                description = "One file for every job and shard instead of per-shard files; laid out up to "
                        + "--file-size if shorter, never deleted.")
        String file;

        @Option(names = "--duration", paramLabel = "TIME", defaultValue = "10s", converter = DurationConverter.class,
                description = "How long to measure (e.g. 10s, 500ms, 1m). Default: ${DEFAULT-VALUE}.")
        Duration duration;

        @Option(names = "--warmup", paramLabel = "TIME", defaultValue = "1s", converter = DurationConverter.class,
                description = "Load before measuring starts. Default: ${DEFAULT-VALUE}.")
        Duration warmup;

        @Option(names = "--name", defaultValue = "job", description = "Name of the command-line job. Default: ${DEFAULT-VALUE}.")
        String name;

        @Option(names = "--type", defaultValue = "randread",
                description = "seqread, seqwrite, randread or randwrite. Default: ${DEFAULT-VALUE}.")
        String type;

        @Option(names = {"--reqsize", "--bs"}, paramLabel = "SIZE", defaultValue = "4k",
                description = "Bytes per request. Default: ${DEFAULT-VALUE}.")
        String reqSize;

        @Option(names = {"--parallelism", "--iodepth"}, paramLabel = "N", defaultValue = "1",
                description = "Requests in flight per shard (queue depth). Default: ${DEFAULT-VALUE}.")
        int parallelism;

        @Option(names = "--shares", defaultValue = "100", description = "The job's I/O class shares. Default: ${DEFAULT-VALUE}.")
        int shares;

        @Option(names = "--file-size", paramLabel = "SIZE", defaultValue = "1G",
                description = "File size per job and shard. Default: ${DEFAULT-VALUE}.")
        String fileSize;

        @Option(names = "--max-in-flight", paramLabel = "N",
                description = "The scheduler's bound on requests in flight per device (default: "
                        + "128, capped by the device's nr_requests).")
        Integer maxInFlight;

        @Option(names = "--max-request-size", paramLabel = "SIZE",
                description = "Split requests larger than this (default 128k, capped by the device).")
        String maxRequestSize;

        @Option(names = "--no-merge", description = "Do not merge adjacent requests.")
        boolean noMerge;

        @Option(names = "--keep-files", description = "Keep the per-shard files the run created.")
        boolean keepFiles;
    }

    /** Parses {@code 10s}, {@code 500ms}, {@code 2m}, or a plain number of seconds. */
    static final class DurationConverter implements ITypeConverter<Duration> {
        @Override
        public Duration convert(String value) {
            return parseDuration(value);
        }
    }

    static Duration parseDuration(String value) {
        String v = value.trim().toLowerCase(Locale.ROOT);
        try {
            if (v.endsWith("ms")) {
                return Duration.ofMillis(Long.parseLong(v.substring(0, v.length() - 2)));
            }
            if (v.endsWith("s")) {
                return Duration.ofMillis(Math.round(Double.parseDouble(v.substring(0, v.length() - 1)) * 1000));
            }
            if (v.endsWith("m")) {
                return Duration.ofSeconds(Long.parseLong(v.substring(0, v.length() - 1)) * 60);
            }
            return Duration.ofMillis(Math.round(Double.parseDouble(v) * 1000));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("bad duration '" + value + "' (e.g. 10s, 500ms, 1m)");
        }
    }

    /**
     * Runs io_tester as {@code command} ("percore io_tester") with the standard and io_tester options, printing the
     * report to {@code out} and a bad workload to {@code err} (one line, exit code 2). Non-shard thread.
     *
     * @return the exit code
     */
    public static int run(String command, String[] args, PrintStream out, PrintStream err) {
        return run(command, args, out, err, true);
    }

    /** As {@link #run(String, String[], PrintStream, PrintStream)}; tests turn signal handling off. */
    static int run(String command, String[] args, PrintStream out, PrintStream err, boolean handleSignals) {
        Options options = new Options();
        return AppTemplate.builder(command)
                .output(out, err)
                .handleSignals(handleSignals)
                .description("Runs storage workloads on every shard through DMA files and the I/O scheduler; prints "
                        + "IOPS, bandwidth and latency percentiles per job (I/O class) and shard.")
                .options(options)
                .runForExitCode(args, ctx -> main(ctx, options, out, err));
    }

    /** The program, on shard 0. */
    static Future<Integer> main(AppContext ctx, Options o, PrintStream out, PrintStream err) {
        List<JobSpec> jobs;
        IoQueueConfig queueConfig;
        try {
            jobs = jobs(o);
            queueConfig = queueConfig(o);
        } catch (IllegalArgumentException e) {
            return Offload.run(() -> {
                err.println("io_tester: " + e.getMessage());
                err.flush();
                return 2;
            });
        }
        int n = Smp.count();
        for (JobSpec j : jobs) {
            for (int s : j.shards()) {
                if (s >= n) {
                    String msg = "io_tester: job " + j.name() + " names shard " + s + " but there are " + n;
                    return Offload.run(() -> {
                        err.println(msg);
                        err.flush();
                        return 2;
                    });
                }
            }
        }
        Map<String, IoClass> classes = new LinkedHashMap<>();
        for (JobSpec j : jobs) {
            IoClass c = CLASSES.computeIfAbsent(j.name(), name -> IoClass.create(name, j.shares()));
            c.setShares(j.shares());
            classes.put(j.name(), c);
        }
        ShardJob[][] perShard = new ShardJob[n][];
        StopFlag stopped = new StopFlag();
        ctx.stopRequested().onComplete((v, e) -> stopped.set = true);
        // Phase 1: every shard opens and lays out its files (a shared file first, once, here).
        Future<Void> shared = layOutSharedFiles(jobs);
        return shared.then(() -> Smp.invokeOnAll(() -> {
            int me = Reactor.current().shardId();
            IoScheduler.current().configure(queueConfig);
            List<ShardJob> mine = new ArrayList<>();
            for (JobSpec j : jobs) {
                if (j.runsOn(me)) {
                    mine.add(new ShardJob(j, classes.get(j.name()), me, o.storage));
                }
            }
            perShard[me] = mine.toArray(ShardJob[]::new);
            return Futures.doForEach(mine, ShardJob::prepare);
        })).then(() -> {
            // Phase 2: one clock for all shards.
            long start = System.nanoTime() + Duration.ofMillis(20).toNanos();
            long measureFrom = start + o.warmup.toNanos();
            long end = measureFrom + o.duration.toNanos();
            double seconds = o.duration.toNanos() / 1e9;
            List<Future<List<ShardResult>>> results = new ArrayList<>();
            for (int s = 0; s < n; s++) {
                int shard = s;
                results.add(Smp.submitTo(shard, () -> {
                    ShardJob[] mine = perShard[shard];
                    ShardCpu cpu = new ShardCpu(measureFrom, end);
                    List<Future<Void>> running = new ArrayList<>();
                    for (ShardJob j : mine) {
                        running.add(j.run(measureFrom, end, () -> stopped.set));
                    }
                    String engine = IoScheduler.current().engine();
                    return Futures.whenAll(running).map(v -> {
                        long cpuNanos = cpu.finish();
                        List<ShardResult> r = new ArrayList<>();
                        for (ShardJob j : mine) {
                            r.add(j.result(seconds, engine, cpuNanos));
                        }
                        return r;
                    });
                }));
            }
            return Futures.whenAll(results);
        }).flatMap(all -> {
            String engine = all.stream().flatMap(List::stream).map(ShardResult::engine).findFirst().orElse("?");
            String report = Report.render(jobs, all, n, Reactor.current().backendName(), engine, o.warmup, o.duration);
            return Offload.run(() -> {
                out.print(report);
                out.flush();
                return 0;
            });
        }).finallyDoAsync(() -> Smp.invokeOnAll(() -> {
            ShardJob[] mine = perShard[Reactor.current().shardId()];
            return mine == null ? Future.done() : Futures.doForEach(List.of(mine), j -> j.finish(o.keepFiles));
        }));
    }

    /** Set on shard 0 when the program is asked to stop (SIGINT/SIGTERM); every shard's loops read it. */
    private static final class StopFlag {
        volatile boolean set;
    }

    private static Future<Void> layOutSharedFiles(List<JobSpec> jobs) {
        Map<String, Long> sizes = new LinkedHashMap<>();
        for (JobSpec j : jobs) {
            if (j.file() != null) {
                sizes.merge(j.file(), j.fileSize(), Math::max);
            }
        }
        return Futures.doForEach(sizes.entrySet(), e -> Files.openDma(e.getKey(), OpenOptions.readWrite().withCreate())
                .flatMap(f -> ShardJob.layOut(f, e.getValue()).finallyDoAsync(f::close)));
    }

    static List<JobSpec> jobs(Options o) {
        JobSpec cli = new JobSpec(o.name, JobSpec.Type.parse(o.type), (int) MemorySize.parse(o.reqSize), o.parallelism,
                o.shares, MemorySize.parse(o.fileSize), List.of(), o.file);
        if (o.conf == null) {
            return List.of(cli);
        }
        String text;
        try {
            text = java.nio.file.Files.readString(Path.of(o.conf), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read " + o.conf + ": " + e.getMessage());
        }
        try {
            return JobSpec.fromJson(Json.parse(text), cli);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(o.conf + ": " + e.getMessage());
        }
    }

    static IoQueueConfig queueConfig(Options o) {
        IoQueueConfig c = IoQueueConfig.defaults();
        if (o.maxInFlight != null) {
            c = c.withMaxInFlight(o.maxInFlight);
        }
        if (o.maxRequestSize != null) {
            c = c.withMaxRequestBytes((int) MemorySize.parse(o.maxRequestSize));
        }
        return c.withMerge(!o.noMerge);
    }

    /** The printed report: a table per job, a row per shard (and a total), then one summary line per job. */
    static final class Report {
        private Report() {}

        static String render(List<JobSpec> jobs, List<List<ShardResult>> perShard, int shards, String backend,
                             String engine, Duration warmup, Duration duration) {
            StringBuilder sb = new StringBuilder();
            sb.append(String.format(Locale.ROOT, "io_tester: %d shard(s), reactor backend %s, file I/O by %s; "
                    + "%.1f s warm-up, %.1f s measured%n", shards, backend, engine, warmup.toMillis() / 1e3,
                    duration.toMillis() / 1e3));
            List<String> summaries = new ArrayList<>();
            for (JobSpec j : jobs) {
                List<ShardResult> rows = new ArrayList<>();
                for (List<ShardResult> l : perShard) {
                    for (ShardResult r : l) {
                        if (r.spec().name().equals(j.name())) {
                            rows.add(r);
                        }
                    }
                }
                if (rows.isEmpty()) {
                    continue;
                }
                sb.append(String.format(Locale.ROOT, "%njob %s: %s, %s requests, %d in flight per shard, %d shares, "
                        + "file %s per shard%n", j.name(), j.type().label(), MemorySize.format(j.reqSize()),
                        j.parallelism(), j.shares(), MemorySize.format(j.fileSize())));
                sb.append("  ").append(rows.getFirst().fileInfo()).append('\n');
                sb.append(String.format(Locale.ROOT, "  %-6s %12s %12s %10s %10s %10s %10s %10s%n", "shard", "IOPS",
                        "MiB/s", "p50 us", "p95 us", "p99 us", "p99.9 us", "max us"));
                Histogram total = new Histogram(rows.getFirst().latency().getHighestTrackableValue(), 3);
                long ops = 0;
                long bytes = 0;
                double seconds = rows.getFirst().seconds();
                for (ShardResult r : rows) {
                    sb.append(row(Integer.toString(r.shard()), r.ops(), r.bytes(), r.seconds(), r.latency()));
                    total.add(r.latency());
                    ops += r.ops();
                    bytes += r.bytes();
                }
                if (rows.size() > 1) {
                    sb.append(row("all", ops, bytes, seconds, total));
                }
                summaries.add(String.format(Locale.ROOT, "summary %s iops=%.1f bandwidth_mib_s=%.2f p50_us=%.1f "
                        + "p95_us=%.1f p99_us=%.1f p999_us=%.1f max_us=%.1f cpu_us_per_op=%.2f", j.name(),
                        ops / seconds, bytes / seconds / (1 << 20), us(total, 50), us(total, 95), us(total, 99),
                        us(total, 99.9), total.getMaxValue() / 1e3, cpuMicrosPerOp(rows, perShard)));
            }
            sb.append(cpuLines(perShard));
            sb.append('\n');
            for (String s : summaries) {
                sb.append(s).append('\n');
            }
            return sb.toString();
        }

        /**
         * The CPU cost of a request on the shards {@code rows} ran on: their threads' CPU time in the window over
         * every request they completed in it, whatever the job (a shard's CPU time is not split between its jobs).
         */
        static double cpuMicrosPerOp(List<ShardResult> rows, List<List<ShardResult>> perShard) {
            long cpu = 0;
            long ops = 0;
            for (ShardResult row : rows) {
                cpu += row.shardCpuNanos();
                for (List<ShardResult> l : perShard) {
                    for (ShardResult r : l) {
                        if (r.shard() == row.shard()) {
                            ops += r.ops();
                        }
                    }
                }
            }
            return ops == 0 ? 0 : cpu / 1e3 / ops;
        }

        /** One line per shard: its thread's CPU time in the window, as a share of the window and per request. */
        static String cpuLines(List<List<ShardResult>> perShard) {
            StringBuilder sb = new StringBuilder();
            for (List<ShardResult> l : perShard) {
                if (l.isEmpty()) {
                    continue;
                }
                ShardResult first = l.getFirst();
                long ops = l.stream().mapToLong(ShardResult::ops).sum();
                sb.append(String.format(Locale.ROOT, "%nshard %d: thread CPU %.1f%% of the window, %.2f us per request "
                        + "(all jobs)", first.shard(), 100.0 * first.shardCpuNanos() / 1e9 / first.seconds(),
                        ops == 0 ? 0 : first.shardCpuNanos() / 1e3 / ops));
            }
            return sb.length() == 0 ? "" : sb.append('\n').toString();
        }

        private static String row(String shard, long ops, long bytes, double seconds, Histogram h) {
            return String.format(Locale.ROOT, "  %-6s %12.1f %12.2f %10.1f %10.1f %10.1f %10.1f %10.1f%n", shard,
                    ops / seconds, bytes / seconds / (1 << 20), us(h, 50), us(h, 95), us(h, 99), us(h, 99.9),
                    h.getMaxValue() / 1e3);
        }

        private static double us(Histogram h, double percentile) {
            return h.getTotalCount() == 0 ? 0 : h.getValueAtPercentile(percentile) / 1e3;
        }
    }
}
