package io.percore.smp;

import static io.percore.smp.SmpTesting.failureOn;
import static io.percore.smp.SmpTesting.on;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.percore.core.Future;
import io.percore.core.Futures;
import io.percore.core.Promise;
import io.percore.core.ReactorConfig;
import io.percore.core.Shard;
import io.percore.core.Timer;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Cross-shard calls through {@link Smp}: round trips, failures, fan-out, and the lifecycle's edges. */
class SmpTest {
    private Smp smp;

    @AfterEach
    void stopShards() {
        if (smp != null) {
            smp.stop();
        }
        assertNull(Smp.current(), "every test leaves no Smp running");
    }

    private Smp start(int shards) {
        smp = Smp.start(SmpConfig.of(shards, ReactorConfig.defaults()), r -> { });
        return smp;
    }

    // ---------------------------------------------------------------- round trips

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 4})
    void roundTripsBetweenEveryOrderedPairAndToItself(int n) throws Exception {
        start(n);
        if (n > CpuSet.allowed().size()) {
            assertFalse(smp.config().pin(), "more shards than CPUs: they share CPUs unpinned");
        }
        for (int from = 0; from < n; from++) {
            int self = from;
            List<String> trips = on(smp, from, () -> {
                assertEquals(n, Smp.count());
                List<Future<String>> all = new ArrayList<>();
                for (int to = 0; to < n; to++) {
                    all.add(Smp.submitTo(to, () -> Future.ready(Shard.currentId()))
                            .map(ranOn -> self + ">" + ranOn + ">" + Shard.currentId()));
                }
                return Futures.whenAll(all);
            });
            List<String> expected = new ArrayList<>();
            for (int to = 0; to < n; to++) {
                expected.add(from + ">" + to + ">" + from);
            }
            assertEquals(expected, trips, "each call ran on its target and its value came back to the caller");
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 4})
    void nestedCallsThatCompleteLaterComeBackToo(int n) throws Exception {
        start(n);
        // Each call, on its target, calls back to the caller before it answers: the target's future is pending
        // when the request is processed, so its completion goes out from a continuation later.
        for (int from = 0; from < n; from++) {
            int self = from;
            List<String> trips = on(smp, from, () -> {
                List<Future<String>> all = new ArrayList<>();
                for (int to = 0; to < n; to++) {
                    all.add(Smp.submitTo(to, () -> {
                        int there = Shard.currentId();
                        return Smp.submitTo(self, () -> Future.ready(Shard.currentId()))
                                .map(back -> there + ">" + back);
                    }).map(s -> self + ">" + s + ">" + Shard.currentId()));
                }
                return Futures.whenAll(all);
            });
            for (int to = 0; to < n; to++) {
                assertEquals(from + ">" + to + ">" + from + ">" + from, trips.get(to));
            }
        }
    }

    @Test
    void manyCallsFromEveryShardToEveryShardAllArriveOnce() throws Exception {
        int n = 4;
        int perPair = 5_000; // far beyond the default ring size of 256: back-pressure under load
        start(n);
        AtomicIntegerArray received = new AtomicIntegerArray(n * n);
        long[] sums = new long[n];
        for (int from = 0; from < n; from++) {
            sums[from] = -1;
        }
        List<CompletableFuture<Long>> senders = new ArrayList<>();
        for (int from = 0; from < n; from++) {
            int self = from;
            senders.add(smp.submitExternal(from, () -> {
                List<Future<Long>> all = new ArrayList<>();
                for (int i = 0; i < perPair; i++) {
                    for (int to = 0; to < n; to++) {
                        long token = (long) self * 1_000_000 + i;
                        all.add(Smp.submitTo(to, () -> {
                            received.incrementAndGet(self * n + Shard.currentId());
                            return Future.ready(token);
                        }));
                    }
                }
                return Futures.mapReduce(all, f -> f, 0L, Long::sum);
            }));
        }
        for (int from = 0; from < n; from++) {
            long sum = senders.get(from).get(SmpTesting.TIMEOUT_SECONDS, TimeUnit.SECONDS);
            long base = (long) from * 1_000_000;
            long expected = n * (perPair * base + (long) perPair * (perPair - 1) / 2);
            assertEquals(expected, sum, "every value came back exactly once to shard " + from);
        }
        for (int i = 0; i < n * n; i++) {
            assertEquals(perPair, received.get(i), "calls from " + i / n + " run on " + i % n);
        }
    }

    // ---------------------------------------------------------------- failures cross intact

    /** An application's checked exception. */
    static final class AppException extends IOException {
        AppException(String m) {
            super(m);
        }
    }

    /** An error, not an exception: must cross too. */
    static final class AppError extends Error {
        AppError(String m) {
            super(m);
        }
    }

    @Test
    void failedFutureCrossesBackAsTheSameObject() throws Exception {
        start(2);
        AtomicReference<Throwable> made = new AtomicReference<>();
        Throwable got = failureOn(smp, 0, () -> Smp.submitTo(1, () -> {
            AppException e = new AppException("on shard " + Shard.currentId());
            made.set(e);
            return Future.failed(e);
        }));
        assertInstanceOf(AppException.class, got);
        assertSame(made.get(), got);
        assertEquals("on shard 1", got.getMessage());
    }

    @Test
    void exceptionThrownByTheWorkCrossesBackAsTheSameObject() throws Exception {
        start(2);
        AtomicReference<Throwable> made = new AtomicReference<>();
        Throwable got = failureOn(smp, 1, () -> Smp.submitTo(0, () -> {
            IllegalArgumentException e = new IllegalArgumentException("thrown on " + Shard.currentId());
            made.set(e);
            throw e;
        }));
        assertInstanceOf(IllegalArgumentException.class, got);
        assertSame(made.get(), got);
    }

    @Test
    void errorThrownByTheWorkCrossesBackAsTheSameObject() throws Exception {
        start(2);
        AtomicReference<Throwable> made = new AtomicReference<>();
        Throwable got = failureOn(smp, 0, () -> Smp.submitTo(1, () -> {
            AppError e = new AppError("fatal on " + Shard.currentId());
            made.set(e);
            throw e;
        }));
        assertInstanceOf(AppError.class, got);
        assertSame(made.get(), got);
    }

    @Test
    void failureThatArrivesLaterCrossesBackAsTheSameObject() throws Exception {
        start(2);
        AtomicReference<Throwable> made = new AtomicReference<>();
        Throwable got = failureOn(smp, 0, () -> Smp.submitTo(1, () -> {
            Promise<String> p = new Promise<>();
            new Timer(() -> {
                AppException e = new AppException("late");
                made.set(e);
                p.setException(e);
            }).arm(Duration.ofMillis(5));
            return p;
        }));
        assertInstanceOf(AppException.class, got);
        assertSame(made.get(), got);
    }

    @Test
    void workReturningNullFailsWithNullPointerException() throws Exception {
        start(2);
        Throwable got = failureOn(smp, 0, () -> Smp.submitTo(1, () -> null));
        assertInstanceOf(NullPointerException.class, got);
    }

    @Test
    void theLinkStaysUsableAfterFailures() throws Exception {
        start(2);
        int v = on(smp, 0, () -> {
            List<Future<Integer>> all = new ArrayList<>();
            for (int i = 0; i < 1000; i++) {
                int x = i;
                all.add(Smp.submitTo(1, () -> {
                    if (x % 3 == 0) {
                        throw new IllegalStateException("odd one " + x);
                    }
                    return Future.ready(x);
                }).handle((val, e) -> e == null ? val : -1));
            }
            return Futures.mapReduce(all, f -> f, 0, Integer::sum);
        });
        int expected = 0;
        for (int i = 0; i < 1000; i++) {
            expected += i % 3 == 0 ? -1 : i;
        }
        assertEquals(expected, v);
    }

    // ---------------------------------------------------------------- fan-out

    @ParameterizedTest
    @ValueSource(ints = {2, 4})
    void invokeOnAllRunsExactlyOnceOnEachShardAndWaitsForAll(int n) throws Exception {
        start(n);
        AtomicIntegerArray runs = new AtomicIntegerArray(n);
        AtomicIntegerArray finished = new AtomicIntegerArray(n);
        int[] seenWhenDone = on(smp, n - 1, () -> Smp.invokeOnAll(() -> {
            int id = Shard.currentId();
            runs.incrementAndGet(id);
            // Every shard finishes later, shard 0 last, so "done" must wait for the slowest.
            return Timer.sleep(Duration.ofMillis(5L * (n - id))).thenAccept(v -> finished.incrementAndGet(id));
        }).map(v -> {
            int[] seen = new int[n];
            for (int i = 0; i < n; i++) {
                seen[i] = finished.get(i);
            }
            return seen;
        }));
        for (int i = 0; i < n; i++) {
            assertEquals(1, seenWhenDone[i], "shard " + i + " had finished when invokeOnAll completed");
        }
        Thread.sleep(50);
        for (int i = 0; i < n; i++) {
            assertEquals(1, runs.get(i), "ran exactly once on shard " + i);
        }
    }

    @Test
    void invokeOnAllFailsWithTheFailureOfAShard() throws Exception {
        start(4);
        AtomicReference<Throwable> made = new AtomicReference<>();
        AtomicIntegerArray runs = new AtomicIntegerArray(4);
        Throwable got = failureOn(smp, 0, () -> Smp.invokeOnAll(() -> {
            runs.incrementAndGet(Shard.currentId());
            if (Shard.currentId() == 2) {
                AppException e = new AppException("shard 2 fails");
                made.set(e);
                return Future.failed(e);
            }
            return Future.done();
        }));
        assertSame(made.get(), got);
        for (int i = 0; i < 4; i++) {
            assertEquals(1, runs.get(i), "the other shards still ran: " + i);
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 4})
    void mapReduceSumsShardIds(int n) throws Exception {
        start(n);
        for (int caller = 0; caller < n; caller++) {
            int sum = on(smp, caller, () -> Smp.mapReduce(() -> Future.ready(Shard.currentId()), 0, Integer::sum));
            assertEquals(n * (n - 1) / 2, sum);
            // Distinct powers of two: each shard contributes exactly once.
            int mask = on(smp, caller, () -> Smp.mapReduce(() -> Future.ready(1 << Shard.currentId()), 0, (a, b) -> a + b));
            assertEquals((1 << n) - 1, mask);
        }
    }

    // ---------------------------------------------------------------- misuse and lifecycle

    @Test
    void submitToAnInvalidShardFailsClearly() throws Exception {
        start(2);
        Throwable tooBig = failureOn(smp, 0, () -> Smp.submitTo(2, Future::done));
        assertInstanceOf(IllegalArgumentException.class, tooBig);
        assertTrue(tooBig.getMessage().contains("no shard 2"), tooBig.getMessage());
        assertTrue(tooBig.getMessage().contains("there are 2"), tooBig.getMessage());
        Throwable negative = failureOn(smp, 1, () -> Smp.submitTo(-1, Future::done));
        assertInstanceOf(IllegalArgumentException.class, negative);
        assertTrue(negative.getMessage().contains("no shard -1"), negative.getMessage());

        ExecutionException ext = assertThrows(ExecutionException.class,
                () -> smp.submitExternal(7, Future::done).get(5, TimeUnit.SECONDS));
        assertInstanceOf(IllegalArgumentException.class, ext.getCause());
        assertTrue(ext.getCause().getMessage().contains("no shard 7"), ext.getCause().getMessage());
    }

    @Test
    void submitToOffShardThrowsIllegalStateException() {
        start(2);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> Smp.submitTo(0, Future::done));
        assertTrue(e.getMessage().contains("shard thread"), e.getMessage());
        assertThrows(IllegalStateException.class, () -> Smp.invokeOnAll(Future::done));
        assertThrows(IllegalStateException.class, () -> Smp.mapReduce(() -> Future.ready(1), 0, Integer::sum));
    }

    @Test
    void startWhileOneIsRunningThrowsAndLeavesTheRunningOneAlone() throws Exception {
        start(2);
        SmpConfig config = SmpConfig.of(1, ReactorConfig.defaults());
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> Smp.start(config, r -> { }));
        assertTrue(e.getMessage().contains("already running"), e.getMessage());
        assertSame(smp, Smp.current());
        assertEquals(1, on(smp, 0, () -> Smp.submitTo(1, () -> Future.ready(Shard.currentId()))));

        smp.stop();
        smp = null;
        // Once stopped, a new one may start.
        start(1);
        assertEquals(0, on(smp, 0, () -> Future.ready(Shard.currentId())));
    }

    @Test
    void workSubmittedAfterStopIsRejected() throws Exception {
        start(2);
        Smp stopped = smp;
        stopped.stop();
        smp = null;
        for (int shard = 0; shard < 2; shard++) {
            int target = shard;
            ExecutionException e = assertThrows(ExecutionException.class,
                    () -> stopped.submitExternal(target, Future::done).get(5, TimeUnit.SECONDS));
            assertInstanceOf(RejectedExecutionException.class, e.getCause());
        }
        assertNull(Smp.current());
        assertThrows(IllegalStateException.class, Smp::count);
        stopped.stop(); // idempotent
    }

    @Test
    void callsMadeWhileShardsAreStoppingAreRejected() throws Exception {
        start(2);
        Smp running = smp;
        CompletableFuture<List<Throwable>> seen = new CompletableFuture<>();
        // Shard 0 waits (blocking its thread on purpose) until stop() has stopped shard 1, then calls out; stop()
        // stops shard 0 only after that, so the calls are made while the Smp is stopping.
        CountDownLatch entered = new CountDownLatch(1);
        CompletableFuture<Void> waiting = running.submitExternal(0, () -> {
            entered.countDown();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (!running.shard(1).reactor().isStopped() && System.nanoTime() < deadline) {
                Thread.onSpinWait();
            }
            List<Throwable> failures = new ArrayList<>();
            failures.add(Smp.submitTo(1, Future::done).failure());
            failures.add(Smp.submitTo(0, Future::done).failure());
            seen.complete(failures);
            return Future.done();
        });
        // Stop only once shard 0 runs the task: a task still in its inbox at stop would be dropped.
        assertTrue(entered.await(SmpTesting.TIMEOUT_SECONDS, TimeUnit.SECONDS));
        smp = null;
        running.stop();
        List<Throwable> failures = seen.get(SmpTesting.TIMEOUT_SECONDS, TimeUnit.SECONDS);
        for (Throwable t : failures) {
            assertNotNull(t, "a call while stopping must fail at once");
            assertInstanceOf(RejectedExecutionException.class, t);
        }
        assertTrue(waiting.isDone());
    }

    @Test
    void failedStartStopsTheShardsAlreadyStartedAndAllowsAnotherStart() throws Exception {
        List<Thread> started = new java.util.concurrent.CopyOnWriteArrayList<>();
        IllegalStateException boom = new IllegalStateException("init fails on shard 1");
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> Smp.start(SmpConfig.of(2, ReactorConfig.defaults()), r -> {
                    started.add(Thread.currentThread());
                    if (r.shardId() == 1) {
                        throw boom;
                    }
                }));
        assertTrue(e.getMessage().contains("shard 1"), e.getMessage());
        assertSame(boom, e.getCause());
        assertNull(Smp.current(), "a failed start leaves no Smp behind");
        assertEquals(2, started.size());
        for (Thread t : started) {
            t.join(TimeUnit.SECONDS.toMillis(SmpTesting.TIMEOUT_SECONDS));
            assertFalse(t.isAlive(), t.getName() + " was stopped");
        }
        start(2);
        assertEquals(1, on(smp, 0, () -> Smp.submitTo(1, () -> Future.ready(Shard.currentId()))));
    }

    @Test
    void perShardInitRunsOnEachShardBeforeWork() throws Exception {
        AtomicIntegerArray inits = new AtomicIntegerArray(2);
        smp = Smp.start(SmpConfig.of(2, ReactorConfig.defaults()), r -> {
            assertEquals(r.shardId(), Shard.currentId());
            inits.incrementAndGet(r.shardId());
        });
        assertEquals(1, inits.get(0));
        assertEquals(1, inits.get(1));
        Supplier<Future<Integer>> id = () -> Future.ready(Shard.currentId());
        assertEquals(1, on(smp, 1, id));
    }
}
