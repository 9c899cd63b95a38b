package io.percore.bench;

import io.percore.bench.Interleaved.Settings;
import io.percore.bench.Interleaved.Variant;
import io.percore.core.Future;
import io.percore.smp.Smp;
import java.lang.management.ManagementFactory;
import java.util.List;
import java.util.function.Supplier;

/**
 * {@code ./percore bench futures}: percore's future chains against CompletableFuture, both run inside tasks of
 * one shard pinned to CPU 0, and the cost of an {@code Async.await} against the flatMap that does the same.
 * Main thread only.
 */
public final class FuturesBench {
    private FuturesBench() {}

    /** Runs the comparison and records its figures in {@code report}. */
    public static void run(boolean quick, Report report) throws Exception {
        Settings s = Settings.of(quick);
        Smp smp = Shards.start(List.of(0), Shards.config(false));
        try {
            report.line("futures: one shard pinned to CPU 0; every variant runs inside a task of that shard");
            double[] ready = Interleaved.nanosPerOp(report, "ready chain, inlined", s,
                    new Variant("percore Future", ops -> onShard(smp,
                            () -> Future.ready(FutureWorkloads.readyChainPercore(ops)))),
                    new Variant("CompletableFuture", ops -> onShard(smp,
                            () -> Future.ready(FutureWorkloads.readyChainCompletableFuture(ops)))));
            double[] escaping = Interleaved.nanosPerOp(report, "ready chain, every future stored", s,
                    new Variant("percore Future", ops -> onShard(smp,
                            () -> Future.ready(FutureWorkloads.readyChainPercoreEscaping(ops)))),
                    new Variant("CompletableFuture", ops -> onShard(smp,
                            () -> Future.ready(FutureWorkloads.readyChainCompletableFutureEscaping(ops)))));
            double[] later = Interleaved.nanosPerOp(report, "resolved-later chain", s,
                    new Variant("percore Future", ops -> onShard(smp, () -> FutureWorkloads.laterChainPercore(ops))),
                    new Variant("CompletableFuture", ops -> onShard(smp,
                            () -> Future.ready(FutureWorkloads.laterChainCompletableFuture(ops)))));
            double[] consumeReady = Interleaved.nanosPerOp(report, "consume a ready future", s,
                    new Variant("Async.await", ops -> onShard(smp, () -> FutureWorkloads.awaitReady(ops))),
                    new Variant("flatMap", ops -> onShard(smp, () -> Future.ready(FutureWorkloads.flatMapReady(ops)))));
            double[] pending = Interleaved.nanosPerOp(report, "consume a pending future", s,
                    new Variant("Async.await", ops -> onShard(smp, () -> FutureWorkloads.awaitPending(ops))),
                    new Variant("flatMap (Futures.repeat)", ops -> onShard(smp, () -> FutureWorkloads.flatMapPending(ops))));
            double[] run = Interleaved.nanosPerOp(report, "Async.run of a body that never waits", s,
                    new Variant("Async.run", ops -> onShard(smp, () -> Future.ready(FutureWorkloads.asyncRun(ops)))));

            // What each chain allocates (shard thread, bytes per chain): the stored ready chains and the chains
            // resolved later are allocation-bound, so this is the floor under their times.
            long ops = quick ? 10_000 : 200_000;
            long shardThread = onShard(smp, () -> Future.ready(Thread.currentThread().threadId()));
            double readyBytes = bytesPerOp(smp, shardThread, ops,
                    () -> Future.ready(FutureWorkloads.readyChainPercoreEscaping(ops)));
            double readyBytesCf = bytesPerOp(smp, shardThread, ops,
                    () -> Future.ready(FutureWorkloads.readyChainCompletableFutureEscaping(ops)));
            double laterBytes = bytesPerOp(smp, shardThread, ops, () -> FutureWorkloads.laterChainPercore(ops));
            double laterBytesCf = bytesPerOp(smp, shardThread, ops,
                    () -> Future.ready(FutureWorkloads.laterChainCompletableFuture(ops)));
            report.line("  bytes allocated per chain: ready stored %s (CompletableFuture %s), resolved later %s (%s)",
                    Report.format(readyBytes), Report.format(readyBytesCf), Report.format(laterBytes),
                    Report.format(laterBytesCf));

            report.figure("future_chain_ready_ns", escaping[0], "ns");
            report.figure("completablefuture_chain_ready_ns", escaping[1], "ns");
            report.figure("future_chain_ready_vs_completablefuture", escaping[1] / escaping[0], "x");
            report.figure("future_chain_ready_inlined_ns", ready[0], "ns");
            report.figure("completablefuture_chain_ready_inlined_ns", ready[1], "ns");
            report.figure("future_chain_ready_inlined_vs_completablefuture", ready[1] / ready[0], "x");
            report.figure("future_chain_later_ns", later[0], "ns");
            report.figure("completablefuture_chain_later_ns", later[1], "ns");
            report.figure("future_chain_later_vs_completablefuture", later[1] / later[0], "x");
            report.figure("async_await_ready_ns", consumeReady[0], "ns");
            report.figure("flatmap_ready_ns", consumeReady[1], "ns");
            report.figure("async_await_pending_ns", pending[0], "ns");
            report.figure("flatmap_pending_ns", pending[1], "ns");
            report.figure("async_await_pending_cost_over_flatmap", pending[0] / pending[1], "x");
            report.figure("async_run_ns", run[0], "ns");
            report.figure("future_chain_ready_bytes", readyBytes, "B");
            report.figure("completablefuture_chain_ready_bytes", readyBytesCf, "B");
            report.figure("future_chain_later_bytes", laterBytes, "B");
            report.figure("completablefuture_chain_later_bytes", laterBytesCf, "B");
        } finally {
            smp.stop();
        }
    }

    private static long onShard(Smp smp, Supplier<Future<Long>> work) throws Exception {
        return Shards.call(smp, 0, work);
    }

    /**
     * Runs {@code work} (which does {@code ops} operations on shard 0) twice, and returns the bytes the shard
     * thread allocated per operation during the second run (the first warms it up). The hand-off's own few
     * objects are spread over the operations.
     */
    private static double bytesPerOp(Smp smp, long shardThread, long ops, Supplier<Future<Long>> work) throws Exception {
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        onShard(smp, work);
        long before = threads.getThreadAllocatedBytes(shardThread);
        onShard(smp, work);
        return (double) (threads.getThreadAllocatedBytes(shardThread) - before) / ops;
    }
}
