package io.percore.core;

import static io.percore.core.OnShard.call;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.percore.smp.Smp;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The stall detector with a 10 ms threshold: a shard busy in one piece of code for 60 ms is reported with its
 * shard id and a stack naming the busy method, at most once a second per shard; short work and idleness never.
 */
class StallDetectorTest {
    static final long STALL_NANOS = 60_000_000L;

    record Seen(long at, StallDetector.Stall stall) {
        boolean mentions(String method) {
            return Arrays.stream(stall.stack()).anyMatch(e -> e.getMethodName().equals(method));
        }

        /** @return true when the stack was taken while the reactor slept in its backend (never a stall). */
        boolean sleeping() {
            return Arrays.stream(stall.stack()).anyMatch(e -> e.getMethodName().equals("sleep")
                    && (e.getClassName().equals(Reactor.class.getName()) || e.getClassName().contains("Backend")));
        }
    }

    static final ConcurrentLinkedQueue<Seen> SEEN = new ConcurrentLinkedQueue<>();
    static Smp smp;

    @BeforeAll
    static void startShards() {
        StallDetector.setListener(s -> SEEN.add(new Seen(System.nanoTime(), s)));
        smp = OnShard.start(2, ReactorConfig.defaults().withBlockedNotify(Duration.ofMillis(10)));
    }

    @AfterAll
    static void stopShards() {
        try {
            smp.stop();
        } finally {
            StallDetector.setListener(null);
        }
    }

    /** Waits until the shard's last report is over a second old, so the rate limit lets the next one through. */
    static void awaitQuietWindow(int shard) throws InterruptedException {
        long last = SEEN.stream().filter(s -> s.stall().shardId() == shard).mapToLong(Seen::at).max().orElse(0);
        long wait = last == 0 ? 0 : last + 1_100_000_000L - System.nanoTime();
        if (wait > 0) {
            Thread.sleep(wait / 1_000_000L + 1);
        }
    }

    static List<Seen> reportsSince(long since, int shard) {
        return SEEN.stream().filter(s -> s.at() >= since && s.stall().shardId() == shard).toList();
    }

    /**
     * Stalls {@code shard} with {@code stall} until a report naming {@code method} arrives. On a loaded machine
     * the OS may deschedule a shard past the threshold and so use up its one report a second just before our
     * stall; the test then tries again, at most three times.
     */
    static Seen provokeReport(int shard, String method, Runnable stall) throws InterruptedException {
        for (int attempt = 0; attempt < 3; attempt++) {
            awaitQuietWindow(shard);
            long since = System.nanoTime();
            stall.run();
            long deadline = System.nanoTime() + 2_000_000_000L;
            while (System.nanoTime() - deadline < 0) {
                Seen ours = reportsSince(since, shard).stream().filter(s -> s.mentions(method)).findFirst()
                        .orElse(null);
                if (ours != null) {
                    return ours;
                }
                Thread.sleep(5);
            }
        }
        return fail("no stall report of shard " + shard + " naming " + method + " in three tries");
    }

    static void spinInATask() {
        OnShard.spin(STALL_NANOS);
    }

    static void spinInATimerCallback() {
        OnShard.spin(STALL_NANOS);
    }

    static void spinInCrossShardWork() {
        OnShard.spin(STALL_NANOS);
    }

    static void spinBriefly() {
        OnShard.spin(2_000_000L);
    }

    @Test
    void aSpinningTaskIsReportedWithItsShardAndStack() throws InterruptedException {
        long before = StallDetector.reports(1);
        Seen seen = provokeReport(1, "spinInATask", () -> OnShard.run(smp, 1, StallDetectorTest::spinInATask));
        assertEquals(1, seen.stall().shardId());
        assertTrue(seen.stall().runningNanos() >= 10_000_000L, "reported after " + seen.stall().runningNanos() + " ns");
        assertTrue(StallDetector.reports(1) > before, "reports(shard) counts it");
    }

    @Test
    void reportsAreRateLimitedToOnePerSecondPerShard() throws InterruptedException {
        for (int attempt = 0; ; attempt++) {
            awaitQuietWindow(1);
            long before = StallDetector.reports(1);
            long since = System.nanoTime();
            // Two separate stalls well within one second.
            OnShard.run(smp, 1, StallDetectorTest::spinInATask);
            OnShard.run(smp, 1, StallDetectorTest::spinInATask);
            OnShard.awaitTrue("a stall report of shard 1", Duration.ofSeconds(2),
                    () -> !reportsSince(since, 1).isEmpty());
            long first = reportsSince(since, 1).get(0).at();
            Thread.sleep(Math.max(0, (first + 900_000_000L - System.nanoTime()) / 1_000_000L));
            List<Seen> inOneSecond = reportsSince(since, 1).stream().filter(s -> s.at() - first < 1_000_000_000L)
                    .toList();
            // Whatever caused them (our stalls or the OS descheduling the shard), one second holds one report.
            assertEquals(1, inOneSecond.size(), "reports within one second");
            assertEquals(before + inOneSecond.size(), StallDetector.reports(1));
            if (inOneSecond.get(0).mentions("spinInATask") || attempt == 2) {
                assertTrue(inOneSecond.get(0).mentions("spinInATask"), "the report is of our stall");
                return;
            }
        }
    }

    @Test
    void aSpinningTimerCallbackIsReported() throws InterruptedException {
        provokeReport(1, "spinInATimerCallback", () -> call(smp, 1, () -> {
            Promise<Void> done = new Promise<>();
            new Timer(() -> {
                spinInATimerCallback();
                done.setValue(null);
            }).arm(Duration.ofMillis(1));
            return done;
        }));
    }

    @Test
    void spinningCrossShardWorkIsReported() throws InterruptedException {
        provokeReport(1, "spinInCrossShardWork", () -> call(smp, 0, () -> Smp.submitTo(1, () -> {
            spinInCrossShardWork();
            return Future.done();
        })));
    }

    @Test
    void shortTasksAndIdlenessAreNotReported() throws InterruptedException {
        awaitQuietWindow(0); // else the rate limit could hide the very reports this test looks for
        long since = System.nanoTime();
        long longest = 0;
        for (int i = 0; i < 10; i++) {
            long took = call(smp, 0, () -> {
                long start = System.nanoTime();
                spinBriefly();
                return Future.ready(System.nanoTime() - start);
            });
            longest = Math.max(longest, took);
        }
        Thread.sleep(200); // idle: the shard sleeps in its backend
        // A task the OS descheduled past the threshold is a real stall; only then may a report name it.
        if (longest < 10_000_000L) {
            assertTrue(reportsSince(since, 0).stream().noneMatch(s -> s.mentions("spinBriefly")),
                    "2 ms tasks reported as stalls of a 10 ms threshold");
        }
        assertTrue(reportsSince(since, 0).stream().noneMatch(Seen::sleeping), "a sleeping shard reported as stalled");
    }
}
