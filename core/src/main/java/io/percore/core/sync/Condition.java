package io.percore.core.sync;

import io.percore.core.Future;
import io.percore.core.Promise;
import io.percore.core.Reactor;
import io.percore.core.Timer;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;

/**
 * A condition variable on one shard: tasks {@link #await()} until another task, having changed some shared
 * state, {@link #signal()}s one of them or {@link #broadcast()}s to all. There is no mutex, because a shard runs
 * one task at a time: the state a waiter checked cannot change between its check and its {@code await}.
 *
 * <p><b>Order.</b> Waiters are woken in the order they started waiting. A signal with nobody waiting is lost
 * (the variable has no memory), which is why a waiter should check its state before waiting, or use
 * {@link #await(BooleanSupplier)}.
 *
 * <p><b>Predicates.</b> {@link #await(BooleanSupplier)} waits until its predicate holds. The predicate is
 * checked at once, then on every signal and broadcast, by the signalling task: a signal walks the queue from
 * the head and wakes the first waiter that has no predicate or whose predicate is true; waiters whose predicate
 * is false keep their place. A woken predicate waiter knows its predicate held when it was woken; its
 * continuation runs later, as a task, so it re-checks if other tasks may change the state in between.
 * Predicates must be cheap and must not touch this condition; one that throws fails its own waiter only.
 *
 * <p><b>Timeouts and breaking.</b> A timed wait fails with {@link TimedOutException} and leaves the queue.
 * {@link #broken()} fails every current and later wait.
 *
 * <p>Shard-local: build and use it on one shard thread; with {@code -ea} another thread's touch throws
 * {@link AssertionError}. No locks, no atomics.
 */
public final class Condition {
    private final Reactor owner = ShardLocal.owner();
    private final WaitList<Waiter> waiters = new WaitList<>();
    private Throwable broken;

    /** Fails a timed {@link #await(Duration)} whose timeout passed before a signal woke it. */
    public static final class TimedOutException extends TimeoutException {
        /** @param message what timed out and after how long */
        public TimedOutException(String message) {
            super(message);
        }
    }

    /** The default reason a condition is {@linkplain #broken() broken}. */
    public static final class BrokenException extends IllegalStateException {
        /** Creates the default exception: "condition variable broken". */
        public BrokenException() {
            super("condition variable broken: its owner is shutting down");
        }
    }

    private static final class Waiter extends WaitList.Node<Waiter> {
        final Promise<Void> promise = new Promise<>();
        final BooleanSupplier predicate;
        Timer timer;

        Waiter(BooleanSupplier predicate) {
            this.predicate = predicate;
        }
    }

    /** Creates a condition variable. The calling shard owns it. */
    public Condition() {}

    /**
     * Waits for the next {@link #signal()} or {@link #broadcast()} that reaches this waiter. Owner shard only.
     *
     * @return a future completed when woken, or failed with the break reason once {@linkplain #broken() broken}
     */
    public Future<Void> await() {
        assert ShardLocal.isOwner(owner, this);
        if (broken != null) {
            return Future.failed(broken);
        }
        return enqueue(new Waiter(null));
    }

    /**
     * Waits like {@link #await()}, but at most {@code timeout}; then the future fails with
     * {@link TimedOutException} and the waiter leaves the queue. Owner shard thread only (it arms a timer).
     */
    public Future<Void> await(Duration timeout) {
        return timed(new Waiter(null), timeout);
    }

    /**
     * Waits until {@code predicate} holds: ready at once when it holds now, else it is checked again on every
     * signal and broadcast (see the class comment). Owner shard only.
     *
     * @return a future completed once the predicate was seen true; failed when the predicate throws (with that
     * exception) or when the condition is broken
     */
    public Future<Void> await(BooleanSupplier predicate) {
        assert ShardLocal.isOwner(owner, this);
        Objects.requireNonNull(predicate, "predicate");
        if (broken != null) {
            return Future.failed(broken);
        }
        try {
            if (predicate.getAsBoolean()) {
                return Future.done();
            }
        } catch (Throwable t) {
            return Future.failed(t);
        }
        return enqueue(new Waiter(predicate));
    }

