package io.percore.core;

import static io.percore.core.OnShard.call;
import static io.percore.core.OnShard.callFailure;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.percore.smp.Smp;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** Future and Promise: every continuation on ready, failed and pending futures, on and off a shard. */
class FutureTest {
    static Smp smp;

    @BeforeAll
    static void startShards() {
        smp = OnShard.start(1, ReactorConfig.defaults());
    }

    @AfterAll
    static void stopShards() {
        smp.stop();
    }

    static final class Boom extends RuntimeException {
        Boom(String message) {
            super(message);
        }
    }

    // ================================================================ ready and failed futures (no shard needed)

    @Nested
    class ReadyAndFailed {
        @Test
        void readyFutureReportsItsValue() {
            Future<Integer> f = Future.ready(7);
            assertTrue(f.isDone());
            assertTrue(f.isReady());
            assertFalse(f.isFailed());
            assertEquals(7, f.getNow());
            assertNull(f.failure());
        }

        @Test
        void failedFutureReportsItsFailure() {
            Boom boom = new Boom("x");
            Future<Integer> f = Future.failed(boom);
            assertTrue(f.isDone());
            assertFalse(f.isReady());
            assertTrue(f.isFailed());
            CompletionException ce = assertThrows(CompletionException.class, f::getNow);
            assertSame(boom, ce.getCause());
            assertSame(boom, f.failure());
            assertThrows(NullPointerException.class, () -> Future.failed(null));
        }

        @Test
        void pendingFutureHasNeitherValueNorFailure() {
            Promise<Integer> p = new Promise<>();
            assertFalse(p.isDone());
            assertFalse(p.isReady());
            assertFalse(p.isFailed());
            assertNull(p.failure());
            assertThrows(IllegalStateException.class, p::getNow);
            assertSame(p, p.future());
        }

        @Test
        void doneIsASharedReadyFutureOfNull() {
            assertSame(Future.done(), Future.done());
            assertTrue(Future.done().isReady());
            assertNull(Future.done().getNow());
            // A ready future takes any number of continuations.
            assertEquals(1, Future.done().map(v -> 1).getNow());
            assertEquals(2, Future.done().map(v -> 2).getNow());
        }

        @Test
        void ofTurnsExceptionsAndNullIntoFailures() {
            Boom boom = new Boom("of");
            assertEquals(3, Future.of(() -> Future.ready(3)).getNow());
            assertSame(boom, Future.of(() -> {
                throw boom;
            }).failure());
            assertInstanceOf(NullPointerException.class, Future.of(() -> null).failure());
            assertEquals(4, Future.ofValue(() -> 4).getNow());
            Exception checked = new java.io.IOException("io");
            assertSame(checked, Future.ofValue(() -> {
                throw checked;
            }).failure());
        }

        @Test
        void mapAppliesToValuesAndPassesFailures() {
            assertEquals(8, Future.ready(4).map(v -> v * 2).getNow());
            Boom boom = new Boom("m");
            boolean[] ran = {false};
            Future<Integer> failed = Future.<Integer>failed(boom).map(v -> {
                ran[0] = true;
                return v;
            });
            assertFalse(ran[0], "map must not run on a failure");
            assertSame(boom, failed.failure());
            Boom thrown = new Boom("thrown");
            assertSame(thrown, Future.ready(1).map(v -> {
                throw thrown;
            }).failure());
        }

        @Test
        void flatMapReturnsTheInnerOutcome() {
            assertEquals(5, Future.ready(2).flatMap(v -> Future.ready(v + 3)).getNow());
            Boom inner = new Boom("inner");
            assertSame(inner, Future.ready(2).flatMap(v -> Future.failed(inner)).failure());
            Boom outer = new Boom("outer");
            assertSame(outer, Future.<Integer>failed(outer).flatMap(v -> Future.ready(1)).failure());
            Boom thrown = new Boom("thrown");
            assertSame(thrown, Future.ready(1).flatMap(v -> {
                throw thrown;
            }).failure());
            assertInstanceOf(NullPointerException.class, Future.ready(1).flatMap(v -> null).failure());
        }

