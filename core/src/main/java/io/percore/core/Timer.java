package io.percore.core;

import java.time.Duration;

/**
 * A callback run on its shard at (or soon after) a deadline on the monotonic clock; optionally periodic.
 * Timers are shard-local: create, arm and cancel one on the shard that owns it. The reactor checks timers once
 * per turn, so a timer fires at most about one task quota late while the shard is busy, and on time when idle.
 * Timers with the same deadline fire in the order they were armed.
 */
public final class Timer {
    final Reactor reactor;
    private final Runnable callback;
    long deadline;
    long period;
    long sequence;
    int heapIndex = -1;

    /** @throws IllegalStateException off a shard thread */
    public Timer(Runnable callback) {
        Reactor r = Reactor.current();
        if (r == null) {
            throw new IllegalStateException("a Timer needs a shard thread");
        }
        this.reactor = r;
        this.callback = callback;
    }

    /** Arms (or re-arms) the timer to fire once after {@code delay}. */
    public void arm(Duration delay) {
        armAt(System.nanoTime() + Math.max(0, delay.toNanos()));
    }

    /** Arms (or re-arms) the timer to fire once at {@code deadlineNanos} of {@link System#nanoTime()}. */
    public void armAt(long deadlineNanos) {
        checkOwner();
        period = 0;
        reactor.timers.schedule(this, deadlineNanos);
    }

    /** Arms the timer to fire every {@code period}, the first time one period from now. */
    public void armPeriodic(Duration period) {
        checkOwner();
        long p = period.toNanos();
        if (p <= 0) {
            throw new IllegalArgumentException("period must be positive");
        }
        reactor.timers.schedule(this, System.nanoTime() + p);
        this.period = p;
    }

    /** @return true when the timer was armed and is now cancelled. */
    public boolean cancel() {
        checkOwner();
        period = 0;
        return reactor.timers.remove(this);
    }

    /** @return true while armed. */
    public boolean isArmed() {
        return heapIndex >= 0;
    }

    /** @return the deadline it is armed for, in {@link System#nanoTime()} units. */
    public long deadlineNanos() {
        return deadline;
    }

    void fire() {
        callback.run();
    }

    private void checkOwner() {
        assert reactor.isOwnerThread() : "timer of shard " + reactor.shardId() + " touched from another thread";
    }

    /** @return a future that becomes ready after {@code delay}. Shard thread only. */
    public static Future<Void> sleep(Duration delay) {
        Promise<Void> p = new Promise<>();
        new Timer(() -> p.setValue(null)).arm(delay);
        return p;
    }
}
