package io.percore.core;

import static io.percore.core.OnShard.call;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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

    static Seen awaitReportMentioning(long since, int shard, String method) {
        OnShard.awaitTrue("a stall report of shard " + shard + " naming " + method, Duration.ofSeconds(5),
                () -> reportsSince(since, shard).stream().anyMatch(s -> s.mentions(method)));
        return reportsSince(since, shard).stream().filter(s -> s.mentions(method)).findFirst().orElseThrow();
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
        awaitQuietWindow(1);
        long before = StallDetector.reports(1);
        long since = System.nanoTime();
        OnShard.run(smp, 1, StallDetectorTest::spinInATask);
        Seen seen = awaitReportMentioning(since, 1, "spinInATask");
        assertEquals(1, seen.stall().shardId());
        assertTrue(seen.stall().runningNanos() >= 10_000_000L, "reported after " + seen.stall().runningNanos() + " ns");
        assertTrue(StallDetector.reports(1) > before, "reports(shard) counts it");
    }

    @Test
    void reportsAreRateLimitedToOnePerSecondPerShard() throws InterruptedException {
        awaitQuietWindow(1);
        long before = StallDetector.reports(1);
        long since = System.nanoTime();
        // Two separate stalls well within one second.
        OnShard.run(smp, 1, StallDetectorTest::spinInATask);
        OnShard.run(smp, 1, StallDetectorTest::spinInATask);
        awaitReportMentioning(since, 1, "spinInATask");
        Thread.sleep(200);
        assertEquals(1, reportsSince(since, 1).size(), "two stalls within a second make one report");
        assertEquals(before + 1, StallDetector.reports(1));
    }

    @Test
    void aSpinningTimerCallbackIsReported() throws InterruptedException {
        awaitQuietWindow(1);
        long since = System.nanoTime();
        call(smp, 1, () -> {
            Promise<Void> done = new Promise<>();
            new Timer(() -> {
                spinInATimerCallback();
                done.setValue(null);
            }).arm(Duration.ofMillis(1));
            return done;
        });
        awaitReportMentioning(since, 1, "spinInATimerCallback");
    }

    @Test
    void spinningCrossShardWorkIsReported() throws InterruptedException {
        awaitQuietWindow(1);
        long since = System.nanoTime();
        call(smp, 0, () -> Smp.submitTo(1, () -> {
            spinInCrossShardWork();
            return Future.done();
        }));
        awaitReportMentioning(since, 1, "spinInCrossShardWork");
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
