package io.percore.core;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeoutException;
import java.util.function.BiConsumer;
import java.util.function.BiFunction;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The result of an operation that may not have finished yet: a single-item, single-use queue on one shard.
 *
 * <p>A future is either <em>pending</em>, <em>ready</em> with a value, or <em>failed</em> with an exception.
 * Code continues after it with {@link #map}, {@link #flatMap}, {@link #then}, {@link #handle} and friends; each
 * returns a new future for the continuation's result. A pending future takes at most one continuation
 * (it is a queue of one); ready and failed futures may be continued any number of times.
 *
 * <p><b>Shard-local.</b> A future belongs to the shard whose thread created it and is touched only there: no
 * field is volatile, nothing is atomic. Continuations of a future that resolves later run as tasks on that
 * shard, in the scheduling group that was current when the continuation was attached. Continuations of a ready
 * future run at once, inline, with no queue hop and no promise allocated. With {@code -ea}, touching a future
 * from another shard's thread throws {@link AssertionError}. Futures created outside any shard (tests, a
 * {@code main} thread) have no owner and run their continuations on the thread that resolves them.
 *
 * <p><b>Failures are never silent.</b> A continuation that throws fails the future it returns. A failed future
 * that is dropped without anyone looking at its failure is reported in the log once the garbage collector
 * finds it unreachable, as Seastar reports "exceptional future ignored".
 *
 * @param <T> the value's type ({@link Void} and {@code null} for "done")
 */
public class Future<T> {
    static final byte PENDING = 0, VALUE = 1, FAILED = 2;

    // A ready future needs nothing but its value: this class holds only the state and the result (24 bytes with
    // default headers, as a CompletableFuture). What only a future that can wait needs (its waiter, its shard's
    // queue) lives in OwnedFuture, the class of promises, continuations and failed futures.
    byte state;
    /** The value, or a {@link Failure} when failed. */
    Object result;

    private static final Future<Void> VOID = new Future<>(VALUE, null);

    /** A future created in {@code state} with {@code result}; only {@link OwnedFuture} may create pending ones. */
    Future(byte state, Object result) {
        this.state = state;
        this.result = result;
    }

    // ---------------------------------------------------------------- ready and failed futures

    /** @return a ready future holding {@code value}; allocation is the future object alone. Any thread. */
    public static <T> Future<T> ready(T value) {
        return new Future<>(VALUE, value);
    }

    /** @return the shared ready future of "done"; it may be continued any number of times. Any thread. */
    @SuppressWarnings("unchecked")
    public static <T> Future<T> done() {
        return (Future<T>) VOID;
    }

    /** @return a future failed with {@code error}. Any thread. */
    public static <T> Future<T> failed(Throwable error) {
        Objects.requireNonNull(error, "error");
        OwnedFuture<T> f = new OwnedFuture<>(FAILED, TaskQueue.current());
        f.result = new Failure(error, f);
        return f;
    }

    /**
     * Runs {@code action} now and returns its future; an exception it throws becomes a failed future
     * (Seastar's {@code futurize_invoke}). Shard thread or any thread.
     */
    public static <T> Future<T> of(Supplier<? extends Future<T>> action) {
        try {
            Future<T> f = action.get();
            return f != null ? f : failed(new NullPointerException("the action returned a null future"));
        } catch (Throwable t) {
            return failed(t);
        }
    }

    /** Runs {@code action} now; its value or exception becomes a ready or failed future. */
    public static <T> Future<T> ofValue(Callable<T> action) {
        try {
            return ready(action.call());
        } catch (Throwable t) {
            return failed(t);
        }
    }

    // ---------------------------------------------------------------- state

    /** @return true when the future has a value or a failure. */
    public final boolean isDone() {
        checkOwner();
        return state != PENDING;
    }

    /** @return true when the future holds a value. */
    public final boolean isReady() {
        checkOwner();
        return state == VALUE;
    }

    /** @return true when the future holds a failure. */
    public final boolean isFailed() {
        checkOwner();
        return state == FAILED;
    }

    /**
     * @return the value of a ready future
     * @throws CompletionException wrapping the failure of a failed future (which then counts as observed)
     * @throws IllegalStateException when the future is still pending
     */
    @SuppressWarnings("unchecked")
    public final T getNow() {
        checkOwner();
        return switch (state) {
            case VALUE -> (T) result;
            case FAILED -> throw new CompletionException(((Failure) result).take());
            default -> throw new IllegalStateException("future is still pending");
        };
    }

    /** @return the failure of a failed future (marking it observed), or null when pending or ready. */
    public final Throwable failure() {
        checkOwner();
        return state == FAILED ? ((Failure) result).take() : null;
    }

    // ---------------------------------------------------------------- continuations

    /** @return a future of {@code fn} applied to this value; failures pass through untouched. */
    @SuppressWarnings("unchecked")
    public final <R> Future<R> map(Function<? super T, ? extends R> fn) {
        checkOwner();
        if (state == VALUE) {
            try {
                return ready(fn.apply((T) result));
            } catch (Throwable t) {
                return failed(t);
            }
        }
        if (state == FAILED) {
            return propagate();
        }
        return attach(new Continuations.Map<>(this, fn));
    }

