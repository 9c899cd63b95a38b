package io.percore.core;

import static io.percore.core.OnShard.call;
import static io.percore.core.OnShard.callFailure;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.percore.smp.Smp;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Async bodies over JDK continuations: await of ready, pending and failed futures, nesting, interleaving. */
class AsyncTest {
    static Smp smp;

    @BeforeAll
    static void startShards() {
        smp = OnShard.start(1, ReactorConfig.defaults());
    }

    @AfterAll
    static void stopShards() {
        smp.stop();
    }

    @Test
    void awaitOfAReadyFutureDoesNotSuspend() {
        String r = call(smp, 0, () -> {
            Future<Integer> f = Async.run(() -> Async.await(Future.ready(5)) + 1);
            assertTrue(f.isDone(), "a body that awaits only ready futures finishes inside run()");
            return f.map(v -> "value " + v);
        });
        assertEquals("value 6", r);
    }

    @Test
    void awaitOfAPendingFutureSuspendsTheBodyUntilItIsDone() {
        String r = call(smp, 0, () -> {
            List<String> log = new ArrayList<>();
            Promise<String> p = new Promise<>();
            Future<String> body = Async.run(() -> {
                log.add("body starts");
                String v = Async.await(p);
                log.add("body resumes with " + v);
                return v.toUpperCase();
            });
            log.add("run returned");
            assertFalse(body.isDone());
            p.setValue("x");
            log.add("promise set");
            return body.map(v -> String.join(", ", log) + " -> " + v);
        });
        assertEquals("body starts, run returned, promise set, body resumes with x -> X", r);
    }

    @Test
    void awaitOfAFailedFutureRethrowsUncheckedAsIsAndWrapsChecked() {
        IllegalArgumentException unchecked = new IllegalArgumentException("unchecked");
        IOException checked = new IOException("checked");
        AssertionError error = new AssertionError("error");
        String r = call(smp, 0, () -> Async.run(() -> {
            List<String> seen = new ArrayList<>();
            try {
                Async.await(Future.failed(unchecked));
            } catch (IllegalArgumentException e) {
                assertSame(unchecked, e);
                seen.add("ready unchecked");
            }
            try {
                Async.await(Future.failed(checked));
            } catch (CompletionException e) {
                assertSame(checked, e.getCause());
                seen.add("ready checked");
            }
            try {
                Async.await(Future.failed(error));
            } catch (AssertionError e) {
                assertSame(error, e);
                seen.add("ready error");
            }
            try {
                Async.await(Timer.sleep(Duration.ofMillis(1)).then(() -> Future.failed(unchecked)));
            } catch (IllegalArgumentException e) {
                assertSame(unchecked, e);
                seen.add("pending unchecked");
            }
            try {
                Async.await(Timer.sleep(Duration.ofMillis(1)).then(() -> Future.failed(checked)));
            } catch (CompletionException e) {
                assertSame(checked, e.getCause());
                seen.add("pending checked");
            }
            return String.join(", ", seen);
        }));
        assertEquals("ready unchecked, ready checked, ready error, pending unchecked, pending checked", r);
    }

    @Test
    void aThrowingBodyFailsItsFuture() {
        IOException checked = new IOException("from the body");
        assertSame(checked, callFailure(smp, 0, () -> Async.run(() -> {
            Async.sleep(Duration.ofMillis(1));
            throw checked;
        })));
        IllegalStateException unchecked = new IllegalStateException("before any await");
        assertSame(unchecked, callFailure(smp, 0, () -> Async.run(() -> {
            throw unchecked;
        })));
    }

    @Test
    void nestedBodiesSuspendIndependently() {
        String r = call(smp, 0, () -> Async.run(() -> {
            List<String> log = new ArrayList<>();
            Future<Integer> inner = Async.run(() -> {
                log.add("inner starts");
                Async.sleep(Duration.ofMillis(2));
                log.add("inner resumes");
                return 40;
            });
            log.add("outer goes on while inner waits");
            int v = Async.await(inner) + Async.await(Async.run(() -> 2));
            log.add("outer has " + v);
            return String.join(", ", log);
        }));
        assertEquals("inner starts, outer goes on while inner waits, inner resumes, outer has 42", r);
    }

    @Test
    void manyBodiesInterleaveOnOneShardThread() {
        int bodies = 100;
        int rounds = 5;
        String r = call(smp, 0, () -> {
            Thread shard = Thread.currentThread();
            List<Integer> log = new ArrayList<>();
            List<Future<Void>> all = new ArrayList<>();
            for (int i = 0; i < bodies; i++) {
                int id = i;
                all.add(Async.run(() -> {
                    for (int k = 0; k < rounds; k++) {
                        assertSame(shard, Thread.currentThread());
                        assertEquals(0, Shard.currentId());
                        log.add(id);
                        Async.await(Reactor.yieldNow());
                    }
                    return null;
                }));
            }
            return Futures.whenAll(all).map(v -> {
                assertEquals(bodies * rounds, log.size());
                // Round-robin: every body takes one step before any takes the next.
                for (int k = 0; k < log.size(); k++) {
                    assertEquals(k % bodies, log.get(k), "step " + k);
                }
                return "ok";
            });
        });
        assertEquals("ok", r);
    }

    @Test
    void aBodyStaysOnItsShardAndInItsSchedulingGroup() {
        String r = call(smp, 0, () -> TestGroups.OTHER.run(() -> Async.run(() -> {
            Thread before = Thread.currentThread();
            Async.sleep(Duration.ofMillis(1));
            Async.await(Reactor.yieldNow());
            assertSame(before, Thread.currentThread());
            return "shard " + Shard.currentId() + ", group " + SchedulingGroup.current().name();
        })));
        assertEquals("shard 0, group " + TestGroups.OTHER.name(), r);
    }

    @Test
    void sleepSuspendsForTheDelay() {
        long took = call(smp, 0, () -> Async.run(() -> {
            long start = System.nanoTime();
            Async.sleep(Duration.ofMillis(5));
            return System.nanoTime() - start;
        }));
        assertTrue(took >= 5_000_000L, "slept " + OnShard.ms(took) + " ms");
    }

    @Test
    void awaitOutsideABodyIsRefused() {
        Throwable e = callFailure(smp, 0, () -> {
            Async.await(new Promise<Integer>());
            return Future.done();
        });
        assertInstanceOf(IllegalStateException.class, e);
        // Nor in a continuation that runs later, outside the body that attached it.
        Throwable later = callFailure(smp, 0, () -> {
            Promise<Integer> p = new Promise<>();
            Future<Integer> d = p.map(v -> Async.await(new Promise<Integer>()));
            p.setValue(1);
            return d;
        });
        assertInstanceOf(IllegalStateException.class, later);
        assertThrows(IllegalStateException.class, () -> Async.await(new Promise<Integer>()));
        assertThrows(IllegalStateException.class, () -> Async.run(() -> 1));
    }

    @Test
    void maybeYieldWithQuotaLeftDoesNotSuspend() {
        // A noisy machine may stall the shard past its 0.5 ms quota once; not five times in a row.
        boolean suspendedEveryTime = true;
        for (int i = 0; i < 5 && suspendedEveryTime; i++) {
            suspendedEveryTime = call(smp, 0, () -> {
                Future<String> f = Async.run(() -> {
                    Async.maybeYield();
                    return "done";
                });
                return Future.ready(!f.isDone());
            });
        }
        assertFalse(suspendedEveryTime, "maybeYield suspended a body that had quota left");
    }
}
