package io.percore.apps.demo;

import io.percore.app.AppContext;
import io.percore.app.AppTemplate;
import io.percore.core.Async;
import io.percore.core.Future;
import io.percore.core.Futures;
import io.percore.core.Offload;
import io.percore.core.Shard;
import io.percore.core.Timer;
import io.percore.smp.Service;
import io.percore.smp.Sharded;
import io.percore.smp.Smp;
import io.percore.sys.Affinity;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.IntStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Option;

/**
 * {@code ./percore demo}: starts the shards, sends work across all of them with each of the runtime's tools, prints
 * what every shard did, and exits 0 when the results add up (1 when they do not). With {@code --wait} it then
 * keeps running until SIGINT/SIGTERM, to show an orderly stop.
 *
 * <p>The tour, all driven from shard 0: {@link Smp#submitTo} to every shard (where does it run?),
 * {@link Smp#invokeOnAll} (each shard sums its slice of 1..N), {@link Smp#mapReduce} (the slices' total),
 * a {@link Sharded} {@link Counter} service incremented from shard 0 and totalled with its own map-reduce, a
 * {@link Timer} on every shard, an {@link Async} body that visits the shards one after another, and an
 * {@link Offload} for the one blocking call: printing the report.
 */
public final class DemoApp {
    private static final Logger LOG = LoggerFactory.getLogger(DemoApp.class);

    private DemoApp() {}

    /** The demo's own command-line options, added to the standard ones. */
    public static final class Options {
        @Option(names = "--wait", description = "After the tour, keep running until SIGINT/SIGTERM, then stop in order.")
        boolean waitForStop;

        @Option(names = "--numbers", paramLabel = "N", defaultValue = "1000000",
                description = "Sum 1..N across the shards. Default: ${DEFAULT-VALUE}.")
        long numbers;

        @Option(names = "--increments", paramLabel = "N", defaultValue = "1000",
                description = "Increments sent from shard 0 to the shards' counters, round-robin. Default: ${DEFAULT-VALUE}.")
        int increments;

        /** @return true with {@code --wait}. */
        public boolean waitForStop() {
            return waitForStop;
        }
    }

    /** A per-shard counter: the {@link Sharded} service of the tour. Used only on its own shard. */
    public static final class Counter implements Service {
        private final int shard;
        private long value;

        Counter(int shard) {
            this.shard = shard;
        }

        /** Adds one. Its shard only. */
        public void increment() {
            value++;
        }

        /** @return the count so far. Its shard only. */
        public long value() {
            return value;
        }

        @Override
        public Future<Void> stop() {
            LOG.info("counter of shard {} stops at {}", shard, value);
            return Future.done();
        }
    }

    /** Where shard {@code shard} runs: the CPU it was pinned to (-1: not pinned), the CPU it is on, its thread. */
    record Where(int shard, int pinnedCpu, int cpu, String thread) {}

    /**
     * Runs the demo as {@code command} ("percore demo") with the standard and demo options, signals handled.
     * Non-shard thread.
     *
     * @return the exit code
     */
    public static int run(String command, String[] args) {
        Options options = new Options();
        return AppTemplate.builder(command)
                .description("A tour of percore: work sent across every shard, a report of what each one did.")
                .options(options)
                .runForExitCode(args, ctx -> tour(ctx, options, System.out));
    }

    /**
     * The tour itself; the main function of the demo. Shard 0.
     *
     * @param report where the table of results goes (written off-shard, through {@link Offload})
     * @return 0 when every total checks out, else 1
     */
    public static Future<Integer> tour(AppContext ctx, Options options, PrintStream report) {
        int n = Smp.count();
        long numbers = options.numbers;
        int increments = options.increments;
        if (numbers < 1 || increments < 0) {
            return Future.failed(new IllegalArgumentException("--numbers must be at least 1 and --increments not negative"));
        }
        LOG.info("tour of {} shard(s) begins", n);
        Results r = new Results(numbers, increments);
        // One linear chain on shard 0; each step stores its result in r (shard 0's own object) for the report.
        return Sharded.start(Counter::new).flatMap(counters -> whereAreTheShards(n).thenAccept(w -> r.where = w)
                .then(() -> sumAcrossShards(n, numbers)).thenAccept(total -> r.total = total)
                .then(() -> countAcrossShards(counters, n, increments)).thenAccept(c -> r.counted = c)
                .then(() -> timersOnEveryShard(n)).thenAccept(t -> r.timerMicros = t)
                .then(() -> visitShardsInOrder(counters, n)).thenAccept(c -> r.perShardCounts = c)
                .then(() -> printReport(report, r))
                .flatMap(ok -> waitIfAsked(ctx, options).map(v -> ok ? 0 : 1))
                .finallyDoAsync(counters::stop));
    }

    /** What the tour found out, filled step by step on shard 0. */
    private static final class Results {
        final long numbers;
        final int increments;
        List<Where> where;
        long total;
        long counted;
        List<Long> timerMicros;
        List<Long> perShardCounts;

        Results(long numbers, int increments) {
            this.numbers = numbers;
            this.increments = increments;
        }
    }

