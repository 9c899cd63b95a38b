package io.percore.smp;

import static io.percore.smp.SmpTesting.failureOn;
import static io.percore.smp.SmpTesting.on;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.percore.core.Future;
import io.percore.core.Promise;
import io.percore.core.ReactorConfig;
import io.percore.core.Shard;
import io.percore.core.Timer;
import io.percore.core.sync.Gate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@link Sharded}: one instance per shard, made and used on its shard, stopped last shard first. */
class ShardedTest {
    private Smp smp;
    /** What the services did, in order, from every shard. */
    private final ConcurrentLinkedQueue<String> events = new ConcurrentLinkedQueue<>();
    private final AtomicInteger created = new AtomicInteger();

    @AfterEach
    void stopShards() {
        if (smp != null) {
            smp.stop();
        }
    }

    private void start(int shards) {
        smp = Smp.start(SmpConfig.of(shards, ReactorConfig.defaults()), r -> { });
    }

    /** A per-shard service that records where it was made and when it stops. */
    final class Counter implements Service {
        final int id;
        final int createdOn;
        final Thread thread;
        int calls;
        Duration stopTakes = Duration.ZERO;

        Counter(int id) {
            this.id = id;
            this.createdOn = Shard.currentId();
            this.thread = Thread.currentThread();
            created.incrementAndGet();
        }

        @Override
        public Future<Void> stop() {
            events.add("stop " + id + " on " + Shard.currentId());
            if (stopTakes.isZero()) {
                events.add("stopped " + id);
                return Future.done();
            }
            // A stop that takes a while: the next shard's stop must wait for it.
            return Timer.sleep(stopTakes).thenAccept(v -> events.add("stopped " + id));
        }
    }

