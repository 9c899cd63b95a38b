package io.percore.core.sync;

import io.percore.core.Future;
import io.percore.core.Promise;
import io.percore.core.Reactor;
import io.percore.core.Timer;
import java.time.Duration;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * A counter of units on one shard, with a FIFO of tasks waiting for units: the tool for limiting concurrency
 * (at most N requests in flight) and memory (at most N bytes buffered). {@link #acquire(long)} takes units or
 * returns a future that becomes ready once they were taken for the caller; {@link #signal(long)} gives units
 * back and hands them to the waiters at the head of the queue.
 *
 * <p><b>Strictly FIFO.</b> Waiters are served in the order they asked. A large request at the head blocks
 * smaller ones behind it even when enough units for those are free, as in Seastar: otherwise a stream of small
 * requests could starve a large one forever. An acquire that finds others waiting queues behind them even when
 * enough units are free. Units are taken for a waiter at the moment of the {@code signal} that satisfies it, so
 * nothing can steal them before its continuation runs.
 *
 * <p><b>Timeouts.</b> {@link #acquire(long, Duration)} fails with {@link SemaphoreTimedOutException} when the
 * units did not come in time; the waiter leaves the queue then, so it never takes units later, and the waiters
 * behind it get their chance at once. Its timer is cancelled when the units do come.
 *
 * <p><b>Breaking.</b> {@link #broken()} fails every current waiter and every later acquire, for orderly
 * shutdown.
 *
 * <p>Shard-local: build and use it on one shard thread; with {@code -ea} another thread's touch throws
 * {@link AssertionError}. No locks, no atomics. An uncontended acquire allocates nothing.
 */
public final class Semaphore {
    private final Reactor owner = ShardLocal.owner();
    private final WaitList<Waiter> waiters = new WaitList<>();
    private long count;
    private Throwable broken;

    /** A queued acquire: its units, its promise, and its timer when it has a timeout. */
    private static final class Waiter extends WaitList.Node<Waiter> {
        final long units;
        final Promise<Void> promise = new Promise<>();
        Timer timer;

        Waiter(long units) {
            this.units = units;
        }
    }

    /**
     * Creates a semaphore holding {@code units}. The calling shard owns it.
     *
     * @throws IllegalArgumentException when {@code units} is negative
     */
    public Semaphore(long units) {
        this.count = requireUnits(units);
    }

    /** Takes one unit: {@link #acquire(long) acquire(1)}. Owner shard only. */
    public Future<Void> acquire() {
        return acquire(1);
    }

    /**
     * Takes {@code n} units, waiting in FIFO order when they are not free or others wait already.
     * Owner shard only.
     *
     * @return a ready future when taken now (no allocation), a pending one completed once taken, or a future
     * failed with the break reason when the semaphore is {@linkplain #broken() broken}
     * @throws IllegalArgumentException when {@code n} is negative
     */
    public Future<Void> acquire(long n) {
        assert ShardLocal.isOwner(owner, this);
        requireUnits(n);
        if (broken != null) {
            return Future.failed(broken);
        }
        if (waiters.isEmpty() && count >= n) {
            count -= n;
            return Future.done();
        }
        Waiter w = new Waiter(n);
        waiters.addLast(w);
        return w.promise;
    }

    /**
     * Takes {@code n} units like {@link #acquire(long)}, but gives up after {@code timeout}: the future then
     * fails with {@link SemaphoreTimedOutException} and the request leaves the queue without taking anything.
     * Owner shard thread only (it arms a shard {@link Timer} when it has to wait).
     *
     * @throws IllegalArgumentException when {@code n} is negative
     * @throws IllegalStateException when it has to wait off a shard thread
     */
    public Future<Void> acquire(long n, Duration timeout) {
        assert ShardLocal.isOwner(owner, this);
        requireUnits(n);
        Objects.requireNonNull(timeout, "timeout");
        if (broken != null) {
            return Future.failed(broken);
        }
        if (waiters.isEmpty() && count >= n) {
            count -= n;
            return Future.done();
        }
        Waiter w = new Waiter(n);
        w.timer = new Timer(() -> expire(w, timeout));
        waiters.addLast(w);
        w.timer.arm(timeout);
        return w.promise;
    }

    /**
     * Takes {@code n} units only when that is possible now without waiting: they are free and nobody waits
     * (so it never jumps the FIFO). Owner shard only.
     *
     * @return true when the units were taken; false (nothing changed) otherwise, and always once broken
     * @throws IllegalArgumentException when {@code n} is negative
     */
    public boolean tryAcquire(long n) {
        assert ShardLocal.isOwner(owner, this);
        requireUnits(n);
        if (broken == null && waiters.isEmpty() && count >= n) {
            count -= n;
            return true;
        }
        return false;
    }

    /**
     * Returns {@code n} units and hands units to waiters from the head of the queue for as long as the head's
     * request fits. Their futures complete as tasks, after this returns. Owner shard only.
     *
     * @throws IllegalArgumentException when {@code n} is negative
     */
    public void signal(long n) {
        assert ShardLocal.isOwner(owner, this);
        count += requireUnits(n);
        wakeWaiters();
    }

    /** @return the units free now; units taken for woken waiters are no longer counted. Owner shard only. */
    public long available() {
        assert ShardLocal.isOwner(owner, this);
        return count;
    }

    /** @return how many acquires are queued. Owner shard only. */
    public int waiters() {
        assert ShardLocal.isOwner(owner, this);
        return waiters.size();
    }

    /**
     * Breaks the semaphore with {@link BrokenSemaphoreException}: see {@link #broken(Throwable)}.
     * Owner shard only.
     */
    public void broken() {
        broken(new BrokenSemaphoreException());
    }

    /**
     * Breaks the semaphore: every queued acquire fails with {@code reason} now (in queue order), and so does
     * every later acquire; {@link #tryAcquire} returns false. Units still counted stay counted and
     * {@link #signal} still adds to them, so holders may return theirs as usual. Breaking a broken semaphore
     * again changes the reason for later acquires. Owner shard only.
     */
    public void broken(Throwable reason) {
        assert ShardLocal.isOwner(owner, this);
        broken = Objects.requireNonNull(reason, "reason");
        Waiter w;
        while ((w = waiters.pollFirst()) != null) {
            cancelTimer(w);
            w.promise.setException(reason);
        }
    }

    /** @return true once {@link #broken()} was called. Owner shard only. */
    public boolean isBroken() {
        assert ShardLocal.isOwner(owner, this);
        return broken != null;
    }

    /**
     * Takes {@code n} units and wraps them in a holder that gives them back on {@link SemaphoreUnits#release()}
     * (or {@code close()}, for try-with-resources in {@link io.percore.core.Async} code). Owner shard only.
     *
     * @return a future of the holder; failed as {@link #acquire(long)} fails, and then nothing is held
     */
    public Future<SemaphoreUnits> getUnits(long n) {
        return acquire(n).map(ignored -> new SemaphoreUnits(this, n));
    }

    /** Like {@link #getUnits(long)}, with {@link #acquire(long, Duration)}'s timeout. Owner shard thread only. */
    public Future<SemaphoreUnits> getUnits(long n, Duration timeout) {
        return acquire(n, timeout).map(ignored -> new SemaphoreUnits(this, n));
    }

    /**
     * Runs {@code work} holding {@code n} units: acquires them, runs it, and returns them when its future
     * completes, whether it succeeded, failed, or {@code work} threw. Owner shard only.
     *
     * @return the work's outcome; failed as {@link #acquire(long)} fails (then {@code work} does not run)
     */
    public <T> Future<T> withUnits(long n, Supplier<? extends Future<T>> work) {
        return acquire(n).flatMap(ignored -> Future.of(work).finallyDo(() -> signal(n)));
    }

    /** Like {@link #withUnits(long, Supplier)}, with {@link #acquire(long, Duration)}'s timeout. */
    public <T> Future<T> withUnits(long n, Duration timeout, Supplier<? extends Future<T>> work) {
        return acquire(n, timeout).flatMap(ignored -> Future.of(work).finallyDo(() -> signal(n)));
    }

    private void wakeWaiters() {
        Waiter w;
        // Take units and unlink before completing: a continuation run inline (off-shard) may re-enter.
        while ((w = waiters.peekFirst()) != null && count >= w.units) {
            waiters.pollFirst();
            count -= w.units;
            cancelTimer(w);
            w.promise.setValue(null);
        }
    }

    private void expire(Waiter w, Duration timeout) {
        if (!waiters.remove(w)) {
            return; // served or failed already
        }
        w.promise.setException(new SemaphoreTimedOutException(
                "semaphore wait for " + w.units + " unit(s) timed out after " + timeout.toMillis() + " ms"));
        // It may have been the large request at the head that blocked smaller ones behind it.
        wakeWaiters();
    }

    private static void cancelTimer(Waiter w) {
        if (w.timer != null) {
            w.timer.cancel();
        }
    }

    private static long requireUnits(long n) {
        if (n < 0) {
            throw new IllegalArgumentException("units must not be negative: " + n);
        }
        return n;
    }

    @Override
    public String toString() {
        return "Semaphore[available=" + count + ", waiters=" + waiters.size() + (broken != null ? ", broken" : "")
                + "]";
    }
}