        @Test
        void flatMapOfReadyToPendingCompletesWithThePendingFuture() {
            // Off-shard, a pending future's continuation runs on the thread that resolves it.
            Promise<Integer> inner = new Promise<>();
            Future<Integer> f = Future.ready(1).flatMap(v -> inner);
            assertFalse(f.isDone());
            inner.setValue(9);
            assertEquals(9, f.getNow());
        }

        @Test
        void thenAndThenAccept() {
            List<String> seen = new ArrayList<>();
            assertEquals("b", Future.ready("a").then(() -> Future.ready("b")).getNow());
            assertNull(Future.ready("x").thenAccept(seen::add).getNow());
            assertEquals(List.of("x"), seen);
            Boom boom = new Boom("t");
            assertSame(boom, Future.failed(boom).then(() -> Future.ready(1)).failure());
            assertSame(boom, Future.ready(1).thenAccept(v -> {
                throw boom;
            }).failure());
        }

        @Test
        void handleSeesValueOrFailureAndMayThrow() {
            assertEquals("v=1 e=null", Future.ready(1).handle((v, e) -> "v=" + v + " e=" + e).getNow());
            Boom boom = new Boom("h");
            assertEquals("v=null e=" + boom,
                    Future.<Integer>failed(boom).handle((v, e) -> "v=" + v + " e=" + e).getNow());
            Boom thrown = new Boom("thrown");
            assertSame(thrown, Future.ready(1).handle((v, e) -> {
                throw thrown;
            }).failure());
        }

        @Test
        void handleExceptionRecoversOnlyFailures() {
            assertEquals(1, Future.ready(1).handleException(e -> -1).getNow());
            assertEquals(-1, Future.<Integer>failed(new Boom("x")).handleException(e -> -1).getNow());
        }

        @Test
        void recoverWithReplacesOnlyFailures() {
            Future<Integer> ok = Future.ready(1);
            assertSame(ok, ok.recoverWith(e -> Future.ready(2)));
            Boom boom = new Boom("r");
            assertEquals(2, Future.<Integer>failed(boom).recoverWith(e -> {
                assertSame(boom, e);
                return Future.ready(2);
            }).getNow());
            Boom thrown = new Boom("thrown");
            assertSame(thrown, Future.<Integer>failed(boom).recoverWith(e -> {
                throw thrown;
            }).failure());
        }

        @Test
        void recoverWithReturningNullFailsInsteadOfReturningNull() {
            Future<Integer> f = Future.<Integer>failed(new Boom("r")).recoverWith(e -> null);
            // Found by this test: the failed-future path returned the null itself.
            assertInstanceOf(NullPointerException.class, f.failure());
        }

        @Test
        void finallyDoRunsTheActionWhateverTheOutcome() {
            List<String> log = new ArrayList<>();
            Future<Integer> ok = Future.ready(1).finallyDo(() -> log.add("ok"));
            assertEquals(1, ok.getNow());
            Boom boom = new Boom("f");
            Future<Integer> failed = Future.<Integer>failed(boom).finallyDo(() -> log.add("failed"));
            assertSame(boom, failed.failure());
            assertEquals(List.of("ok", "failed"), log);
        }

        @Test
        void finallyActionFailureWinsOnlyWhenTheSourceSucceeded() {
            Boom action = new Boom("action");
            assertSame(action, Future.ready(1).finallyDo(() -> {
                throw action;
            }).failure());
            Boom asyncAction = new Boom("async action");
            assertSame(asyncAction, Future.ready(1).finallyDoAsync(() -> Future.failed(asyncAction)).failure());

            Boom source = new Boom("source");
            Boom second = new Boom("second");
            Throwable e = Future.<Integer>failed(source).finallyDo(() -> {
                throw second;
            }).failure();
            assertSame(source, e, "the source's failure wins");
            assertArrayEquals(new Throwable[] {second}, e.getSuppressed());
        }