    /** @return the future returned by {@code fn} applied to this value (Seastar's {@code then}). */
    @SuppressWarnings("unchecked")
    public final <R> Future<R> flatMap(Function<? super T, ? extends Future<R>> fn) {
        checkOwner();
        if (state == VALUE) {
            try {
                Future<R> next = (Future<R>) fn.apply((T) result);
                return next != null ? next : failed(new NullPointerException("flatMap function returned null"));
            } catch (Throwable t) {
                return failed(t);
            }
        }
        if (state == FAILED) {
            return propagate();
        }
        return attach(new Continuations.FlatMap<>(this, fn));
    }

    /** @return the future of {@code next}, run after this one succeeds; its value is ignored. */
    public final <R> Future<R> then(Supplier<? extends Future<R>> next) {
        return flatMap(ignored -> next.get());
    }

    /** @return a future completed after {@code action} consumes this value. */
    public final Future<Void> thenAccept(Consumer<? super T> action) {
        return map(v -> {
            action.accept(v);
            return null;
        });
    }

    /** @return a future of {@code fn} applied to (value, null) or (null, failure); the failure counts as observed. */
    @SuppressWarnings("unchecked")
    public final <R> Future<R> handle(BiFunction<? super T, Throwable, ? extends R> fn) {
        checkOwner();
        if (state != PENDING) {
            try {
                return state == VALUE ? ready(fn.apply((T) result, null))
                        : ready(fn.apply(null, ((Failure) result).take()));
            } catch (Throwable t) {
                return failed(t);
            }
        }
        return attach(new Continuations.Handle<>(this, fn));
    }

    /** @return this future's value, or {@code fn} of its failure when it failed (recovery). */
    public final Future<T> handleException(Function<Throwable, ? extends T> fn) {
        return handle((v, e) -> e == null ? v : fn.apply(e));
    }

    /** @return this future, or the future {@code fn} returns for its failure. */
    @SuppressWarnings("unchecked")
    public final Future<T> recoverWith(Function<Throwable, ? extends Future<T>> fn) {
        checkOwner();
        if (state == VALUE) {
            return this;
        }
        if (state == FAILED) {
            try {
                Future<T> next = (Future<T>) fn.apply(((Failure) result).take());
                return next != null ? next : failed(new NullPointerException("recoverWith function returned null"));
            } catch (Throwable t) {
                return failed(t);
            }
        }
        return attach(new Continuations.Recover<>(this, fn));
    }

    /** @return a future with this one's outcome, after {@code action} ran whatever that outcome was. */
    public final Future<T> finallyDo(Runnable action) {
        return finallyDoAsync(() -> {
            action.run();
            return done();
        });
    }

    /**
     * @return a future with this one's outcome, completed after the future {@code action} returns; if that
     * future fails while this one succeeded, its failure wins (as in Seastar's {@code finally}).
     */
    public final Future<T> finallyDoAsync(Supplier<? extends Future<?>> action) {
        checkOwner();
        return attach(new Continuations.Finally<>(this, action));
    }

    /** Calls {@code callback} with (value, null) or (null, failure) when done; the terminal continuation. */
    @SuppressWarnings("unchecked")
    public final void onComplete(BiConsumer<? super T, Throwable> callback) {
        checkOwner();
        if (state != PENDING) {
            if (state == VALUE) {
                callback.accept((T) result, null);
            } else {
                callback.accept(null, ((Failure) result).take());
            }
            return;
        }
        attach(new Continuations.Callback<>(this, callback));
    }

    /** Completes {@code promise} with this future's outcome. */
    public final void forward(Promise<? super T> promise) {
        onComplete((v, e) -> {
            if (e == null) {
                promise.setValue(v);
            } else {
                promise.setException(e);
            }
        });
    }

    /** @return a future of "done" that keeps this one's failure but drops its value. */
    public final Future<Void> discardResult() {
        return map(v -> null);
    }

    /**
     * Marks a failure as deliberately ignored (no "ignored failure" report) and drops the value.
     * Use for fire-and-forget work whose failure is logged elsewhere.
     */
    public final void ignoreFailure() {
        onComplete((v, e) -> { });
    }

    /**
     * @return a future with this one's outcome, or failed with {@link TimeoutException} when {@code timeout}
     * passes first. The original operation is not cancelled; its late result is dropped (and its failure
     * marked observed). Shard thread only.
     */
    public final Future<T> withTimeout(Duration timeout) {
        checkOwner();
        if (state != PENDING) {
            return this;
        }
        return Continuations.timeout(this, timeout);
    }

    // ---------------------------------------------------------------- continuation plumbing

    /**
     * Registers {@code next} as the continuation of this future and returns it. A pending future (always an
     * {@link OwnedFuture}) keeps it until it resolves; a done one runs it at once, inline.
     */
    final <R, C extends Continuation<T, R>> C attach(C next) {
        if (state != PENDING) {
            next.run();
            return next;
        }
        ((OwnedFuture<T>) this).await(next);
        return next;
    }

    @SuppressWarnings("unchecked")
    private <R> Future<R> propagate() {
        Failure f = (Failure) result;
        return failed(f.take());
    }

    /** With -ea: the future is touched only by its shard's thread. */
    final void checkOwner() {
        assert !(this instanceof OwnedFuture<?> o) || o.queue == null || o.queue.reactor.isOwnerThread()
                : "future of shard " + ((OwnedFuture<?>) this).queue.reactor.shardId() + " touched from thread "
                        + Thread.currentThread().getName();
    }

    @Override
    public String toString() {
        return switch (state) {
            case VALUE -> "Future[ready: " + result + "]";
            case FAILED -> "Future[failed: " + ((Failure) result).error + "]";
            default -> "Future[pending]";
        };
    }
}
