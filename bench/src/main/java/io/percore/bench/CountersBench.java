package io.percore.bench;

import io.percore.bench.CounterWorkloads.Kind;
import io.percore.bench.CounterWorkloads.ShardCounter;
import io.percore.core.Future;
import io.percore.smp.Sharded;
import io.percore.smp.Smp;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code ./percore bench counters}: the mutex table — one counter updated by 1, 2 and 4 threads under
 * {@code synchronized}, {@code ReentrantLock}, {@code AtomicLong} and {@code LongAdder}, against 1, 2 and 4
 * shards each updating its own plain field, summed by a map-reduce at the end. Threads and shards are pinned,
 * thread or shard i to CPU i mod 2 (4 is overprovisioned on this 2-core machine: two per CPU). The figure is
 * wall-clock nanoseconds per update over all threads (elapsed time / total updates), so perfect scaling
 * halves it from 1 to 2 threads. Main thread only.
 */
public final class CountersBench {
    private CountersBench() {}

    private static final int[] CPUS = {0, 1};
    private static final int[] THREADS = {1, 2, 4};

    /** Runs the comparison and records its figures in {@code report}. */
    public static void run(boolean quick, Report report) throws Exception {
        int rounds = quick ? 1 : 5;
        long d = quick ? 12_000_000L : 150_000_000L;
        Kind[] kinds = Kind.values();
        // results[t][k][round]: k = kinds..., then percore
        double[][][] results = new double[THREADS.length][kinds.length + 1][rounds];
        report.line("counters: %d round(s) after a warm-up round, %d ms per run; ns per update = elapsed / updates",
                rounds, d / 1_000_000);
        for (int r = -1; r < rounds; r++) {
            for (int ti = 0; ti < THREADS.length; ti++) {
                int t = THREADS[ti];
                StringBuilder line = new StringBuilder();
                for (int k = 0; k < kinds.length; k++) {
                    long[] res = CounterWorkloads.shared(kinds[k], t, CPUS, d);
                    double ns = (double) res[1] / res[0];
                    line.append(String.format(java.util.Locale.ROOT, " %s %s", kinds[k].figureName(), Report.format(ns)));
                    if (r >= 0) {
                        results[ti][k][r] = ns;
                    }
                }
                double ns = percore(t, d);
                line.append(" percore ").append(Report.format(ns));
                if (r >= 0) {
                    results[ti][kinds.length][r] = ns;
                }
                report.line("  %-8s %d thread(s)/shard(s), ns per update:%s", r < 0 ? "warm-up" : "round " + (r + 1), t, line);
            }
        }
        for (int ti = 0; ti < THREADS.length; ti++) {
            int t = THREADS[ti];
            double ours = Stats.median(results[ti][kinds.length]);
            for (int k = 0; k < kinds.length; k++) {
                report.figure("counter_" + t + "t_" + kinds[k].figureName() + "_ns", Stats.median(results[ti][k]), "ns");
            }
            report.figure("counter_" + t + "t_percore_ns", ours, "ns");
            for (int k = 0; k < kinds.length; k++) {
                report.figure("counter_" + t + "t_percore_vs_" + kinds[k].figureName(),
                        Stats.median(results[ti][k]) / ours, "x");
            }
        }
    }

    /** {@code shards} shards, shard i on CPU i mod 2, each updating its own counter for {@code d} ns. */
    private static double percore(int shards, long d) throws Exception {
        List<Integer> cpus = new ArrayList<>();
        for (int i = 0; i < shards; i++) {
            cpus.add(CPUS[i % CPUS.length]);
        }
        Smp smp = Shards.start(cpus, Shards.config(false));
        try {
            Sharded<ShardCounter> counters = Shards.call(smp, 0, () -> Sharded.start(id -> new ShardCounter()));
            long[] res = Shards.call(smp, 0, () -> {
                long t0 = System.nanoTime();
                return counters.invokeOnAll(c -> c.updateFor(d))
                        .flatMap(v -> counters.mapReduce(c -> Future.ready(c.snapshot()), new long[2],
                                (a, b) -> new long[] {a[0] + b[0], a[1] + b[1]}))
                        .map(sum -> new long[] {sum[0], sum[1], System.nanoTime() - t0});
            });
            Shards.call(smp, 0, counters::stop);
            if (res[1] != CounterWorkloads.expectedValue(res[0])) {
                throw new IllegalStateException("per-shard counters disagree with their updates: " + res[1]);
            }
            return (double) res[2] / res[0];
        } finally {
            smp.stop();
        }
    }
}