    private Sharded<Counter> startService(int n) throws Exception {
        Sharded<Counter> s = on(smp, 0, () -> Sharded.start(Counter::new));
        assertEquals(n, created.get(), "one instance per shard");
        return s;
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 4})
    void startMakesOneInstancePerShardOnThatShard(int n) throws Exception {
        start(n);
        Sharded<Counter> s = startService(n);
        for (int shard = 0; shard < n; shard++) {
            int expected = shard;
            Counter local = on(smp, shard, () -> Future.ready(s.local()));
            assertEquals(expected, local.id);
            assertEquals(expected, local.createdOn, "constructed on its own shard");
            assertSame(smp.shard(shard), local.thread);
            assertSame(local, on(smp, shard, () -> Future.ready(s.local())), "local() is stable");
        }
        assertThrows(IllegalStateException.class, s::local, "local() off-shard");
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 4})
    void invokeOnInvokeOnAllAndMapReduceReachTheRightInstances(int n) throws Exception {
        start(n);
        Sharded<Counter> s = startService(n);
        for (int from = 0; from < n; from++) {
            for (int to = 0; to < n; to++) {
                int target = to;
                String where = on(smp, from, () -> s.invokeOn(target, c -> {
                    c.calls++;
                    return Future.ready(c.id + "@" + Shard.currentId());
                }));
                assertEquals(to + "@" + to, where);
            }
        }
        on(smp, n - 1, () -> s.invokeOnAll(c -> {
            assertSame(s.local(), c, "each shard's call gets that shard's instance");
            c.calls += 100;
            return Future.done();
        }));
        // Each instance: n calls through invokeOn (one from each shard) plus 100 from invokeOnAll, once.
        int total = on(smp, 0, () -> s.mapReduce(c -> Future.ready(c.calls), 0, Integer::sum));
        assertEquals(n * (n + 100), total);
        int ids = on(smp, 1, () -> s.mapReduce(c -> Future.ready(1 << c.id), 0, Integer::sum));
        assertEquals((1 << n) - 1, ids, "each instance mapped exactly once");
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 4})
    void stopStopsInReverseShardOrderEachOnItsShard(int n) throws Exception {
        start(n);
        Sharded<Counter> s = startService(n);
        // Shard 2 (or 1) takes a while to stop: the lower shards must not start stopping before it finished.
        int slow = n / 2;
        on(smp, slow, () -> {
            s.local().stopTakes = Duration.ofMillis(30);
            return Future.done();
        });
        on(smp, 0, s::stop);
        List<String> expected = new ArrayList<>();
        for (int i = n - 1; i >= 0; i--) {
            expected.add("stop " + i + " on " + i);
            expected.add("stopped " + i);
        }
        assertEquals(expected, new ArrayList<>(events));
        for (int shard = 0; shard < n; shard++) {
            Throwable noLocal = failureOn(smp, shard, () -> Future.ready(s.local()));
            assertInstanceOf(IllegalStateException.class, noLocal, "local() after stop");
            assertTrue(noLocal.getMessage().contains("no instance on shard " + shard), noLocal.getMessage());
            int target = shard;
            assertInstanceOf(IllegalStateException.class, failureOn(smp, 0, () -> s.invokeOn(target, c -> Future.done())));
        }
        assertInstanceOf(IllegalStateException.class, failureOn(smp, 0, () -> s.invokeOnAll(c -> Future.done())));
        // A second stop is harmless and stops nothing twice.
        on(smp, 0, s::stop);
        assertEquals(expected, new ArrayList<>(events));
    }

    @Test
    void stopWaitsForCallsInFlightAndRefusesNewOnes() throws Exception {
        start(2);
        Sharded<Counter> s = startService(2);
        AtomicReference<Promise<String>> held = new AtomicReference<>();
        // A call on shard 1 that waits on a promise released only later by the test.
        CompletableFuture<String> inFlight = smp.submitExternal(0, () -> s.invokeOn(1, c -> {
            Promise<String> p = new Promise<>();
            held.set(p);
            return p;
        }));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(SmpTesting.TIMEOUT_SECONDS);
        while (held.get() == null) {
            assertTrue(System.nanoTime() < deadline, "the call never reached shard 1");
            Thread.sleep(1);
        }
        CompletableFuture<Void> stopped = smp.submitExternal(0, s::stop);
        Thread.sleep(100);
        assertFalse(stopped.isDone(), "stop waits for the call in flight");
        assertTrue(events.isEmpty(), "no instance stopped while a call is inside: " + events);

        // Stop has begun on shard 1: its gate is closed to new calls.
        Throwable refused = failureOn(smp, 0, () -> s.invokeOn(1, c -> Future.ready("late")));
        assertInstanceOf(Gate.ClosedException.class, refused);
        Throwable refusedAll = failureOn(smp, 1, () -> s.invokeOnAll(c -> Future.done()));
        assertInstanceOf(IllegalStateException.class, refusedAll);

        on(smp, 1, () -> {
            held.get().setValue("finished");
            return Future.done();
        });
        assertEquals("finished", inFlight.get(SmpTesting.TIMEOUT_SECONDS, TimeUnit.SECONDS),
                "the call in flight completes normally");
        stopped.get(SmpTesting.TIMEOUT_SECONDS, TimeUnit.SECONDS);
        assertEquals(List.of("stop 1 on 1", "stopped 1", "stop 0 on 0", "stopped 0"), new ArrayList<>(events));
    }

    @Test
    void stopWaitsForInvokeOnAllWorkStillRunning() throws Exception {
        start(2);
        Sharded<Counter> s = startService(2);
        // invokeOnAll's work on shard 0 takes 50 ms; a stop issued meanwhile must wait for it. Both are sent from
        // shard 1 (the work first), and a link is FIFO, so the work is inside shard 0's gate before stop gets there.
        CompletableFuture<Void> all = smp.submitExternal(1, () -> s.invokeOnAll(
                c -> c.id == 0 ? Timer.sleep(Duration.ofMillis(50)).thenAccept(v -> events.add("call done 0"))
                               : Future.done()));
        on(smp, 1, s::stop);
        all.get(SmpTesting.TIMEOUT_SECONDS, TimeUnit.SECONDS);
        List<String> seen = new ArrayList<>(events);
        assertTrue(seen.indexOf("call done 0") >= 0 && seen.indexOf("call done 0") < seen.indexOf("stop 0 on 0"),
                "shard 0 stopped only after its call finished: " + seen);
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 4})
    void factoryThatThrowsFailsStartAndStopsTheInstancesAlreadyMade(int n) throws Exception {
        start(n);
        int failing = n - 1;
        AtomicReference<RuntimeException> made = new AtomicReference<>();
        Throwable got = failureOn(smp, 0, () -> Sharded.start(id -> {
            if (id == failing) {
                RuntimeException e = new IllegalStateException("no instance on shard " + id);
                made.set(e);
                throw e;
            }
            return new Counter(id);
        }));
        assertSame(made.get(), got, "start fails with the factory's exception");
        assertEquals(n - 1, created.get());
        List<String> seen = new ArrayList<>(events);
        for (int i = 0; i < n; i++) {
            if (i == failing) {
                assertFalse(seen.contains("stop " + i + " on " + i), "nothing was made on shard " + i);
            } else {
                assertTrue(seen.contains("stop " + i + " on " + i), "instance " + i + " stopped on its shard: " + seen);
                assertTrue(seen.contains("stopped " + i));
            }
        }
        assertEquals(2 * (n - 1), seen.size(), "each made instance stopped once: " + seen);
    }

    @Test
    void startNeedsAShardThread() {
        start(2);
        assertThrows(IllegalStateException.class, () -> Sharded.start(Counter::new));
        assertEquals(0, created.get());
    }
}
