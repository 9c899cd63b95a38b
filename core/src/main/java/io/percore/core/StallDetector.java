package io.percore.core;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds reactor stalls: a task (or a timer callback, or cross-shard work run by a poller) that runs longer than
 * {@code --blocked-reactor-notify-ms} (default 25 ms) keeps its shard from I/O and timers. One daemon thread
 * samples every shard's task number (an opaque read of a field the reactor bumps with a plain store per task)
 * four times per threshold; when the same task is still running after the threshold (give or take a sampling
 * period) it logs a warning with the shard thread's stack. Reports are rate-limited per shard
 * (at most one per second, with a count of those held back), as a stuck shard would otherwise flood the log.
 */
public final class StallDetector {
    private static final Logger LOG = LoggerFactory.getLogger(StallDetector.class);
    private static final long REPORT_INTERVAL_NANOS = 1_000_000_000L;

    /** What a report says; handed to the listener as well as logged. */
    public record Stall(int shardId, long runningNanos, StackTraceElement[] stack) {}

    private static final class Watch {
        final Reactor reactor;
        long seenSeq = -1;
        long seenAt;
        long reportedSeq = -1;
        long lastReportAt;
        long suppressed;
        volatile long reports;

        Watch(Reactor reactor) {
            this.reactor = reactor;
        }
    }

    private static final Map<Reactor, Watch> WATCHED = new ConcurrentHashMap<>();
    private static volatile Consumer<Stall> listener;
    private static final java.util.concurrent.atomic.AtomicBoolean STARTED = new java.util.concurrent.atomic.AtomicBoolean();

    private StallDetector() {}

    static void register(Reactor r) {
        WATCHED.put(r, new Watch(r));
        ensureThread();
    }

    static void unregister(Reactor r) {
        WATCHED.remove(r);
    }

    /** Sets a listener for stall reports (tests, metrics); null removes it. Any thread. */
    public static void setListener(Consumer<Stall> l) {
        listener = l;
    }

    /** @return how many stalls were reported for {@code shardId} (rate-limited reports only). Any thread. */
    public static long reports(int shardId) {
        long n = 0;
        for (Watch w : WATCHED.values()) {
            if (w.reactor.shardId() == shardId) {
                n += w.reports;
            }
        }
        return n;
    }

    private static void ensureThread() {
        if (!STARTED.get() && STARTED.compareAndSet(false, true)) {
            Thread t = new Thread(StallDetector::loop, "percore-stall-detector");
            t.setDaemon(true);
            t.start();
        }
    }

    private static void loop() {
        while (true) {
            long minThreshold = Long.MAX_VALUE;
            for (Watch w : WATCHED.values()) {
                long threshold = w.reactor.config.blockedNotifyNanos();
                minThreshold = Math.min(minThreshold, threshold);
                check(w, threshold);
            }
            long period = minThreshold == Long.MAX_VALUE ? 10_000_000L : Math.max(500_000L, minThreshold / 4);
            LockSupport.parkNanos(period);
        }
    }

    private static void check(Watch w, long threshold) {
        long now = System.nanoTime();
        long seq = w.reactor.stallSequence();
        if (!w.reactor.stallRunning() || seq != w.seenSeq) {
            w.seenSeq = seq;
            w.seenAt = now;
            return;
        }
        long running = now - w.seenAt;
        if (running < threshold || seq == w.reportedSeq) {
            return;
        }
        w.reportedSeq = seq;
        if (w.lastReportAt != 0 && now - w.lastReportAt < REPORT_INTERVAL_NANOS) {
            w.suppressed++;
            return;
        }
        Thread owner = w.reactor.ownerThread();
        StackTraceElement[] stack = owner == null ? new StackTraceElement[0] : owner.getStackTrace();
        // The task may have finished while we took the stack; report only if it is still the same one.
        if (w.reactor.stallSequence() != seq || !w.reactor.stallRunning()) {
            return;
        }
        w.lastReportAt = now;
        w.reports++;
        Stall stall = new Stall(w.reactor.shardId(), running, stack);
        StringBuilder sb = new StringBuilder();
        for (StackTraceElement e : stack) {
            sb.append("\n\tat ").append(e);
        }
        LOG.warn("Reactor stalled for {} ms on shard {}{}; backtrace:{}", running / 1_000_000, w.reactor.shardId(),
                w.suppressed > 0 ? " (" + w.suppressed + " similar reports suppressed)" : "", sb);
        w.suppressed = 0;
        Consumer<Stall> l = listener;
        if (l != null) {
            l.accept(stall);
        }
    }
}
