package io.percore.core;

import static io.percore.core.OnShard.call;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.percore.smp.Smp;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Timers on a real shard: order, cancel, re-arm, periodic, accuracy, sleep; the low-resolution clock. */
class TimerTest {
    static Smp smp;

    @BeforeAll
    static void startShards() {
        smp = OnShard.start(1, ReactorConfig.defaults());
    }

    @AfterAll
    static void stopShards() {
        smp.stop();
    }

    /** @return a future done when every timer the shard has armed has fired or been cancelled. */
    private static Future<Void> untilNoTimerArmed() {
        return Futures.repeat(() -> Timer.sleep(Duration.ofMillis(1)).map(v -> Reactor.current().armedTimers() == 0));
    }

    @Test
    void timersFireInDeadlineOrder() {
        List<Integer> fired = call(smp, 0, () -> {
            List<Integer> order = new ArrayList<>();
            long base = System.nanoTime() + 5_000_000L;
            int[] delaysMs = {7, 1, 5, 3, 9, 0, 2, 8, 4, 6};
            for (int d : delaysMs) {
                new Timer(() -> order.add(d)).armAt(base + d * 1_000_000L);
            }
            return untilNoTimerArmed().map(v -> order);
        });
        assertEquals(List.of(0, 1, 2, 3, 4, 5, 6, 7, 8, 9), fired);
    }

