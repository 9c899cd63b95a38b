package io.percore.bench;

import io.percore.core.Async;
import io.percore.core.Future;
import io.percore.core.Futures;
import io.percore.core.Promise;
import io.percore.core.Reactor;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.BiConsumer;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The future-chain workloads, each written once for percore's {@link Future} and once for
 * {@link CompletableFuture} with the same functions: {@code +1}, {@code *2}, then a flat-map to a ready
 * {@code +3}. Every method runs {@code n} operations where it is called and returns the nanoseconds they took
 * (directly, or as a future of them when the operations need the reactor to run). The methods that say
 * "shard thread" must run on one (through {@code Smp.submitExternal}); the others run on any thread.
 * Results are summed into a volatile sink so the JIT cannot drop the work.
 *
 * <p>Durations are the calling thread's CPU time, not wall-clock time: every workload here runs on one thread,
 * and on a shared machine the wall clock also counts the time other processes held that CPU.
 */
public final class FutureWorkloads {
    private FutureWorkloads() {}

    /** Chains resolved together before the reactor runs their continuations. */
    static final int BATCH = 256;

    private static final Function<Integer, Integer> PLUS_ONE = x -> x + 1;
    private static final Function<Integer, Integer> TIMES_TWO = x -> x * 2;
    private static final Function<Integer, Future<Integer>> READY_PLUS_THREE = x -> Future.ready(x + 3);
    private static final Function<Integer, CompletionStage<Integer>> COMPLETED_PLUS_THREE =
            x -> CompletableFuture.completedFuture(x + 3);
    private static final Future<Boolean> STOP = Future.ready(Boolean.TRUE);
    private static final Future<Boolean> GO_ON = Future.ready(Boolean.FALSE);

    @SuppressWarnings("unused")
    private static volatile long sink;

    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    /** @return the calling thread's CPU time in nanoseconds */
    public static long cpuNanos() {
        return THREADS.getCurrentThreadCpuTime();
    }

    /** {@code Future.ready(i).map(+1).map(*2).flatMap(ready +3)}, {@code n} times. Any thread (a shard's for the figures). */
    public static long readyChainPercore(long n) {
        long sum = 0;
        long t0 = cpuNanos();
        for (long i = 0; i < n; i++) {
            sum += Future.ready((int) i).map(PLUS_ONE).map(TIMES_TWO).flatMap(READY_PLUS_THREE).getNow();
        }
        long t = cpuNanos() - t0;
        sink += sum;
        return t;
    }

    /** The same chain from {@code CompletableFuture.completedFuture(i)} with thenApply/thenCompose. Any thread. */
    public static long readyChainCompletableFuture(long n) {
        long sum = 0;
        long t0 = cpuNanos();
        for (long i = 0; i < n; i++) {
            sum += CompletableFuture.completedFuture((int) i).thenApply(PLUS_ONE).thenApply(TIMES_TWO)
                    .thenCompose(COMPLETED_PLUS_THREE).getNow(0);
        }
        long t = cpuNanos() - t0;
        sink += sum;
        return t;
    }

    /**
     * {@link #readyChainPercore} with every future of the chain stored to memory (it escapes), so the JIT must
     * allocate and fill each one. Any thread (a shard's for the figures).
     */
    public static long readyChainPercoreEscaping(long n) {
        // Every future goes into this array, so each one must really be allocated (as when the stages live in
        // different methods) rather than scalar-replaced by escape analysis. A fresh (young) array every 256
        // chains keeps the garbage collector's write barrier on its cheap path.
        Object[] keep = new Object[1024];
        long sum = 0;
        long t0 = cpuNanos();
        for (long i = 0; i < n; i++) {
            int k = (int) (i & 255) << 2;
            if (k == 0) {
                keep = new Object[1024];
            }
            Future<Integer> a = Future.ready((int) i);
            keep[k] = a;
            Future<Integer> b = a.map(PLUS_ONE);
            keep[k + 1] = b;
            Future<Integer> c = b.map(TIMES_TWO);
            keep[k + 2] = c;
            Future<Integer> d = c.flatMap(READY_PLUS_THREE);
            keep[k + 3] = d;
            sum += d.getNow();
        }
        long t = cpuNanos() - t0;
        sink += sum;
        return t;
    }