    /** Step 1, {@link Smp#submitTo} every shard: each says where it runs. */
    private static Future<List<Where>> whereAreTheShards(int n) {
        List<Future<Where>> replies = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            replies.add(Smp.submitTo(i, () -> {
                Shard self = Shard.current();
                Where w = new Where(self.shardId(), self.cpu(), Affinity.currentCpu(), self.getName());
                LOG.info("shard {} here: thread {}, CPU {}{}", w.shard(), w.thread(), w.cpu(),
                        w.pinnedCpu() < 0 ? " (not pinned)" : " (pinned)");
                return Future.ready(w);
            }));
        }
        return Futures.whenAll(replies);
    }

    /** Steps 2 and 3: {@link Smp#invokeOnAll} logs each shard's slice of 1..N; {@link Smp#mapReduce} totals them. */
    private static Future<Long> sumAcrossShards(int n, long numbers) {
        return Smp.invokeOnAll(() -> {
            int me = Shard.currentId();
            LOG.info("shard {} sums its slice of 1..{} (from {} in steps of {}): {}", me, numbers, me + 1, n,
                    sliceSum(me, n, numbers));
            return Future.done();
        }).then(() -> Smp.mapReduce(() -> Future.ready(sliceSum(Shard.currentId(), n, numbers)), 0L, Long::sum));
    }

    /** The sum of shard {@code me}'s numbers: those of 1..N that are congruent to me+1 modulo n. */
    static long sliceSum(int me, int n, long numbers) {
        long sum = 0;
        for (long k = me + 1; k <= numbers; k += n) {
            sum += k;
        }
        return sum;
    }

    /** Step 4, a {@link Sharded} service: increments sent to the counters round-robin, then totalled. */
    private static Future<Long> countAcrossShards(Sharded<Counter> counters, int n, int increments) {
        return Futures.parallelForEach(IntStream.range(0, increments).boxed().toList(),
                        k -> counters.invokeOn(k % n, c -> {
                            c.increment();
                            return Future.done();
                        }))
                .then(() -> counters.mapReduce(c -> Future.ready(c.value()), 0L, Long::sum));
    }

    /** Step 5, a {@link Timer} on every shard: how long a 10 ms sleep took, in microseconds. */
    private static Future<List<Long>> timersOnEveryShard(int n) {
        List<Future<Long>> took = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            took.add(Smp.submitTo(i, () -> {
                long start = System.nanoTime();
                return Timer.sleep(Duration.ofMillis(10)).map(v -> (System.nanoTime() - start) / 1_000);
            }));
        }
        return Futures.whenAll(took);
    }

    /** Step 6, an {@link Async} body: asks each shard's counter in turn, awaiting each answer in straight-line code. */
    private static Future<List<Long>> visitShardsInOrder(Sharded<Counter> counters, int n) {
        return Async.run(() -> {
            List<Long> counts = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                counts.add(Async.await(counters.invokeOn(i, c -> Future.ready(c.value()))));
                Async.sleep(Duration.ofMillis(1));
            }
            return counts;
        });
    }

    /** Step 7, {@link Offload}: writing the report may block, so it happens off the shard. @return true when all adds up. */
    private static Future<Boolean> printReport(PrintStream out, Results r) {
        long expectedSum = r.numbers * (r.numbers + 1) / 2;
        boolean ok = r.total == expectedSum && r.counted == r.increments;
        StringBuilder sb = new StringBuilder();
        int n = r.where.size();
        sb.append(String.format(Locale.ROOT, "percore demo: %d shard(s)%n", n));
        sb.append(String.format(Locale.ROOT, "%-6s %-8s %-4s %-10s %-12s %-14s %s%n",
                "shard", "thread", "cpu", "pinned to", "counter", "10 ms timer", "slice of the sum"));
        for (int i = 0; i < n; i++) {
            Where w = r.where.get(i);
            sb.append(String.format(Locale.ROOT, "%-6d %-8s %-4d %-10s %-12d %-14s %d%n", w.shard(), w.thread(), w.cpu(),
                    w.pinnedCpu() < 0 ? "-" : Integer.toString(w.pinnedCpu()), r.perShardCounts.get(i),
                    String.format(Locale.ROOT, "%.1f ms", r.timerMicros.get(i) / 1000.0), sliceSum(i, n, r.numbers)));
        }
        sb.append(String.format(Locale.ROOT, "sum of 1..%d = %d (expected %d); increments counted %d of %d: %s%n",
                r.numbers, r.total, expectedSum, r.counted, r.increments, ok ? "OK" : "MISMATCH"));
        String text = sb.toString();
        return Offload.run(() -> {
            out.print(text);
            out.flush();
            return ok;
        });
    }

    /** Step 8, with {@code --wait}: run until the template says stop. */
    private static Future<Void> waitIfAsked(AppContext ctx, Options options) {
        if (!options.waitForStop) {
            LOG.info("tour done");
            return Future.done();
        }
        LOG.info("tour done; waiting for SIGINT/SIGTERM");
        return ctx.stopRequested().thenAccept(v -> LOG.info("stop requested; stopping the counters"));
    }
}
