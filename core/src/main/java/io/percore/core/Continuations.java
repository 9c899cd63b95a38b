package io.percore.core;

import java.time.Duration;
import java.util.concurrent.TimeoutException;
import java.util.function.BiConsumer;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.function.Supplier;

/** The continuation kinds behind {@link Future}'s methods, one small class each. */
final class Continuations {
    private Continuations() {}

    /**
     * Makes {@code waiting} the continuation of the pending future {@code inner}.
     *
     * @return false when {@code inner} already had a continuation: {@code waiting} then fails with that error
     * instead of staying pending forever (the error would otherwise only reach the reactor's log)
     */
    @SuppressWarnings({"unchecked", "rawtypes"})
    private static boolean waitFor(Continuation<?, ?> waiting, Future<?> inner) {
        try {
            ((Future) inner).attach((Continuation) waiting);
            return true;
        } catch (IllegalStateException e) {
            waiting.completeFailure(e);
            return false;
        }
    }

    static final class Map<S, R> extends Continuation<S, R> {
        private final Function<? super S, ? extends R> fn;

        Map(Future<S> source, Function<? super S, ? extends R> fn) {
            super(source, MAP);
            this.fn = fn;
        }

        @Override
        @SuppressWarnings("unchecked")
        public void run() {
            Future<S> source = source();
            if (source.state == FAILED) {
                failFrom(source);
                return;
            }
            R value;
            try {
                value = fn.apply((S) source.result);
            } catch (Throwable t) {
                completeFailure(t);
                return;
            }
            completeValue(value);
        }
    }

    /**
     * Waits for its source, then for the future the function returns (two phases, one object). In the second
     * phase the pending result field holds that inner future instead of the source.
     */
    static final class FlatMap<S, R> extends Continuation<S, R> {
        private Function<? super S, ? extends Future<R>> fn;
        /** Second phase: waiting for the inner future (a byte that fits in the object's padding). */
        private boolean inner;

        FlatMap(Future<S> source, Function<? super S, ? extends Future<R>> fn) {
            super(source, FLAT_MAP);
            this.fn = fn;
        }

        @Override
        @SuppressWarnings("unchecked")
        public void run() {
            if (inner) {
                completeFrom((Future<?>) result); // the inner future, resolved
                return;
            }
            Future<S> source = source();
            if (source.state == FAILED) {
                failFrom(source);
                return;
            }
            Future<R> next;
            try {
                next = fn.apply((S) source.result);
            } catch (Throwable t) {
                completeFailure(t);
                return;
            }
            fn = null;
            if (next == null) {
                completeFailure(new NullPointerException("flatMap function returned null"));
            } else if (next.state != PENDING) {
                completeFrom(next);
            } else if (waitFor(this, next)) {
                result = next;
                inner = true;
            }
        }
    }

    static final class Handle<S, R> extends Continuation<S, R> {
        private final BiFunction<? super S, Throwable, ? extends R> fn;

        Handle(Future<S> source, BiFunction<? super S, Throwable, ? extends R> fn) {
            super(source, OTHER);
            this.fn = fn;
        }

        @Override
        @SuppressWarnings("unchecked")
        public void run() {
            Future<S> source = source();
            R value;
            try {
                value = source.state == VALUE ? fn.apply((S) source.result, null)
                        : fn.apply(null, ((Failure) source.result).take());
            } catch (Throwable t) {
                completeFailure(t);
                return;
            }
            completeValue(value);
        }
    }

    /** Two phases like {@link FlatMap}: in the second the result field holds the inner future. */
    static final class Recover<S> extends Continuation<S, S> {
        private Function<Throwable, ? extends Future<S>> fn;
        private boolean inner;

        Recover(Future<S> source, Function<Throwable, ? extends Future<S>> fn) {
            super(source, OTHER);
            this.fn = fn;
        }