    /** {@link #readyChainCompletableFuture} with every future stored to memory, as {@link #readyChainPercoreEscaping}. */
    public static long readyChainCompletableFutureEscaping(long n) {
        // Every future goes into this array, so each one must really be allocated (as when the stages live in
        // different methods) rather than scalar-replaced by escape analysis. A fresh (young) array every 256
        // chains keeps the garbage collector's write barrier on its cheap path.
        Object[] keep = new Object[1024];
        long sum = 0;
        long t0 = cpuNanos();
        for (long i = 0; i < n; i++) {
            int k = (int) (i & 255) << 2;
            if (k == 0) {
                keep = new Object[1024];
            }
            CompletableFuture<Integer> a = CompletableFuture.completedFuture((int) i);
            keep[k] = a;
            CompletableFuture<Integer> b = a.thenApply(PLUS_ONE);
            keep[k + 1] = b;
            CompletableFuture<Integer> c = b.thenApply(TIMES_TWO);
            keep[k + 2] = c;
            CompletableFuture<Integer> d = c.thenCompose(COMPLETED_PLUS_THREE);
            keep[k + 3] = d;
            sum += d.getNow(0);
        }
        long t = cpuNanos() - t0;
        sink += sum;
        return t;
    }

    /**
     * Builds the chain on {@code n} pending promises, 256 at a time, resolves them, and lets the reactor run the
     * continuations as tasks (three per chain). Shard thread.
     *
     * @return a future of the nanoseconds from the first chain built to the last one done
     */
    public static Future<Long> laterChainPercore(long n) {
        return new LaterChains(n).start();
    }

    /** The batches of {@link #laterChainPercore}: builds one, resolves it, continues when its last chain is done. */
    private static final class LaterChains {
        @SuppressWarnings("unchecked")
        private final Promise<Integer>[] promises = new Promise[BATCH];
        @SuppressWarnings("unchecked")
        private final Future<Integer>[] chains = new Future[BATCH];
        private final Promise<Long> done = new Promise<>();
        private final BiConsumer<Integer, Throwable> onBatchDone = this::batchDone;
        private long remaining;
        private int size;
        private long sum;
        private long t0;

        LaterChains(long n) {
            remaining = n;
        }

        Future<Long> start() {
            t0 = cpuNanos();
            nextBatch();
            return done;
        }

        private void nextBatch() {
            if (remaining == 0) {
                long t = cpuNanos() - t0;
                sink += sum;
                done.setValue(t);
                return;
            }
            size = (int) Math.min(BATCH, remaining);
            remaining -= size;
            for (int k = 0; k < size; k++) {
                Promise<Integer> p = new Promise<>();
                promises[k] = p;
                chains[k] = p.map(PLUS_ONE).map(TIMES_TWO).flatMap(READY_PLUS_THREE);
            }
            for (int k = 0; k < size; k++) {
                promises[k].setValue(k);
            }
            // Continuations run in FIFO order, so the last chain finishes last.
            chains[size - 1].onComplete(onBatchDone);
        }

        private void batchDone(Integer last, Throwable error) {
            if (error != null) {
                done.setException(error);
                return;
            }
            for (int k = 0; k < size; k++) {
                sum += chains[k].getNow();
                chains[k] = null;
                promises[k] = null;
            }
            nextBatch();
        }
    }