        @Test
        void onCompleteRunsInlineForDoneFutures() {
            List<String> seen = new ArrayList<>();
            Future.ready("v").onComplete((v, e) -> seen.add(v + "/" + e));
            Boom boom = new Boom("c");
            Future.failed(boom).onComplete((v, e) -> seen.add(v + "/" + e.getMessage()));
            assertEquals(List.of("v/null", "null/c"), seen);
        }

        @Test
        void forwardCompletesThePromise() {
            Promise<Integer> p = new Promise<>();
            Future.ready(3).forward(p);
            assertEquals(3, p.getNow());
            Promise<Integer> q = new Promise<>();
            Boom boom = new Boom("fw");
            Future.<Integer>failed(boom).forward(q);
            assertSame(boom, q.failure());
        }

        @Test
        void discardResultKeepsFailuresOnly() {
            assertNull(Future.ready(5).discardResult().getNow());
            Boom boom = new Boom("d");
            assertSame(boom, Future.failed(boom).discardResult().failure());
        }

        @Test
        void withTimeoutOfADoneFutureIsTheFutureItself() {
            Future<Integer> f = Future.ready(1);
            assertSame(f, f.withTimeout(Duration.ofMillis(1)));
        }

        @Test
        void withTimeoutOffShardOfAPendingFutureIsRefused() {
            assertThrows(IllegalStateException.class, () -> new Promise<Integer>().withTimeout(Duration.ofMillis(1)));
        }
    }

    // ================================================================ promises and the one-continuation rule

    @Nested
    class Promises {
        @Test
        void aPromiseResolvesOnce() {
            Promise<Integer> p = new Promise<>();
            p.setValue(1);
            assertThrows(IllegalStateException.class, () -> p.setValue(2));
            assertThrows(IllegalStateException.class, () -> p.setException(new Boom("late")));
            assertFalse(p.trySetValue(3));
            assertFalse(p.trySetException(new Boom("late")));
            assertEquals(1, p.getNow());

            Promise<Integer> q = new Promise<>();
            Boom boom = new Boom("first");
            assertTrue(q.trySetException(boom));
            assertThrows(IllegalStateException.class, () -> q.setValue(2));
            assertSame(boom, q.failure());
        }

        @Test
        void setExceptionOfNullFailsWithNullPointerException() {
            Promise<Integer> p = new Promise<>();
            p.setException(null);
            assertInstanceOf(NullPointerException.class, p.failure());
        }

        @Test
        void aPendingFutureRejectsASecondContinuation() {
            Promise<Integer> p = new Promise<>();
            p.map(v -> v);
            assertThrows(IllegalStateException.class, () -> p.map(v -> v));
            assertThrows(IllegalStateException.class, () -> p.onComplete((v, e) -> { }));
            assertThrows(IllegalStateException.class, () -> p.finallyDo(() -> { }));
        }

        @Test
        void aPendingFutureOnAShardRejectsASecondContinuation() {
            Throwable e = callFailure(smp, 0, () -> {
                Promise<Integer> p = new Promise<>();
                p.map(v -> v);
                return p.handle((v, x) -> v);
            });
            assertInstanceOf(IllegalStateException.class, e);
        }

        @Test
        void offShardContinuationsRunOnTheResolvingThread() throws Exception {
            Promise<Integer> p = new Promise<>();
            Thread[] ranOn = new Thread[1];
            Future<Integer> d = p.map(v -> {
                ranOn[0] = Thread.currentThread();
                return v + 1;
            });
            Thread resolver = new Thread(() -> p.setValue(1), "resolver");
            resolver.start();
            resolver.join();
            assertSame(resolver, ranOn[0]);
            assertEquals(2, d.getNow());
        }
    }

    // ================================================================ pending futures on a shard

    /** Builds a derived future from a pending promise on shard 0, resolves the promise, returns the result. */
    private static <T, R> R derivedOfPending(T value, Function<Future<T>, Future<R>> derive) {
        return call(smp, 0, () -> {
            Promise<T> p = new Promise<>();
            Future<R> d = derive.apply(p);
            p.setValue(value);
            return d;
        });
    }

