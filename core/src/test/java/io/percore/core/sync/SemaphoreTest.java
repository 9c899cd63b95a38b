package io.percore.core.sync;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.percore.core.Future;
import io.percore.core.Futures;
import io.percore.core.Promise;
import io.percore.core.Reactor;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class SemaphoreTest extends ShardTestBase {

    @Test
    void unitsAreTakenAndGivenBack() {
        runOnShard(() -> {
            Semaphore s = new Semaphore(5);
            assertTrue(s.acquire(2).isReady());
            assertEquals(3, s.available());
            assertTrue(s.tryAcquire(3));
            assertEquals(0, s.available());
            assertFalse(s.tryAcquire(1));
            assertTrue(s.tryAcquire(0));
            s.signal(4);
            assertEquals(4, s.available());
            assertTrue(s.acquire().isReady());
            assertEquals(3, s.available());
            assertEquals(0, s.waiters());
            assertThrows(IllegalArgumentException.class, () -> s.acquire(-1));
            assertThrows(IllegalArgumentException.class, () -> s.signal(-1));
            assertThrows(IllegalArgumentException.class, () -> new Semaphore(-1));
        });
    }

    @Test
    void waitersAreServedInArrivalOrder() {
        runOnShard(() -> {
            Semaphore s = new Semaphore(0);
            List<Integer> order = new ArrayList<>();
            List<Future<Void>> done = new ArrayList<>();
            List<Future<Void>> acquires = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                int id = i;
                Future<Void> a = s.acquire(1);
                acquires.add(a);
                done.add(a.thenAccept(v -> order.add(id)));
            }
            assertEquals(4, s.waiters());
            s.signal(1);
            assertTrue(acquires.get(0).isDone());
            assertFalse(acquires.get(1).isDone());
            assertEquals(0, s.available(), "the unit is taken for the woken waiter at once");
            s.signal(3);
            await(Futures.whenAll(done));
            assertEquals(List.of(0, 1, 2, 3), order);
            assertEquals(0, s.available());
            assertEquals(0, s.waiters());
        });
    }

    @Test
    void aLargeRequestAtTheHeadHoldsBackSmallerOnes() {
        runOnShard(() -> {
            Semaphore s = new Semaphore(0);
            Future<Void> big = s.acquire(3);
            Future<Void> small = s.acquire(1);
            s.signal(2);
            assertFalse(big.isDone());
            assertFalse(small.isDone(), "a small request must not overtake the large one at the head");
            assertEquals(2, s.available());
            assertFalse(s.tryAcquire(1), "tryAcquire must not jump the queue");
            Future<Void> late = s.acquire(1);
            assertFalse(late.isDone(), "a newcomer queues behind the waiters even when units are free");
            s.signal(1);
            assertTrue(big.isReady());
            assertFalse(small.isDone());
            assertEquals(0, s.available());
            s.signal(2);
            assertTrue(small.isReady());
            assertTrue(late.isReady());
            assertEquals(0, s.available());
        });
    }

    @Test
    void aTimedOutWaitFailsAfterItsTimeoutAndNeverTakesUnits() {
        runOnShard(() -> {
            Semaphore s = new Semaphore(0);
            long start = System.nanoTime();
            Future<Void> timed = s.acquire(1, Duration.ofMillis(50));
            Future<Void> patient = s.acquire(1);
            Throwable e = failureOf(timed);
            long took = millisSince(start);
            assertInstanceOf(SemaphoreTimedOutException.class, e);
            assertTrue(took >= 50 && took < 5_000, "timed out after " + took + " ms");
            assertEquals(1, s.waiters(), "the timed-out waiter left the queue");
            s.signal(1);
            assertTrue(patient.isReady(), "the unit goes to the waiter behind the timed-out one");
            s.signal(1);
            assertEquals(1, s.available(), "the timed-out waiter took nothing");
        });
    }

    @Test
    void aTimedOutHeadLetsTheWaitersBehindItProceed() {
        runOnShard(() -> {
            Semaphore s = new Semaphore(1);
            Future<Void> big = s.acquire(5, Duration.ofMillis(20));
            Future<Void> small = s.acquire(1);
            assertFalse(small.isDone());
            assertInstanceOf(SemaphoreTimedOutException.class, failureOf(big));
            assertTrue(small.isReady(), "the free unit goes to the next waiter once the head timed out");
            assertEquals(0, s.available());
        });
    }

    @Test
    void aWaitServedInTimeCancelsItsTimer() {
        runOnShard(() -> {
            Reactor r = Reactor.current();
            Semaphore s = new Semaphore(0);
            int before = r.armedTimers();
            Future<Void> f = s.acquire(2, Duration.ofSeconds(30));
            assertEquals(before + 1, r.armedTimers());
            s.signal(2);
            assertTrue(f.isReady());
            assertEquals(before, r.armedTimers(), "the timeout timer is cancelled once the units are taken");
            assertTrue(s.acquire(0, Duration.ofSeconds(30)).isReady(), "no wait, no timer");
            assertEquals(before, r.armedTimers());
        });
    }

    @Test
    void breakingFailsCurrentAndLaterWaiters() {
        runOnShard(() -> {
            Reactor r = Reactor.current();
            int timers = r.armedTimers();
            Semaphore s = new Semaphore(0);
            Future<Void> a = s.acquire(1);
            Future<Void> b = s.acquire(2, Duration.ofSeconds(30));
            Future<SemaphoreUnits> c = s.getUnits(1);
            s.broken();
            assertTrue(s.isBroken());
            assertInstanceOf(BrokenSemaphoreException.class, failureOf(a));
            assertInstanceOf(BrokenSemaphoreException.class, failureOf(b));
            assertInstanceOf(BrokenSemaphoreException.class, failureOf(c));
            assertEquals(0, s.waiters());
            assertEquals(timers, r.armedTimers(), "timers of failed waiters are cancelled");
            assertInstanceOf(BrokenSemaphoreException.class, failureOf(s.acquire(0)));
            s.signal(5);
            assertFalse(s.tryAcquire(1), "a broken semaphore gives nothing");
            IOException custom = new IOException("shutting down");
            s.broken(custom);
            assertSame(custom, failureOf(s.acquire(1)));
        });
    }

    @Test
    void withUnitsReturnsTheUnitsWhateverTheOutcome() {
        runOnShard(() -> {
            Semaphore s = new Semaphore(2);
            assertEquals(42, await(s.withUnits(2, () -> Future.ready(42))));
            assertEquals(2, s.available());

            IOException boom = new IOException("boom");
            assertSame(boom, failureOf(s.withUnits(2, () -> Future.failed(boom))));
            assertEquals(2, s.available(), "units come back when the work fails");

            IllegalStateException thrown = new IllegalStateException("thrown");
            assertSame(thrown, failureOf(s.withUnits(1, () -> {
                throw thrown;
            })));
            assertEquals(2, s.available(), "units come back when the work throws");

            Promise<String> slow = new Promise<>();
            Future<String> running = s.withUnits(1, () -> slow);
            assertEquals(1, s.available(), "units are held while the work runs");
            slow.setValue("ok");
            assertEquals("ok", await(running));
            assertEquals(2, s.available());
        });
    }

    @Test
    void withUnitsRunsTheWorkOnlyOnceTheUnitsAreTaken() {
        runOnShard(() -> {
            Semaphore s = new Semaphore(0);
            boolean[] ran = new boolean[1];
            Future<Integer> f = s.withUnits(1, () -> {
                ran[0] = true;
                return Future.ready(1);
            });
            settle();
            assertFalse(ran[0]);
            s.signal(1);
            assertEquals(1, await(f));
            assertTrue(ran[0]);
            assertEquals(1, s.available());

            s.broken();
            boolean[] ranBroken = new boolean[1];
            assertInstanceOf(BrokenSemaphoreException.class, failureOf(s.withUnits(1, () -> {
                ranBroken[0] = true;
                return Future.done();
            })));
            assertFalse(ranBroken[0], "no units, no work");
        });
    }

    @Test
    void withUnitsTimesOutWithoutRunningTheWork() {
        runOnShard(() -> {
            Semaphore s = new Semaphore(0);
            boolean[] ran = new boolean[1];
            Throwable e = failureOf(s.withUnits(1, Duration.ofMillis(10), () -> {
                ran[0] = true;
                return Future.done();
            }));
            assertInstanceOf(SemaphoreTimedOutException.class, e);
            assertFalse(ran[0]);
            assertEquals(0, s.waiters());
        });
    }

    @Test
    void unitHoldersReleaseOnceAndCanReturnPartly() {
        runOnShard(() -> {
            Semaphore s = new Semaphore(5);
            SemaphoreUnits u = await(s.getUnits(3));
            assertEquals(3, u.count());
            assertSame(s, u.semaphore());
            assertEquals(2, s.available());
            assertEquals(2, u.returnUnits(1));
            assertEquals(3, s.available());
            SemaphoreUnits part = u.split(1);
            assertEquals(1, part.count());
            assertEquals(1, u.count());
            assertEquals(3, s.available(), "splitting moves units between holders, not back");
            u.release();
            u.release();
            assertEquals(4, s.available(), "a second release gives nothing back");
            try (part) {
                assertEquals(4, s.available());
            }
            assertEquals(5, s.available());
            assertEquals(0, part.count());
            assertThrows(IllegalArgumentException.class, () -> part.returnUnits(1));
            assertThrows(IllegalArgumentException.class, () -> u.split(1));
        });
    }

    @Test
    void releasingUnitsWakesWaiters() {
        runOnShard(() -> {
            Semaphore s = new Semaphore(2);
            SemaphoreUnits u = await(s.getUnits(2));
            Future<SemaphoreUnits> next = s.getUnits(2);
            settle();
            assertFalse(next.isDone());
            u.release();
            SemaphoreUnits v = await(next);
            assertEquals(2, v.count());
            assertEquals(0, s.available());
            v.close();
            assertEquals(2, s.available());
            assertNull(failureOf(s.getUnits(2, Duration.ofSeconds(1)).map(SemaphoreUnits::count)));
        });
    }
}