    /**
     * The same as {@link #laterChainPercore} with CompletableFuture: chains built on incomplete futures, 256 at a
     * time, then completed; CompletableFuture runs the dependent stages inline in {@code complete}. Any thread.
     */
    @SuppressWarnings("unchecked")
    public static long laterChainCompletableFuture(long n) {
        CompletableFuture<Integer>[] promises = new CompletableFuture[BATCH];
        CompletableFuture<Integer>[] chains = new CompletableFuture[BATCH];
        long sum = 0;
        long remaining = n;
        long t0 = cpuNanos();
        while (remaining > 0) {
            int size = (int) Math.min(BATCH, remaining);
            remaining -= size;
            for (int k = 0; k < size; k++) {
                CompletableFuture<Integer> p = new CompletableFuture<>();
                promises[k] = p;
                chains[k] = p.thenApply(PLUS_ONE).thenApply(TIMES_TWO).thenCompose(COMPLETED_PLUS_THREE);
            }
            for (int k = 0; k < size; k++) {
                promises[k].complete(k);
            }
            for (int k = 0; k < size; k++) {
                sum += chains[k].getNow(null);
            }
        }
        long t = cpuNanos() - t0;
        sink += sum;
        return t;
    }

    /** {@code n} calls of {@code Async.run(() -> 1)}: a body that finishes without suspending. Shard thread. */
    public static long asyncRun(long n) {
        long sum = 0;
        long t0 = cpuNanos();
        for (long i = 0; i < n; i++) {
            sum += Async.run(() -> 1).getNow();
        }
        long t = cpuNanos() - t0;
        sink += sum;
        return t;
    }

    /** Inside one Async body, {@code n} awaits of ready futures. Shard thread. */
    public static Future<Long> awaitReady(long n) {
        return Async.run(() -> {
            long sum = 0;
            long t0 = cpuNanos();
            for (long i = 0; i < n; i++) {
                sum += Async.await(Future.ready((int) i));
            }
            long t = cpuNanos() - t0;
            sink += sum;
            return t;
        });
    }

    /** The flatMap form of {@link #awaitReady}: {@code n} ready futures continued with a flatMap. Any thread. */
    public static long flatMapReady(long n) {
        long[] sum = {0};
        Function<Integer, Future<Void>> consume = v -> {
            sum[0] += v;
            return Future.done();
        };
        long t0 = cpuNanos();
        for (long i = 0; i < n; i++) {
            Future.ready((int) i).flatMap(consume);
        }
        long t = cpuNanos() - t0;
        sink += sum[0];
        return t;
    }

    /**
     * Inside one Async body, {@code n} times: a pending promise, a task scheduled to resolve it, an await of it.
     * Each await suspends the body and resumes it from a task. Shard thread.
     */
    public static Future<Long> awaitPending(long n) {
        Reactor reactor = Reactor.current();
        return Async.run(() -> {
            long sum = 0;
            long t0 = cpuNanos();
            for (long i = 0; i < n; i++) {
                Promise<Integer> p = new Promise<>();
                int v = (int) i;
                reactor.schedule(() -> p.setValue(v));
                sum += Async.await(p);
            }
            long t = cpuNanos() - t0;
            sink += sum;
            return t;
        });
    }

    /** The flatMap form of {@link #awaitPending}: the same loop as {@code Futures.repeat} over a flatMap step. Shard thread. */
    public static Future<Long> flatMapPending(long n) {
        PendingSteps steps = new PendingSteps(n, Reactor.current());
        long t0 = cpuNanos();
        return Futures.repeat(steps).map(v -> {
            long t = cpuNanos() - t0;
            sink += steps.sum;
            return t;
        });
    }

    /** One step: a pending promise, a task that resolves it, a flatMap that consumes the value. */
    private static final class PendingSteps implements Supplier<Future<Boolean>> {
        private final long n;
        private final Reactor reactor;
        private long i;
        long sum;
        private final Function<Integer, Future<Boolean>> consume;

        PendingSteps(long n, Reactor reactor) {
            this.n = n;
            this.reactor = reactor;
            this.consume = v -> {
                sum += v;
                return ++i >= this.n ? STOP : GO_ON;
            };
        }

        @Override
        public Future<Boolean> get() {
            Promise<Integer> p = new Promise<>();
            int v = (int) i;
            reactor.schedule(() -> p.setValue(v));
            return p.flatMap(consume);
        }
    }
}