    private static <T, R> Throwable derivedOfFailedPending(Throwable error, Function<Future<T>, Future<R>> derive) {
        return callFailure(smp, 0, () -> {
            Promise<T> p = new Promise<>();
            Future<R> d = derive.apply(p);
            p.setException(error);
            return d;
        });
    }

    @Nested
    class Pending {
        @Test
        void continuationsRunAsTasksOnTheShardNotInsideSetValue() {
            String r = call(smp, 0, () -> {
                Promise<Integer> p = new Promise<>();
                List<String> log = new ArrayList<>();
                Future<Integer> d = p.map(v -> {
                    log.add("continuation on shard " + Shard.currentId());
                    return v;
                });
                p.setValue(1);
                log.add("after setValue");
                assertFalse(d.isDone(), "the continuation must not run inside setValue");
                return d.map(v -> String.join(", ", log));
            });
            assertEquals("after setValue, continuation on shard 0", r);
        }

        @Test
        void mapAndThenAcceptOfPending() {
            assertEquals(11, (int) derivedOfPending(10, f -> f.map(v -> v + 1)));
            List<Integer> seen = new ArrayList<>();
            assertNull(derivedOfPending(4, f -> f.thenAccept(seen::add)));
            assertEquals(List.of(4), seen);
        }

        @Test
        void flatMapOfPendingToPendingWaitsForBoth() {
            String r = call(smp, 0, () -> {
                Promise<Integer> p = new Promise<>();
                Promise<String> inner = new Promise<>();
                Future<String> d = p.flatMap(v -> inner);
                p.setValue(1);
                // Resolve the inner future only after the flatMap function had its turn.
                return Reactor.yieldNow().then(() -> Reactor.yieldNow()).then(() -> {
                    assertFalse(d.isDone(), "flatMap must wait for the inner future");
                    inner.setValue("inner");
                    return d;
                });
            });
            assertEquals("inner", r);
            assertEquals(7, (int) derivedOfPending(3, f -> f.then(() -> Timer.sleep(Duration.ofMillis(1)).map(x -> 7))));
        }

        @Test
        void failuresPassThroughPendingContinuations() {
            Boom boom = new Boom("pending");
            assertSame(boom, derivedOfFailedPending(boom, f -> f.map(v -> v)));
            assertSame(boom, derivedOfFailedPending(boom, f -> f.flatMap(v -> Future.ready(v))));
            assertSame(boom, derivedOfFailedPending(boom, f -> f.then(() -> Future.ready(1))));
            assertSame(boom, derivedOfFailedPending(boom, Future::discardResult));
        }

        @Test
        void aThrowingContinuationFailsTheDerivedFutureWithThatException() {
            Boom thrown = new Boom("thrown");
            assertSame(thrown, derivedOfFailedPending(new Boom("x"), f -> f.handle((v, e) -> {
                throw thrown;
            })));
            assertSame(thrown, callFailure(smp, 0, () -> {
                Promise<Integer> p = new Promise<>();
                Future<Integer> d = p.map(v -> {
                    throw thrown;
                });
                p.setValue(1);
                return d;
            }));
            assertSame(thrown, callFailure(smp, 0, () -> {
                Promise<Integer> p = new Promise<>();
                Future<Integer> d = p.flatMap(v -> {
                    throw thrown;
                });
                p.setValue(1);
                return d;
            }));
            assertSame(thrown, derivedOfFailedPending(new Boom("x"), f -> f.recoverWith(e -> {
                throw thrown;
            })));
        }

        @Test
        void flatMapToAFutureThatAlreadyHasAContinuationFailsInsteadOfHanging() {
            Throwable e = callFailure(smp, 0, () -> {
                Promise<Integer> p = new Promise<>();
                Promise<Integer> inner = new Promise<>();
                inner.map(v -> v); // someone else already waits for inner
                Future<Integer> d = p.flatMap(v -> inner);
                p.setValue(1);
                // Found by this test: the derived future stayed pending forever (the error went to the log).
                return d.withTimeout(Duration.ofSeconds(5));
            });
            assertInstanceOf(IllegalStateException.class, e);
        }

