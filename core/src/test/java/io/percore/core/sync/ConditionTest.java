package io.percore.core.sync;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.percore.core.Future;
import io.percore.core.Futures;
import io.percore.core.Reactor;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ConditionTest extends ShardTestBase {

    @Test
    void signalWakesOneWaiterInArrivalOrder() {
        runOnShard(() -> {
            Condition c = new Condition();
            List<Integer> order = new ArrayList<>();
            List<Future<Void>> waits = new ArrayList<>();
            List<Future<Void>> done = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                int id = i;
                Future<Void> w = c.await();
                waits.add(w);
                done.add(w.thenAccept(v -> order.add(id)));
            }
            c.signal();
            assertTrue(waits.get(0).isDone());
            assertFalse(waits.get(1).isDone(), "one signal wakes one waiter");
            assertEquals(2, c.waiters());
            c.signal();
            c.signal();
            await(Futures.whenAll(done));
            assertEquals(List.of(0, 1, 2), order);
            assertEquals(0, c.waiters());
        });
    }

    @Test
    void aSignalWithNobodyWaitingIsLost() {
        runOnShard(() -> {
            Condition c = new Condition();
            c.signal();
            c.broadcast();
            Future<Void> w = c.await();
            settle();
            assertFalse(w.isDone());
            c.signal();
            await(w);
        });
    }

    @Test
    void broadcastWakesEveryWaiter() {
        runOnShard(() -> {
            Condition c = new Condition();
            List<Future<Void>> waits = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                waits.add(c.await());
            }
            c.broadcast();
            assertEquals(0, c.waiters());
            for (Future<Void> w : waits) {
                assertTrue(w.isReady());
            }
        });
    }

    @Test
    void aTimedWaitFailsAfterItsTimeoutAndLeavesTheQueue() {
        runOnShard(() -> {
            Condition c = new Condition();
            long start = System.nanoTime();
            Future<Void> timed = c.await(Duration.ofMillis(50));
            Future<Void> patient = c.await();
            Throwable e = failureOf(timed);
            long took = millisSince(start);
            assertInstanceOf(Condition.TimedOutException.class, e);
            assertTrue(took >= 50 && took < 5_000, "timed out after " + took + " ms");
            assertEquals(1, c.waiters());
            c.signal();
            assertTrue(patient.isReady(), "the signal goes to the waiter behind the timed-out one");
        });
    }

    @Test
    void aTimedWaitWokenInTimeSucceedsAndCancelsItsTimer() {
        runOnShard(() -> {
            Reactor r = Reactor.current();
            int timers = r.armedTimers();
            Condition c = new Condition();
            Future<Void> w = c.await(Duration.ofSeconds(30));
            assertEquals(timers + 1, r.armedTimers());
            c.signal();
            await(w);
            assertEquals(timers, r.armedTimers());
        });
    }

    @Test
    void aPredicateWaitRechecksOnEverySignal() {
        runOnShard(() -> {
            Condition c = new Condition();
            int[] level = new int[1];
            int[] checks = new int[1];
            assertTrue(c.await(() -> true).isReady(), "a predicate that holds needs no wait");
            Future<Void> w = c.await(() -> {
                checks[0]++;
                return level[0] >= 3;
            });
            assertEquals(1, checks[0]);
            for (int i = 1; i <= 2; i++) {
                level[0] = i;
                c.signal();
                assertFalse(w.isDone(), "level " + i);
            }
            assertEquals(3, checks[0], "checked again on each signal");
            level[0] = 3;
            c.broadcast();
            assertTrue(w.isReady());
            assertEquals(4, checks[0]);
            assertEquals(0, c.waiters());
        });
    }

    @Test
    void aWaiterWhosePredicateIsFalseDoesNotTakeTheSignal() {
        runOnShard(() -> {
            Condition c = new Condition();
            boolean[] ready = new boolean[1];
            Future<Void> picky = c.await(() -> ready[0]);
            Future<Void> plain = c.await();
            Future<Void> second = c.await();
            c.signal();
            assertFalse(picky.isDone());
            assertTrue(plain.isReady(), "the signal passes over a false predicate to the next waiter");
            assertFalse(second.isDone(), "and wakes only one");
            ready[0] = true;
            c.signal();
            assertTrue(picky.isReady(), "the predicate waiter kept its place at the head");
            assertFalse(second.isDone());
        });
    }

    @Test
    void broadcastWakesOnlyWaitersWhosePredicateHolds() {
        runOnShard(() -> {
            Condition c = new Condition();
            int[] level = new int[1];
            Future<Void> one = c.await(() -> level[0] >= 1);
            Future<Void> two = c.await(() -> level[0] >= 2);
            Future<Void> plain = c.await();
            level[0] = 1;
            c.broadcast();
            assertTrue(one.isReady());
            assertFalse(two.isDone());
            assertTrue(plain.isReady());
            assertEquals(1, c.waiters());
        });
    }

    @Test
    void aThrowingPredicateFailsOnlyItsOwnWaiter() {
        runOnShard(() -> {
            Condition c = new Condition();
            boolean[] armed = new boolean[1];
            IllegalStateException bad = new IllegalStateException("bad predicate");
            Future<Void> throwing = c.await(() -> {
                if (armed[0]) {
                    throw bad;
                }
                return false;
            });
            Future<Void> plain = c.await();
            armed[0] = true;
            c.signal();
            assertSame(bad, failureOf(throwing));
            assertTrue(plain.isReady(), "the signal still wakes a waiter");
            assertEquals(0, c.waiters());
        });
    }

    @Test
    void aTimedPredicateWaitTimesOut() {
        runOnShard(() -> {
            Condition c = new Condition();
            Future<Void> w = c.await(Duration.ofMillis(20), () -> false);
            c.signal();
            assertInstanceOf(Condition.TimedOutException.class, failureOf(w));
            assertTrue(c.await(Duration.ofMillis(20), () -> true).isReady());
        });
    }

    @Test
    void breakingFailsCurrentAndLaterWaiters() {
        runOnShard(() -> {
            Reactor r = Reactor.current();
            int timers = r.armedTimers();
            Condition c = new Condition();
            Future<Void> a = c.await();
            Future<Void> b = c.await(Duration.ofSeconds(30));
            Future<Void> p = c.await(() -> false);
            c.broken();
            assertTrue(c.isBroken());
            assertInstanceOf(Condition.BrokenException.class, failureOf(a));
            assertInstanceOf(Condition.BrokenException.class, failureOf(b));
            assertInstanceOf(Condition.BrokenException.class, failureOf(p));
            assertEquals(timers, r.armedTimers());
            assertInstanceOf(Condition.BrokenException.class, failureOf(c.await()));
            IOException custom = new IOException("custom");
            c.broken(custom);
            assertSame(custom, failureOf(c.await(Duration.ofSeconds(1))));
            assertSame(custom, failureOf(c.await(() -> false)));
        });
    }
}
