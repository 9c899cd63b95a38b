package io.percore.bench;

import io.percore.core.ReactorConfig;
import io.percore.smp.Smp;
import java.time.Duration;
import java.util.List;
import org.HdrHistogram.Histogram;

/**
 * {@code ./percore bench smp}: cross-shard messaging between two shards pinned to CPUs 0 and 1, against a
 * one-thread ThreadPoolExecutor (round trip) and JCTools' SPSC queue (raw one-way throughput), every peer with
 * its two threads pinned to the same two CPUs. Each round runs every variant once; figures are medians over
 * the rounds (after one unrecorded warm-up round). Main thread only.
 */
public final class SmpBench {
    private SmpBench() {}

    private static final int CPU_A = 0;
    private static final int CPU_B = 1;
    /** Calls in flight for the throughput run: four chunks of 64, exactly the default ring size of 256. */
    private static final int CHUNK = 64;
    private static final int CHUNKS = 4;

    /** Runs the comparison and records its figures in {@code report}. */
    public static void run(boolean quick, Report report) throws Exception {
        int rounds = quick ? 1 : 5;
        long warm = quick ? 10_000_000L : 100_000_000L;
        long measure = quick ? 25_000_000L : 500_000_000L;
        // "Busy" shards never sleep (poll mode): the loop spins on its queues, as a loaded server's shards do.
        ReactorConfig busy = Shards.config(true);
        // "Idle" shards sleep as soon as they run out of work, so every message goes through the eventfd wake-up.
        ReactorConfig idle = Shards.config(false, Duration.ZERO);
        report.line("smp: shards and peer threads pinned to CPUs %d and %d; %d round(s) after a warm-up round, %d ms each",
                CPU_A, CPU_B, rounds, measure / 1_000_000);

        double[][] busyRtt = new double[3][rounds];
        double[][] idleRtt = new double[3][rounds];
        double[][] poolRtt = new double[3][rounds];
        double[] smpMps = new double[rounds];
        double[] ringMps = new double[rounds];
        double[] jctoolsMps = new double[rounds];
        double[] lineRtt = new double[rounds];
        for (int r = -1; r < rounds; r++) {
            boolean record = r >= 0;
            long d = record ? measure : warm;
            String tag = record ? "round " + (r + 1) : "warm-up";

            long[] lines = SmpWorkloads.cacheLineRoundTrips(quick ? 5_000_000L : 50_000_000L, CPU_A, CPU_B);
            double line = (double) lines[1] / lines[0];
            report.line("  %-8s cache-line round trip between the CPUs: %s ns", tag, Report.format(line));
            if (record) {
                lineRtt[r] = line;
            }

            Histogram h = newHistogram();
            double mps;
            Smp smp = Shards.start(List.of(CPU_A, CPU_B), busy);
            try {
                roundTrips(smp, warm, d, h);
                long[] res = Shards.call(smp, 0, () -> SmpWorkloads.manyInFlight(1, CHUNK, CHUNKS, warm));
                res = Shards.call(smp, 0, () -> SmpWorkloads.manyInFlight(1, CHUNK, CHUNKS, d));
                mps = res[0] / (res[1] / 1e3);
            } finally {
                smp.stop();
            }
            report.line("  %-8s smp round trip, busy shards:  %s; %d calls in flight: %.2f M calls/s", tag,
                    percentiles(h), CHUNK * CHUNKS, mps);
            if (record) {
                put(busyRtt, r, h);
                smpMps[r] = mps;
            }

            h = newHistogram();
            smp = Shards.start(List.of(CPU_A, CPU_B), idle);
            try {
                roundTrips(smp, warm, d, h);
            } finally {
                smp.stop();
            }
            report.line("  %-8s smp round trip, idle shards:  %s", tag, percentiles(h));
            if (record) {
                put(idleRtt, r, h);
            }

            h = newHistogram();
            SmpWorkloads.threadPoolRoundTrips(CPU_A, CPU_B, warm, d, h);
            report.line("  %-8s ThreadPoolExecutor + CompletableFuture round trip: %s", tag, percentiles(h));
            if (record) {
                put(poolRtt, r, h);
            }

            long[] rr = SmpWorkloads.spscRing(d, CPU_A, CPU_B);
            double ring = rr[0] / (rr[1] / 1e3);
            long[] jr = SmpWorkloads.jctoolsSpsc(d, CPU_A, CPU_B);
            double jct = jr[0] / (jr[1] / 1e3);
            report.line("  %-8s raw rings one way: SpscRing %.1f M msg/s, JCTools SpscArrayQueue %.1f M msg/s", tag, ring, jct);
            if (record) {
                ringMps[r] = ring;
                jctoolsMps[r] = jct;
            }
        }

        report.figure("cacheline_roundtrip_ns", Stats.median(lineRtt), "ns");
        report.figure("smp_roundtrip_p50", Stats.median(busyRtt[0]), "us");
        report.figure("smp_roundtrip_p99", Stats.median(busyRtt[1]), "us");
        report.figure("smp_roundtrip_p999", Stats.median(busyRtt[2]), "us");
        report.figure("smp_idle_roundtrip_p50", Stats.median(idleRtt[0]), "us");
        report.figure("smp_idle_roundtrip_p99", Stats.median(idleRtt[1]), "us");
        report.figure("smp_idle_roundtrip_p999", Stats.median(idleRtt[2]), "us");
        report.figure("threadpool_roundtrip_p50", Stats.median(poolRtt[0]), "us");
        report.figure("threadpool_roundtrip_p99", Stats.median(poolRtt[1]), "us");
        report.figure("threadpool_roundtrip_p999", Stats.median(poolRtt[2]), "us");
        report.figure("smp_roundtrip_p50_in_cacheline_roundtrips",
                Stats.median(busyRtt[0]) * 1e3 / Stats.median(lineRtt), "x");
        report.figure("smp_roundtrip_p50_vs_threadpool", Stats.median(poolRtt[0]) / Stats.median(busyRtt[0]), "x");
        report.figure("smp_roundtrip_p99_vs_threadpool", Stats.median(poolRtt[1]) / Stats.median(busyRtt[1]), "x");
        report.figure("smp_idle_roundtrip_p50_vs_threadpool", Stats.median(poolRtt[0]) / Stats.median(idleRtt[0]), "x");
        report.figure("smp_oneway_mps", Stats.median(smpMps), "Mmsg/s");
        report.figure("spscring_mps", Stats.median(ringMps), "Mmsg/s");
        report.figure("jctools_spsc_mps", Stats.median(jctoolsMps), "Mmsg/s");
        report.figure("spscring_vs_jctools", Stats.median(ringMps) / Stats.median(jctoolsMps), "x");
    }

    /** Round trips from shard 0 to shard 1: {@code warm} nanoseconds unrecorded, then {@code d} recorded. */
    private static void roundTrips(Smp smp, long warm, long d, Histogram h) throws Exception {
        Shards.call(smp, 0, () -> SmpWorkloads.roundTrips(1, Long.MAX_VALUE, warm, null));
        Shards.call(smp, 0, () -> SmpWorkloads.roundTrips(1, Long.MAX_VALUE, d, h));
    }

    private static Histogram newHistogram() {
        return new Histogram(60_000_000_000L, 3);
    }

    private static void put(double[][] into, int round, Histogram h) {
        into[0][round] = h.getValueAtPercentile(50) / 1e3;
        into[1][round] = h.getValueAtPercentile(99) / 1e3;
        into[2][round] = h.getValueAtPercentile(99.9) / 1e3;
    }

    private static String percentiles(Histogram h) {
        return String.format(java.util.Locale.ROOT, "p50 %s us, p99 %s us, p99.9 %s us (%d samples)",
                Report.format(h.getValueAtPercentile(50) / 1e3), Report.format(h.getValueAtPercentile(99) / 1e3),
                Report.format(h.getValueAtPercentile(99.9) / 1e3), h.getTotalCount());
    }
}
