package io.percore.core;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.function.BinaryOperator;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Combinators over many futures and loops of asynchronous steps (Seastar's {@code when_all}, {@code repeat},
 * {@code do_until}, {@code parallel_for_each}, {@code map_reduce}). Loops run their ready steps in place and
 * yield to the reactor when the task quota runs out, so a loop of ready futures neither grows the stack nor
 * starves I/O and timers. Shard thread (or any single thread off-shard, where nothing preempts).
 */
public final class Futures {
    private Futures() {}

    /**
     * @return a future of all values, in order, once every future is done; if any failed, it fails with the
     * first failure (in list order), the others attached as suppressed. Every failure counts as observed.
     */
    public static <T> Future<List<T>> whenAll(List<? extends Future<T>> futures) {
        Promise<List<T>> result = new Promise<>();
        int n = futures.size();
        if (n == 0) {
            return Future.ready(List.of());
        }
        Object[] values = new Object[n];
        Throwable[] errors = new Throwable[n];
        int[] remaining = {n};
        for (int i = 0; i < n; i++) {
            int index = i;
            futures.get(i).onComplete((v, e) -> {
                values[index] = v;
                errors[index] = e;
                if (--remaining[0] == 0) {
                    Throwable first = null;
                    for (Throwable err : errors) {
                        if (err != null) {
                            if (first == null) {
                                first = err;
                            } else if (err != first) {
                                first.addSuppressed(err);
                            }
                        }
                    }
                    if (first != null) {
                        result.setException(first);
                    } else {
                        List<T> list = new ArrayList<>(n);
                        for (Object o : values) {
                            @SuppressWarnings("unchecked")
                            T t = (T) o;
                            list.add(t);
                        }
                        result.setValue(list);
                    }
                }
            });
        }
        return result;
    }

    /** @return a future done when all are done, failed as {@link #whenAll(List)} would be. */
    public static Future<Void> whenAll(Future<?>... futures) {
        List<Future<Object>> list = new ArrayList<>(futures.length);
        for (Future<?> f : futures) {
            @SuppressWarnings("unchecked")
            Future<Object> o = (Future<Object>) f;
            list.add(o);
        }
        return whenAll(list).discardResult();
    }

    /**
     * @return a future with the outcome of whichever future finishes first; the failures of the later ones are
     * observed and dropped.
     * @throws IllegalArgumentException for an empty list
     */
    public static <T> Future<T> whenAny(List<? extends Future<T>> futures) {
        if (futures.isEmpty()) {
            throw new IllegalArgumentException("whenAny of no futures would never finish");
        }
        Promise<T> result = new Promise<>();
        for (Future<T> f : futures) {
            f.onComplete((v, e) -> {
                if (e == null) {
                    result.trySetValue(v);
                } else {
                    result.trySetException(e);
                }
            });
        }
        return result;
    }

    /**
     * Runs {@code step} again and again until its future yields {@code true} ("stop"), or fails.
     *
     * @return a future done after the last step
     */
    public static Future<Void> repeat(Supplier<? extends Future<Boolean>> step) {
        Repeat r = new Repeat(step);
        r.loop();
        return r;
    }

    /** Runs {@code step} until {@code stop} says so (checked before each step); Seastar's {@code do_until}. */
    public static Future<Void> doUntil(BooleanSupplier stop, Supplier<? extends Future<?>> step) {
        return repeat(() -> stop.getAsBoolean() ? Future.ready(Boolean.TRUE) : step.get().map(v -> stop.getAsBoolean()));
    }

    /** Runs {@code step} forever, until it fails; the returned future carries that failure. */
    public static Future<Void> keepDoing(Supplier<? extends Future<?>> step) {
        return repeat(() -> step.get().map(v -> Boolean.FALSE));
    }

    /**
     * Starts {@code action} for every element at once (all in flight together) and waits for all.
     *
     * @return a future done when every action is done; failed like {@link #whenAll(List)}
     */
    public static <E> Future<Void> parallelForEach(Iterable<E> elements, Function<? super E, ? extends Future<?>> action) {
        List<Future<Object>> all = new ArrayList<>();
        for (E e : elements) {
            @SuppressWarnings({"unchecked", "rawtypes"})
            Future<Object> f = Future.of(() -> (Future) action.apply(e));
            all.add(f);
        }
        return whenAll(all).discardResult();
    }

    /**
     * Maps every element with {@code mapper} (all in flight together) and folds the results with
     * {@code reducer} as they arrive, starting from {@code initial}.
     */
    public static <E, R> Future<R> mapReduce(Iterable<E> elements, Function<? super E, ? extends Future<R>> mapper,
                                             R initial, BinaryOperator<R> reducer) {
        List<Future<R>> mapped = new ArrayList<>();
        for (E e : elements) {
            mapped.add(Future.of(() -> mapper.apply(e)));
        }
        @SuppressWarnings("unchecked")
        R[] acc = (R[]) new Object[] {initial};
        List<Future<Void>> folded = new ArrayList<>(mapped.size());
        for (Future<R> f : mapped) {
            folded.add(f.map(v -> {
                acc[0] = reducer.apply(acc[0], v);
                return null;
            }));
        }
        return whenAll(folded).map(ignored -> acc[0]);
    }

    /** Iterates, one element at a time, each after the previous one's future is done. */
    public static <E> Future<Void> doForEach(Iterable<E> elements, Function<? super E, ? extends Future<?>> action) {
        Iterator<E> it = elements.iterator();
        return repeat(() -> it.hasNext() ? action.apply(it.next()).map(v -> Boolean.FALSE) : Future.ready(Boolean.TRUE));
    }

    /** The state of one {@link #repeat} loop: the loop's own future, and the callback for pending steps. */
    private static final class Repeat extends Promise<Void> {
        private final Supplier<? extends Future<Boolean>> step;

        Repeat(Supplier<? extends Future<Boolean>> step) {
            this.step = step;
        }

        void loop() {
            while (true) {
                Future<Boolean> f;
                try {
                    f = step.get();
                } catch (Throwable t) {
                    setException(t);
                    return;
                }
                if (f == null) {
                    setException(new NullPointerException("repeat step returned null"));
                    return;
                }
                if (f.state == PENDING) {
                    f.onComplete(this::resume);
                    return;
                }
                if (f.state == FAILED) {
                    setException(f.failure());
                    return;
                }
                if (Boolean.TRUE.equals(f.result)) {
                    setValue(null);
                    return;
                }
                if (Reactor.needPreempt()) {
                    Reactor.yieldNow().onComplete((v, e) -> loop());
                    return;
                }
            }
        }

        private void resume(Boolean stop, Throwable error) {
            if (error != null) {
                setException(error);
            } else if (Boolean.TRUE.equals(stop)) {
                setValue(null);
            } else {
                loop();
            }
        }
    }
}
