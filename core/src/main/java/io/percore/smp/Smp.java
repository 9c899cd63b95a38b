package io.percore.smp;

import io.percore.core.Future;
import io.percore.core.Futures;
import io.percore.core.Reactor;
import io.percore.core.RejectableTask;
import io.percore.core.Shard;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.BinaryOperator;
import java.util.function.Consumer;
import java.util.function.IntFunction;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The set of shards of this process and the messaging between them (Seastar's {@code smp}).
 *
 * <p>{@link #start(SmpConfig, Consumer)} starts one pinned {@link Shard} per CPU and links every ordered pair
 * of shards with a pair of lock-free single-producer rings ({@link SmpQueue}). From a shard thread,
 * {@link #submitTo}, {@link #invokeOnAll} and {@link #mapReduce} run work on other shards and return a local
 * future of its outcome: the call goes out in a batch at the end of the reactor's turn, runs on the target
 * shard, and its value or exception comes back on the reverse ring. Exceptions cross intact (the same object).
 *
 * <p>One Smp runs in a process at a time. {@link #count()}, {@link #submitTo} and friends find it from any
 * shard thread; the non-shard thread that started it uses {@link #submitExternal} and {@link #stop()}.
 */
public final class Smp {
    private static final Logger LOG = LoggerFactory.getLogger(Smp.class);
    private static final java.util.concurrent.atomic.AtomicReference<Smp> RUNNING =
            new java.util.concurrent.atomic.AtomicReference<>();
    private static volatile Smp running;

    private final SmpConfig config;
    private final Shard[] shards;
    private final SmpPoller[] pollers;
    private volatile boolean stopping;

    private Smp(SmpConfig config) {
        this.config = config;
        this.shards = new Shard[config.shards()];
        this.pollers = new SmpPoller[config.shards()];
    }

    /**
     * Starts the shards, links them, and runs {@code perShardInit} on each shard thread before its loop starts
     * (for per-shard set-up such as memory pools). Call from a non-shard thread.
     *
     * @throws IllegalStateException when another Smp is running or a shard cannot start (all started ones are
     * stopped again)
     */
    public static Smp start(SmpConfig config, Consumer<Reactor> perShardInit) {
        Smp smp = new Smp(config);
        if (!RUNNING.compareAndSet(null, smp)) {
            throw new IllegalStateException("an Smp is already running in this process; stop it first");
        }
        running = smp;
        try {
            smp.startShards(perShardInit);
        } catch (RuntimeException e) {
            smp.stopShards(Duration.ofSeconds(10));
            running = null;
            RUNNING.set(null);
            throw e;
        }
        LOG.info("started {} shard(s) on CPUs {}{}, reactor backend {}", config.shards(), config.cpus(),
                config.pin() ? "" : " (not pinned)", config.reactor().backend());
        return smp;
    }

    private void startShards(Consumer<Reactor> perShardInit) {
        int n = config.shards();
        Reactor[] reactors = new Reactor[n];
        for (int i = 0; i < n; i++) {
            int id = i;
            shards[i] = Shard.start(i, config.pin() ? config.cpus().get(i) : -1, config.reactor(), r -> {
                reactors[id] = r;
                if (perShardInit != null) {
                    perShardInit.accept(r);
                }
            });
        }
        // Links need every reactor; build them here, then hand each shard its poller to install on its own thread.
        SmpQueue[][] links = new SmpQueue[n][n];
        for (int from = 0; from < n; from++) {
            for (int to = 0; to < n; to++) {
                if (from != to) {
                    links[from][to] = new SmpQueue(from, to, reactors[from], reactors[to], config.ringSize());
                }
            }
        }
        List<CompletableFuture<Void>> installed = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            SmpQueue[] in = new SmpQueue[n];
            for (int from = 0; from < n; from++) {
                in[from] = links[from][i];
            }
            SmpPoller p = new SmpPoller(i, links[i], in);
            pollers[i] = p;
            CompletableFuture<Void> done = new CompletableFuture<>();
            reactors[i].execute(() -> {
                reactors[p.shardId].addPoller(p);
                done.complete(null);
            });
            installed.add(done);
        }
        CompletableFuture.allOf(installed.toArray(CompletableFuture<?>[]::new)).join();
    }

    /** @return the running Smp, or null. Any thread. */
    public static Smp current() {
        return running;
    }

    private static Smp require() {
        Smp s = running;
        if (s == null) {
            throw new IllegalStateException("no Smp is running");
        }
        return s;
    }

    /** @return the number of shards of the running Smp. Any thread. */
    public static int count() {
        return require().shards.length;
    }

    /** @return the configuration it was started with. */
    public SmpConfig config() {
        return config;
    }

    /** @return shard {@code id}. */
    public Shard shard(int id) {
        return shards[id];
    }

    // ---------------------------------------------------------------- from a shard

    /**
     * Runs {@code work} on shard {@code target} and returns a future, on the calling shard, of its outcome.
     * On the calling shard itself the work runs at once. Shard thread only.
     *
     * @return the work's value, or its exception (the same object), or {@link RejectedExecutionException} when
     * the Smp is stopping
     */
    public static <T> Future<T> submitTo(int target, Supplier<? extends Future<T>> work) {
        Shard self = Shard.current();
        if (self == null) {
            throw new IllegalStateException("submitTo needs a shard thread; use Smp.submitExternal from other threads");
        }
        Smp smp = require();
        if (target < 0 || target >= smp.shards.length) {
            return Future.failed(new IllegalArgumentException(
                    "no shard " + target + " (there are " + smp.shards.length + ")"));
        }
        if (smp.stopping) {
            return Future.failed(new RejectedExecutionException("shards are stopping; shard " + target + " takes no more work"));
        }
        int from = self.shardId();
        if (target == from) {
            return Future.of(work);
        }
        return smp.pollers[from].outgoing[target].submit(work);
    }

    /** Runs {@code work} on every shard (this one included); done when all are, failed like {@link Futures#whenAll}. */
    public static Future<Void> invokeOnAll(Supplier<? extends Future<?>> work) {
        int n = count();
        List<Future<Object>> all = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            @SuppressWarnings({"unchecked", "rawtypes"})
            Future<Object> f = submitTo(i, (Supplier) work);
            all.add(f);
        }
        return Futures.whenAll(all).discardResult();
    }

    /**
     * Runs {@code mapper} on every shard and folds the values on the calling shard as they come back. Shard
     * thread only.
     *
     * @throws IllegalStateException off a shard thread
     */
    public static <R> Future<R> mapReduce(Supplier<? extends Future<R>> mapper, R initial, BinaryOperator<R> reducer) {
        // Check here: Futures.mapReduce would turn submitTo's IllegalStateException into a failed future that an
        // off-shard caller has no loop to observe.
        if (Shard.current() == null) {
            throw new IllegalStateException("mapReduce needs a shard thread; use Smp.submitExternal from other threads");
        }
        int n = count();
        List<Integer> ids = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            ids.add(i);
        }
        return Futures.mapReduce(ids, id -> submitTo(id, mapper), initial, reducer);
    }

    // ---------------------------------------------------------------- from outside

    /**
     * Runs {@code work} on shard {@code target} from a thread that is not a shard (a main thread, a test).
     *
     * @return a CompletableFuture of the outcome, failed with RejectedExecutionException when that shard stopped
     */
    public <T> CompletableFuture<T> submitExternal(int target, Supplier<? extends Future<T>> work) {
        CompletableFuture<T> result = new CompletableFuture<>();
        if (target < 0 || target >= shards.length) {
            result.completeExceptionally(new IllegalArgumentException("no shard " + target));
            return result;
        }
        try {
            shards[target].reactor().execute(new RejectableTask() {
                @Override
                public void run() {
                    Future.of(work).onComplete((v, e) -> {
                        if (e == null) {
                            result.complete(v);
                        } else {
                            result.completeExceptionally(e);
                        }
                    });
                }

                @Override
                public void reject(RejectedExecutionException reason) {
                    result.completeExceptionally(reason);
                }
            });
        } catch (RejectedExecutionException e) {
            result.completeExceptionally(e);
        }
        return result;
    }

    /** Runs {@code work(shardId)} on every shard from a non-shard thread; completes when all did. */
    public CompletableFuture<Void> invokeOnAllExternal(IntFunction<? extends Future<?>> work) {
        List<CompletableFuture<Object>> all = new ArrayList<>();
        for (int i = 0; i < shards.length; i++) {
            int id = i;
            all.add(submitExternal(i, () -> {
                @SuppressWarnings("unchecked")
                Future<Object> f = (Future<Object>) work.apply(id);
                return f;
            }));
        }
        return CompletableFuture.allOf(all.toArray(CompletableFuture<?>[]::new));
    }

    /**
     * Stops every shard, the last first, and waits for their threads. Calls still in flight fail or are dropped;
     * new calls fail with {@link RejectedExecutionException}. Call from a non-shard thread; idempotent.
     */
    public void stop() {
        stopping = true;
        stopShards(Duration.ofSeconds(30));
        if (RUNNING.compareAndSet(this, null)) {
            running = null;
        }
    }

    private void stopShards(Duration timeout) {
        for (int i = shards.length - 1; i >= 0; i--) {
            Shard s = shards[i];
            if (s == null) {
                continue;
            }
            try {
                if (!s.stopAndJoin(timeout)) {
                    LOG.error("shard {} did not stop within {} s", i, timeout.toSeconds());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** @return calls waiting for room on the link from {@code from} to {@code to} (diagnostics; that shard only). */
    static int waitingOn(int from, int to) {
        return require().pollers[from].outgoing[to].waiting();
    }

    /** @return calls in flight on the link from {@code from} to {@code to} (diagnostics; that shard only). */
    static int inFlightOn(int from, int to) {
        return require().pollers[from].outgoing[to].inFlight();
    }
}