    @Test
    void timersWithEqualDeadlinesFireInArmOrder() {
        List<Integer> fired = call(smp, 0, () -> {
            List<Integer> order = new ArrayList<>();
            long deadline = System.nanoTime() + 3_000_000L;
            for (int i = 0; i < 50; i++) {
                int id = i;
                new Timer(() -> order.add(id)).armAt(deadline);
            }
            return untilNoTimerArmed().map(v -> order);
        });
        List<Integer> expected = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            expected.add(i);
        }
        assertEquals(expected, fired);
    }

    @Test
    void manyRandomTimersWithCancellationsFireSortedAndCancelledOnesNever() {
        record Armed(int id, long deadline, long armOrder) {}
        String r = call(smp, 0, () -> {
            Random rnd = new Random(42);
            long base = System.nanoTime() + 2_000_000L;
            List<Armed> expected = new ArrayList<>();
            List<Integer> fired = new ArrayList<>();
            List<Timer> timers = new ArrayList<>();
            long[] armDeadline = new long[2000];
            for (int i = 0; i < 2000; i++) {
                int id = i;
                Timer t = new Timer(() -> fired.add(id));
                // Few distinct deadlines, so ties are common.
                armDeadline[i] = base + rnd.nextInt(40) * 500_000L;
                t.armAt(armDeadline[i]);
                timers.add(t);
            }
            long seq = 0;
            long[] armedSeq = new long[2000];
            for (int i = 0; i < 2000; i++) {
                armedSeq[i] = seq++;
            }
            boolean[] cancelled = new boolean[2000];
            for (int i = 0; i < 600; i++) {
                int victim = rnd.nextInt(2000);
                boolean was = !cancelled[victim];
                assertEquals(was, timers.get(victim).cancel(), "cancel() says whether it was armed");
                cancelled[victim] = true;
            }
            // Re-arm some: they move to their new deadline and to the back among equal deadlines.
            for (int i = 0; i < 200; i++) {
                int moved = rnd.nextInt(2000);
                armDeadline[moved] = base + rnd.nextInt(40) * 500_000L;
                timers.get(moved).armAt(armDeadline[moved]);
                armedSeq[moved] = seq++;
                cancelled[moved] = false;
            }
            for (int i = 0; i < 2000; i++) {
                if (!cancelled[i]) {
                    expected.add(new Armed(i, armDeadline[i], armedSeq[i]));
                }
                assertEquals(!cancelled[i], timers.get(i).isArmed());
            }
            expected.sort(Comparator.comparingLong(Armed::deadline).thenComparingLong(Armed::armOrder));
            List<Integer> expectedIds = expected.stream().map(Armed::id).toList();
            return untilNoTimerArmed().map(v -> {
                for (int i = 0; i < Math.min(expectedIds.size(), fired.size()); i++) {
                    assertEquals(expectedIds.get(i), fired.get(i), "firing #" + i);
                }
                assertEquals(expectedIds.size(), fired.size(), "timers fired");
                return "ok";
            });
        });
        assertEquals("ok", r);
    }

    @Test
    void cancelPreventsFiring() {
        String r = call(smp, 0, () -> {
            int[] fired = {0, 0};
            Timer cancelled = new Timer(() -> fired[0]++);
            Timer kept = new Timer(() -> fired[1]++);
            cancelled.arm(Duration.ofMillis(3));
            kept.arm(Duration.ofMillis(5));
            assertTrue(cancelled.isArmed());
            assertTrue(cancelled.cancel());
            assertFalse(cancelled.isArmed());
            assertFalse(cancelled.cancel(), "a second cancel finds nothing armed");
            return Timer.sleep(Duration.ofMillis(15)).map(v -> fired[0] + "," + fired[1]);
        });
        assertEquals("0,1", r);
    }

    @Test
    void reArmingMovesTheDeadline() {
        String r = call(smp, 0, () -> {
            long start = System.nanoTime();
            List<Long> earlier = new ArrayList<>();
            List<Long> later = new ArrayList<>();
            Timer movedEarlier = new Timer(() -> earlier.add(System.nanoTime() - start));
            Timer movedLater = new Timer(() -> later.add(System.nanoTime() - start));
            movedEarlier.arm(Duration.ofMillis(300));
            movedEarlier.arm(Duration.ofMillis(2));
            movedLater.arm(Duration.ofMillis(2));
            movedLater.arm(Duration.ofMillis(40));
            assertTrue(movedEarlier.deadlineNanos() - start < 100_000_000L, "re-arm did not move the deadline");
            return Timer.sleep(Duration.ofMillis(60)).map(v -> {
                movedEarlier.cancel();
                assertEquals(1, earlier.size(), "fired once, at the new deadline");
                assertTrue(earlier.get(0) < 250_000_000L, "still waited for the old deadline");
                assertEquals(1, later.size());
                assertTrue(later.get(0) >= 40_000_000L, "fired at the old deadline: " + OnShard.ms(later.get(0)));
                return "ok";
            });
        });
        assertEquals("ok", r);
    }

    @Test
    void periodicTimerFiresRepeatedlyUntilCancelled() {
        String r = call(smp, 0, () -> {
            List<Long> at = new ArrayList<>();
            Promise<Void> fiveTimes = new Promise<>();
            Timer[] self = new Timer[1];
            self[0] = new Timer(() -> {
                at.add(System.nanoTime());
                if (at.size() == 5) {
                    assertTrue(self[0].isArmed(), "a periodic timer is re-armed before its callback runs");
                    self[0].cancel();
                    fiveTimes.setValue(null);
                }
            });
            long start = System.nanoTime();
            self[0].armPeriodic(Duration.ofMillis(2));
            return fiveTimes.then(() -> Timer.sleep(Duration.ofMillis(20))).map(v -> {
                assertEquals(5, at.size(), "fired after cancel");
                assertFalse(self[0].isArmed());
                // The k-th firing comes no earlier than k periods after arming.
                for (int k = 0; k < 5; k++) {
                    long since = at.get(k) - start;
                    assertTrue(since >= (k + 1) * 2_000_000L, "firing " + k + " early at " + OnShard.ms(since) + " ms");
                }
                return "ok";
            });
        });
        assertEquals("ok", r);
    }

    @Test
    void periodicTimerCancelledFromOutsideItsCallbackStops() {
        String r = call(smp, 0, () -> {
            int[] count = {0};
            Timer t = new Timer(() -> count[0]++);
            t.armPeriodic(Duration.ofMillis(1));
            return Futures.repeat(() -> Timer.sleep(Duration.ofMillis(1)).map(v -> count[0] >= 3)).then(() -> {
                assertTrue(t.cancel());
                int seen = count[0];
                return Timer.sleep(Duration.ofMillis(15)).map(v -> count[0] == seen ? "stopped" : "still firing");
            });
        });
        assertEquals("stopped", r);
        assertThrows(IllegalArgumentException.class, () -> OnShard.run(smp, 0,
                () -> new Timer(() -> { }).armPeriodic(Duration.ZERO)));
    }

    @Test
    void aTimerFiresOnTimeOnAnIdleShard() {
        // Retry once: a noisy machine may deschedule the shard thread at the wrong moment.
        long late = Long.MAX_VALUE;
        for (int attempt = 0; attempt < 2 && late > 50_000_000L; attempt++) {
            late = call(smp, 0, () -> {
                Promise<Long> fired = new Promise<>();
                long start = System.nanoTime();
                new Timer(() -> fired.setValue(System.nanoTime() - start)).arm(Duration.ofMillis(5));
                return fired;
            });
            assertTrue(late >= 5_000_000L, "a 5 ms timer fired after " + OnShard.ms(late) + " ms");
        }
        assertTrue(late < 50_000_000L, "a 5 ms timer fired after " + OnShard.ms(late) + " ms");
    }

    @Test
    void sleepResolvesAfterTheDelay() {
        long took = call(smp, 0, () -> {
            long start = System.nanoTime();
            return Timer.sleep(Duration.ofMillis(10)).map(v -> {
                assertEquals(0, Shard.currentId());
                return System.nanoTime() - start;
            });
        });
        assertTrue(took >= 10_000_000L, "slept only " + OnShard.ms(took) + " ms");
        assertTrue(took < 2_000_000_000L, "slept " + OnShard.ms(took) + " ms");
        assertThrows(IllegalStateException.class, () -> Timer.sleep(Duration.ofMillis(1)));
        assertThrows(IllegalStateException.class, () -> new Timer(() -> { }));
    }

    @Test
    void aThrowingTimerCallbackDoesNotStopOtherTimers() {
        String r = call(smp, 0, () -> {
            long deadline = System.nanoTime() + 2_000_000L;
            List<String> log = new ArrayList<>();
            new Timer(() -> {
                throw new IllegalStateException("expected by the test: a throwing timer callback");
            }).armAt(deadline);
            new Timer(() -> log.add("second")).armAt(deadline);
            return Timer.sleep(Duration.ofMillis(10)).map(v -> String.join(",", log));
        });
        assertEquals("second", r);
    }

    @Test
    void lowresClockIsTheTurnStartAndAdvancesBetweenTurns() {
        String r = call(smp, 0, () -> {
            long first = LowresClock.nanos();
            assertTrue(first <= System.nanoTime());
            OnShard.spin(2_000_000L);
            assertEquals(first, LowresClock.nanos(), "constant within one task: it is the turn's start time");
            return Timer.sleep(Duration.ofMillis(5)).map(v -> {
                long later = LowresClock.nanos();
                assertTrue(later - first >= 5_000_000L, "advanced only " + OnShard.ms(later - first) + " ms");
                assertTrue(later <= System.nanoTime());
                return "ok";
            });
        });
        assertEquals("ok", r);
        long off = LowresClock.nanos();
        assertTrue(Math.abs(System.nanoTime() - off) < 1_000_000_000L, "off-shard it is System.nanoTime()");
    }
}