        @Test
        void recoveryToAFutureThatAlreadyHasAContinuationFailsInsteadOfHanging() {
            Throwable recover = callFailure(smp, 0, () -> {
                Promise<Integer> p = new Promise<>();
                Promise<Integer> inner = new Promise<>();
                inner.map(v -> v);
                Future<Integer> d = p.recoverWith(e -> inner);
                p.setException(new Boom("x"));
                return d.withTimeout(Duration.ofSeconds(5));
            });
            assertInstanceOf(IllegalStateException.class, recover);
        }

        @Test
        void finallyActionFutureThatAlreadyHasAContinuationFailsInsteadOfHanging() {
            Throwable fin = callFailure(smp, 0, () -> {
                Promise<Integer> p = new Promise<>();
                Promise<Void> action = new Promise<>();
                action.map(v -> v);
                Future<Integer> d = p.finallyDoAsync(() -> action);
                p.setValue(1);
                return d.withTimeout(Duration.ofSeconds(5));
            });
            assertInstanceOf(IllegalStateException.class, fin);
        }

        @Test
        void handleAndRecoveryOfPending() {
            assertEquals("v1", derivedOfPending(1, f -> f.handle((v, e) -> "v" + v)));
            assertEquals("e:x", derivedOfFailedPending0("x", f -> f.handle((v, e) -> "e:" + e.getMessage())));
            assertEquals(-1, (int) derivedOfFailedPending0("x", f -> f.handleException(e -> -1)));
            assertEquals(5, (int) derivedOfPending(5, f -> f.recoverWith(e -> Future.ready(-1))));
            // Recovery with a pending future.
            assertEquals(42, (int) derivedOfFailedPending0("x",
                    f -> f.recoverWith(e -> Timer.sleep(Duration.ofMillis(1)).map(v -> 42))));
        }

        private <R> R derivedOfFailedPending0(String message, Function<Future<Integer>, Future<R>> derive) {
            return call(smp, 0, () -> {
                Promise<Integer> p = new Promise<>();
                Future<R> d = derive.apply(p);
                p.setException(new Boom(message));
                return d;
            });
        }

        @Test
        void onCompleteAndForwardOfPending() {
            String r = call(smp, 0, () -> {
                Promise<Integer> p = new Promise<>();
                Promise<String> out = new Promise<>();
                p.onComplete((v, e) -> out.setValue("got " + v + " on shard " + Shard.currentId()));
                p.setValue(3);
                assertFalse(out.isDone(), "onComplete of a pending future runs later, as a task");
                return out;
            });
            assertEquals("got 3 on shard 0", r);
            assertEquals(8, (int) derivedOfPending(8, f -> {
                Promise<Integer> q = new Promise<>();
                f.forward(q);
                return q;
            }));
            Boom boom = new Boom("fw");
            assertSame(boom, derivedOfFailedPending(boom, f -> {
                Promise<Object> q = new Promise<>();
                f.forward(q);
                return q;
            }));
        }

        @Test
        void finallyDoAsyncRunsInOrderAndWaitsForTheAction() {
            String r = call(smp, 0, () -> {
                List<String> log = new ArrayList<>();
                Promise<Integer> source = new Promise<>();
                Promise<Void> action = new Promise<>();
                Future<Integer> d = source.finallyDoAsync(() -> {
                    log.add("action started");
                    return action;
                }).map(v -> {
                    log.add("derived " + v);
                    return v;
                });
                log.add("source resolved");
                source.setValue(5);
                return Reactor.yieldNow().then(() -> Reactor.yieldNow()).then(() -> {
                    log.add("action resolved");
                    assertFalse(d.isDone(), "the derived future waits for the action's future");
                    action.setValue(null);
                    return d.map(v -> String.join(" > ", log));
                });
            });
            assertEquals("source resolved > action started > action resolved > derived 5", r);
        }