    /**
     * Waits until {@code predicate} holds, like {@link #await(BooleanSupplier)}, but at most {@code timeout};
     * then fails with {@link TimedOutException}. Owner shard thread only.
     */
    public Future<Void> await(Duration timeout, BooleanSupplier predicate) {
        assert ShardLocal.isOwner(owner, this);
        Objects.requireNonNull(predicate, "predicate");
        if (broken == null) {
            try {
                if (predicate.getAsBoolean()) {
                    return Future.done();
                }
            } catch (Throwable t) {
                return Future.failed(t);
            }
        }
        return timed(new Waiter(predicate), timeout);
    }

    /**
     * Wakes the longest-waiting waiter that has no predicate or whose predicate now holds; does nothing when
     * there is none. Its future completes as a task, after this returns. Owner shard only.
     */
    public void signal() {
        assert ShardLocal.isOwner(owner, this);
        Waiter w = waiters.peekFirst();
        while (w != null) {
            if (!w.isLinked()) {
                // An off-shard continuation run inline by a failure below changed the queue: start again.
                w = waiters.peekFirst();
                continue;
            }
            Waiter next = waiters.next(w);
            Throwable failure = null;
            boolean wake;
            try {
                wake = w.predicate == null || w.predicate.getAsBoolean();
            } catch (Throwable t) {
                wake = false;
                failure = t;
            }
            if (wake || failure != null) {
                waiters.remove(w);
                cancelTimer(w);
                if (wake) {
                    w.promise.setValue(null);
                    return;
                }
                w.promise.setException(failure);
            }
            w = next;
        }
    }

    /**
     * Wakes every waiter that has no predicate or whose predicate now holds, in queue order; the others keep
     * waiting. Owner shard only.
     */
    public void broadcast() {
        assert ShardLocal.isOwner(owner, this);
        // Pick first, complete after: completing never runs a continuation inline on a shard, but off-shard
        // it does, and it must not find the queue half-walked.
        WaitList<Waiter> woken = new WaitList<>();
        Waiter w = waiters.peekFirst();
        while (w != null) {
            Waiter next = waiters.next(w);
            if (w.predicate == null || check(w)) {
                waiters.remove(w);
                woken.addLast(w);
            }
            w = next;
        }
        while ((w = woken.pollFirst()) != null) {
            cancelTimer(w);
            if (w.promise.isDone()) {
                continue; // its predicate threw and failed it
            }
            w.promise.setValue(null);
        }
    }

    /** Breaks it with {@link BrokenException}: see {@link #broken(Throwable)}. Owner shard only. */
    public void broken() {
        broken(new BrokenException());
    }

    /**
     * Breaks it: every current waiter fails with {@code reason} now, in queue order, and so does every later
     * wait. Owner shard only.
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

    /** @return how many tasks wait. Owner shard only. */
    public int waiters() {
        assert ShardLocal.isOwner(owner, this);
        return waiters.size();
    }

    /** @return true when a predicate holds; a predicate that throws fails its waiter and counts as "wake it". */
    private static boolean check(Waiter w) {
        try {
            return w.predicate.getAsBoolean();
        } catch (Throwable t) {
            w.promise.setException(t);
            return true;
        }
    }

    private Future<Void> enqueue(Waiter w) {
        waiters.addLast(w);
        return w.promise;
    }

    private Future<Void> timed(Waiter w, Duration timeout) {
        assert ShardLocal.isOwner(owner, this);
        Objects.requireNonNull(timeout, "timeout");
        if (broken != null) {
            return Future.failed(broken);
        }
        w.timer = new Timer(() -> {
            if (waiters.remove(w)) {
                w.promise.setException(new TimedOutException(
                        "condition wait timed out after " + timeout.toMillis() + " ms"));
            }
        });
        waiters.addLast(w);
        w.timer.arm(timeout);
        return w.promise;
    }

    private static void cancelTimer(Waiter w) {
        if (w.timer != null) {
            w.timer.cancel();
        }
    }

    @Override
    public String toString() {
        return "Condition[waiters=" + waiters.size() + (broken != null ? ", broken" : "") + "]";
    }
}
