package io.percore.core;

import static io.percore.core.OnShard.call;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.percore.smp.Smp;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Scheduling groups share a busy shard's time by their shares. Two groups with shares 1:3, each kept busy by a
 * chain of ~50 µs tasks, get CPU time 1:3 (within 10%); changed shares take effect; an idle group earns no credit.
 */
class SchedulingGroupTest {
    static final SchedulingGroup LIGHT = TestGroups.LIGHT;
    static final SchedulingGroup HEAVY = TestGroups.HEAVY;

    static Smp smp;

    @BeforeAll
    static void startShards() {
        smp = OnShard.start(1, ReactorConfig.defaults());
    }

    @AfterAll
    static void stopShards() {
        smp.stop();
    }

    @AfterEach
    void restoreShares() {
        LIGHT.setShares(100);
        HEAVY.setShares(300);
    }

    /** Keeps {@code g} busy with a chain of ~50 µs tasks until {@code stop} says so. Shard thread. */
    static Future<Void> keepBusy(SchedulingGroup g, BooleanSupplier stop) {
        return g.run(() -> {
            Reactor r = Reactor.current();
            Promise<Void> done = new Promise<>();
            Runnable[] step = new Runnable[1];
            step[0] = () -> {
                if (stop.getAsBoolean()) {
                    done.setValue(null);
                    return;
                }
                OnShard.spin(50_000);
                r.schedule(step[0]); // stays in the group of the running task
            };
            r.schedule(step[0]);
            return done;
        });
    }

    /**
     * @return true when the two groups' virtual run times are within two slices of the lighter group: the
     * scheduler has caught up with any lag, so run times read now are exactly as fair as it makes them
     */
    static boolean level(Reactor r, SchedulingGroup a, SchedulingGroup b) {
        long gap = Math.abs(r.queueOf(a).vruntime - r.queueOf(b).vruntime);
        return gap <= 2 * r.config.taskQuotaNanos() * 1024 / Math.min(a.shares(), b.shares());
    }

    /**
     * Samples both groups' run times at the first moment from {@code notBefore} on when they are
     * {@link #level}, checking every millisecond from a timer. Shard thread.
     *
     * <p>Why: the reactor charges a group the wall time of its slices, so when the OS deschedules the shard in
     * the middle of a slice (a loaded machine), that group is charged more and the scheduler makes up for it over
     * the following slices. A window that ends in the middle of making up reads a skewed ratio; one that ends when
     * the two are level does not. The check stays on run times: with shares ignored, "level" means 1:1.
     */
    static Future<long[]> levelSample(SchedulingGroup a, SchedulingGroup b, long notBefore) {
        Reactor r = Reactor.current();
        Promise<long[]> sample = new Promise<>();
        Timer[] timer = new Timer[1];
        timer[0] = new Timer(() -> {
            long now = System.nanoTime();
            if (now - notBefore < 0) {
                return;
            }
            if (level(r, a, b)) {
                timer[0].cancel();
                sample.setValue(new long[] {r.runtimeNanos(a), r.runtimeNanos(b)});
            } else if (now - notBefore > 5_000_000_000L) {
                timer[0].cancel();
                sample.setException(new AssertionError("the groups' virtual run times never came level: "
                        + r.queueOf(a).vruntime + " vs " + r.queueOf(b).vruntime));
            }
        });
        timer[0].armPeriodic(Duration.ofMillis(1));
        return sample;
    }

    /**
     * Keeps {@code first} busy alone for {@code headStart}, then both groups for at least {@code window}.
     *
     * @param levelStart start the window at a level moment (else the moment {@code second} wakes)
     * @return the run time of {@code first} divided by that of {@code second} during the window
     */
    static double ratio(SchedulingGroup first, SchedulingGroup second, Duration headStart, Duration window,
                        boolean levelStart) {
        return call(smp, 0, () -> {
            Reactor r = Reactor.current();
            boolean[] stop = {false};
            Future<Void> a = keepBusy(first, () -> stop[0]);
            List<Future<Void>> b = new ArrayList<>();
            long[] windowStart = new long[1];
            return Timer.sleep(headStart).then(() -> {
                long[] woke = {r.runtimeNanos(first), r.runtimeNanos(second)};
                b.add(keepBusy(second, () -> stop[0]));
                windowStart[0] = System.nanoTime();
                return levelStart ? levelSample(first, second, windowStart[0] + 20_000_000L) : Future.ready(woke);
            }).flatMap(base -> levelSample(first, second, windowStart[0] + window.toNanos()).flatMap(end -> {
                stop[0] = true;
                double ratio = (double) (end[0] - base[0]) / (end[1] - base[1]);
                return Futures.whenAll(a, b.get(0)).map(x -> ratio);
            }));
        });
    }

    /** Measures {@code ratio}, once more when the first try is off (a noisy machine), and checks it. */
    static void assertRatio(double expected, SchedulingGroup first, SchedulingGroup second, Duration headStart,
                            Duration window, boolean levelStart, double tolerance) {
        double r = ratio(first, second, headStart, window, levelStart);
        if (Math.abs(r - expected) > expected * tolerance) {
            r = ratio(first, second, headStart, window, levelStart);
        }
        assertTrue(Math.abs(r - expected) <= expected * tolerance,
                first.name() + ":" + second.name() + " run time ratio " + r + ", expected " + expected);
    }

    @Test
    void busyGroupsShareTheShardByTheirShares() {
        assertRatio(3.0, HEAVY, LIGHT, Duration.ZERO, Duration.ofSeconds(1), true, 0.10);
    }

    @Test
    void changedSharesTakeEffect() {
        LIGHT.setShares(300);
        HEAVY.setShares(100);
        assertEquals(300, LIGHT.shares());
        assertRatio(3.0, LIGHT, HEAVY, Duration.ZERO, Duration.ofMillis(600), true, 0.10);
    }

    @Test
    void anIdleGroupEarnsNoCredit() {
        // HEAVY runs alone first; when LIGHT wakes it must not get the shard to itself to "catch up", so the
        // window starts right when it wakes (a group that earned credit would run alone for ~100 ms then).
        assertRatio(3.0, HEAVY, LIGHT, Duration.ofMillis(300), Duration.ofMillis(400), false, 0.15);
    }

    @Test
    void workRunsInItsGroupAndOnlyOnAShard() {
        String r = call(smp, 0, () -> {
            assertSame(SchedulingGroup.MAIN, SchedulingGroup.current());
            return LIGHT.run(() -> Future.ready(SchedulingGroup.current().name()));
        });
        assertEquals(LIGHT.name(), r);
        assertSame(SchedulingGroup.MAIN, SchedulingGroup.current(), "off-shard code counts as main");
        assertThrows(IllegalStateException.class, () -> LIGHT.run(Future::done));
        RuntimeException boom = new RuntimeException("in group");
        assertSame(boom, OnShard.callFailure(smp, 0, () -> LIGHT.run(() -> {
            throw boom;
        })));
    }

    @Test
    void sharesAreValidated() {
        assertEquals(0, SchedulingGroup.MAIN.id());
        assertEquals("main", SchedulingGroup.MAIN.name());
        assertThrows(IllegalArgumentException.class, () -> SchedulingGroup.create("bad", 0));
        assertThrows(IllegalArgumentException.class, () -> SchedulingGroup.create("bad", 1_000_001));
        assertThrows(IllegalArgumentException.class, () -> LIGHT.setShares(0));
        assertEquals(100, LIGHT.shares());
    }
}