        @Override
        public void run() {
            if (inner) {
                completeFrom((Future<?>) result); // the inner future, resolved
                return;
            }
            Future<S> source = source();
            if (source.state == VALUE) {
                completeValue(source.result);
                return;
            }
            Future<S> next;
            try {
                next = fn.apply(((Failure) source.result).take());
            } catch (Throwable t) {
                completeFailure(t);
                return;
            }
            fn = null;
            if (next == null) {
                completeFailure(new NullPointerException("recoverWith function returned null"));
            } else if (next.state != PENDING) {
                completeFrom(next);
            } else if (waitFor(this, next)) {
                result = next;
                inner = true;
            }
        }
    }

    /** Runs an action whatever the outcome, waits for its future, then passes the original outcome on. */
    static final class Finally<S> extends Continuation<S, S> {
        /** Its own copy of the source: the second phase needs it too. */
        private final Future<S> source;
        private Supplier<? extends Future<?>> action;
        private Future<?> actionFuture;

        Finally(Future<S> source, Supplier<? extends Future<?>> action) {
            super(source, OTHER);
            this.source = source;
            this.action = action;
        }

        @Override
        @SuppressWarnings({"unchecked", "rawtypes"})
        public void run() {
            if (actionFuture == null) {
                Future<?> f;
                try {
                    f = action.get();
                    if (f == null) {
                        f = Future.failed(new NullPointerException("finallyDo action returned null"));
                    }
                } catch (Throwable t) {
                    f = Future.failed(t);
                }
                action = null;
                if (f.state == PENDING) {
                    try {
                        ((Future) f).attach((Continuation) this);
                        actionFuture = f;
                        return;
                    } catch (IllegalStateException e) {
                        // The action's future already had a continuation: that is the action's failure.
                        f = Future.failed(e);
                    }
                }
                actionFuture = f;
            }
            finish();
        }

        private void finish() {
            Future<?> f = actionFuture;
            if (source.state == FAILED) {
                Throwable original = ((Failure) source.result).take();
                if (f.state == FAILED) {
                    Throwable second = ((Failure) f.result).take();
                    if (second != original) {
                        original.addSuppressed(second);
                    }
                }
                completeFailure(original);
            } else if (f.state == FAILED) {
                failFrom(f);
            } else {
                completeValue(source.result);
            }
        }
    }

    static final class Callback<S> extends Continuation<S, Void> {
        private final BiConsumer<? super S, Throwable> callback;

        Callback(Future<S> source, BiConsumer<? super S, Throwable> callback) {
            super(source, CALLBACK);
            this.callback = callback;
        }

        @Override
        @SuppressWarnings("unchecked")
        public void run() {
            Future<S> source = source();
            try {
                if (source.state == VALUE) {
                    callback.accept((S) source.result, null);
                } else {
                    callback.accept(null, ((Failure) source.result).take());
                }
            } catch (Throwable t) {
                Reactor.reportUncaught("onComplete callback", t);
            }
            completeValue(null);
        }
    }

    /** Races a future against a timer; whichever comes first completes this future. */
    static final class TimeoutRace<S> extends Continuation<S, S> {
        /** Its own copy of the source: it is read after the timer has completed this future. */
        private final Future<S> source;
        private final Timer timer;
        private final Duration timeout;

        TimeoutRace(Future<S> source, Duration timeout) {
            super(source, OTHER);
            this.source = source;
            this.timeout = timeout;
            this.timer = new Timer(this::expire);
        }

        @Override
        public void run() {
            if (state != PENDING) {
                if (source.state == FAILED) {
                    ((Failure) source.result).observe();
                }
                return;
            }
            timer.cancel();
            completeFrom(source);
        }

        void timerArm(Duration d) {
            timer.arm(d);
        }

        private void expire() {
            if (state == PENDING) {
                completeFailure(new TimeoutException("timed out after " + timeout.toMillis() + " ms"));
            }
        }
    }

    static <T> Future<T> timeout(Future<T> source, Duration timeout) {
        if (Shard.current() == null) {
            throw new IllegalStateException("withTimeout needs a shard thread (it arms a shard timer)");
        }
        TimeoutRace<T> race = new TimeoutRace<>(source, timeout);
        // Attach first: when the source already has a continuation this throws, and no timer may be left armed.
        source.attach(race);
        race.timerArm(timeout);
        return race;
    }
}