        @Test
        void finallyOfPendingFailureRulesApply() {
            Boom action = new Boom("action");
            assertSame(action, callFailure(smp, 0, () -> {
                Promise<Integer> p = new Promise<>();
                Future<Integer> d = p.finallyDoAsync(() -> Timer.sleep(Duration.ofMillis(1))
                        .then(() -> Future.failed(action)));
                p.setValue(1);
                return d;
            }));
            Boom source = new Boom("source");
            Boom second = new Boom("second");
            Throwable e = callFailure(smp, 0, () -> {
                Promise<Integer> p = new Promise<>();
                Future<Integer> d = p.finallyDo(() -> {
                    throw second;
                });
                p.setException(source);
                return d;
            });
            assertSame(source, e);
            assertArrayEquals(new Throwable[] {second}, e.getSuppressed());
            Boom only = new Boom("only");
            assertSame(only, derivedOfFailedPending(only, f -> f.finallyDo(() -> { })));
        }

        @Test
        void continuationRunsInTheSchedulingGroupCurrentAtAttachTime() {
            String r = call(smp, 0, () -> {
                Promise<Void> mainPromise = new Promise<>();
                Promise<Void> groupPromise = new Promise<>();
                // Attached in main to a promise a task of OTHER resolves: runs in main.
                Future<String> attachedInMain = groupPromise.map(v -> SchedulingGroup.current().name());
                List<Future<String>> attachedInGroup = new ArrayList<>();
                Future<Void> ran = TestGroups.OTHER.run(() -> {
                    // Attached in OTHER to a promise a main task resolves: runs in OTHER.
                    attachedInGroup.add(mainPromise.map(v -> SchedulingGroup.current().name()));
                    groupPromise.setValue(null);
                    return Future.done();
                });
                return ran.flatMap(v -> {
                    assertEquals("main", SchedulingGroup.current().name());
                    mainPromise.setValue(null);
                    return attachedInGroup.get(0).flatMap(a -> attachedInMain.map(b -> a + "," + b));
                });
            });
            assertEquals(TestGroups.OTHER.name() + ",main", r);
        }

        @Test
        void withTimeoutFailsWithTimeoutExceptionAfterTheDelay() {
            long[] elapsed = new long[1];
            Throwable e = callFailure(smp, 0, () -> {
                long start = System.nanoTime();
                return new Promise<Integer>().withTimeout(Duration.ofMillis(5))
                        .finallyDo(() -> elapsed[0] = System.nanoTime() - start);
            });
            assertInstanceOf(TimeoutException.class, e);
            assertTrue(elapsed[0] >= 5_000_000L, "timed out early: " + OnShard.ms(elapsed[0]) + " ms");
            assertTrue(elapsed[0] < 2_000_000_000L, "timed out late: " + OnShard.ms(elapsed[0]) + " ms");
        }

        @Test
        void withTimeoutPassesTheValueWhenItComesFirstAndDisarmsItsTimer() {
            int[] armed = new int[2];
            int v = call(smp, 0, () -> {
                Reactor r = Reactor.current();
                armed[0] = r.armedTimers();
                Promise<Integer> p = new Promise<>();
                Future<Integer> d = p.withTimeout(Duration.ofSeconds(30));
                Timer.sleep(Duration.ofMillis(2)).thenAccept(x -> p.setValue(17));
                return d.finallyDo(() -> armed[1] = r.armedTimers());
            });
            assertEquals(17, v);
            assertEquals(armed[0], armed[1], "the timeout's timer must be cancelled once the value arrived");
        }

        @Test
        void withTimeoutPassesAnEarlyFailure() {
            Boom boom = new Boom("early");
            assertSame(boom, callFailure(smp, 0, () -> {
                Promise<Integer> p = new Promise<>();
                Future<Integer> d = p.withTimeout(Duration.ofSeconds(30));
                p.setException(boom);
                return d;
            }));
        }

        @Test
        void aLateOutcomeAfterTimeoutIsDroppedQuietly() {
            String r = call(smp, 0, () -> {
                Promise<Integer> p = new Promise<>();
                Future<Integer> d = p.withTimeout(Duration.ofMillis(2));
                return d.handle((v, e) -> e).flatMap(e -> {
                    assertInstanceOf(TimeoutException.class, e);
                    p.setValue(1); // the late value must not disturb anything
                    return Reactor.yieldNow().map(x -> {
                        assertInstanceOf(TimeoutException.class, d.failure());
                        return "ok";
                    });
                });
            });
            assertEquals("ok", r);
        }

        @Test
        void withTimeoutOnAFutureThatAlreadyHasAContinuationLeavesNoTimerBehind() {
            int[] armed = new int[2];
            Throwable e = callFailure(smp, 0, () -> {
                Reactor r = Reactor.current();
                armed[0] = r.armedTimers();
                Promise<Integer> p = new Promise<>();
                p.map(v -> v);
                try {
                    return p.withTimeout(Duration.ofSeconds(30));
                } finally {
                    // Found by this test: the timer was armed before the attach failed, so it stayed armed and
                    // later reported a TimeoutException nobody could observe.
                    armed[1] = r.armedTimers();
                }
            });
            assertInstanceOf(IllegalStateException.class, e);
            assertEquals(armed[0], armed[1]);
        }
    }

    @Test
    void aReadyFutureIsSmallerThanAPendingOne() {
        // A ready future carries its state and value only; the waiter and the shard's queue belong to futures that
        // can wait. With default headers that is 24 bytes against 32 (the ratio holds for other header sizes too).
        double ready = bytesPerObject(() -> Future.ready(1));
        double pending = bytesPerObject(Promise::new);
        assertTrue(ready <= pending * 0.8, "ready future " + ready + " B, pending " + pending + " B");
        assertTrue(ready > 0, "allocations were counted");
    }

    /**
     * @return bytes the calling thread allocates per object made by {@code make} (objects kept, so really
     * allocated): the least of three runs, rounded, since the first may also pay for class loading and the like
     */
    private static double bytesPerObject(Supplier<Object> make) {
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long least = Long.MAX_VALUE;
        for (int run = 0; run < 3; run++) {
            Object[] keep = new Object[20_000];
            long before = threads.getCurrentThreadAllocatedBytes();
            for (int i = 0; i < keep.length; i++) {
                keep[i] = make.get();
            }
            long after = threads.getCurrentThreadAllocatedBytes();
            assertEquals(keep.length, java.util.Arrays.stream(keep).filter(o -> o != null).count());
            least = Math.min(least, after - before);
        }
        return Math.round((double) least / 20_000);
    }

    @Test
    void aPendingFlatMapOrRecoverWithANullFunctionFailsInsteadOfPassingTheSourceOn() {
        // While pending, a continuation keeps its source in its result field: a missing function must still fail
        // the continuation, never hand the source's outcome on as if it were the inner one.
        Promise<Integer> p = new Promise<>();
        Future<Integer> f = p.flatMap(null);
        p.setValue(1);
        assertInstanceOf(NullPointerException.class, f.failure());
        Promise<Integer> q = new Promise<>();
        Future<Integer> g = q.recoverWith(null);
        q.setException(new IllegalStateException("source"));
        assertInstanceOf(NullPointerException.class, g.failure());
    }

    @Test
    void commonContinuationsAreNoBiggerThanAPromise() {
        // A continuation keeps its source in its pending result field instead of a field of its own; with the
        // default layout (compressed pointers, 12-byte headers) that makes map, flatMap and onComplete 32 bytes.
        double promise = bytesPerObject(Promise::new);
        org.junit.jupiter.api.Assumptions.assumeTrue(promise == 32, "default object layout (promise " + promise + " B)");
        assertEquals(64, bytesPerObject(() -> new Promise<Integer>().map(v -> v)), "promise + map");
        assertEquals(64, bytesPerObject(() -> new Promise<Integer>().flatMap(Future::ready)), "promise + flatMap");
        assertEquals(64, bytesPerObject(() -> {
            Promise<Integer> p = new Promise<>();
            p.onComplete((v, e) -> { });
            return p;
        }), "promise + onComplete");
    }
}
