package io.percore.core;

/**
 * A continuation is both the task that runs when its source future resolves and the future of its own result,
 * so attaching one to a pending future costs one object. Subclasses read their source with {@link #source()}
 * in {@link #run()}, before they complete.
 *
 * <p>While a continuation is pending its {@code result} field has nothing to hold, so it holds the source future
 * (and, for the two-phase kinds, then the future they wait for): one field less in every continuation, which
 * makes the common kinds 32 bytes instead of 40. Completing overwrites it with the outcome.
 *
 * @param <S> the source future's value type
 * @param <R> this future's value type
 */
abstract class Continuation<S, R> extends OwnedFuture<R> implements Runnable {
    static final byte OTHER = 0, MAP = 1, FLAT_MAP = 2, CALLBACK = 3;

    /** Which kind this is, for {@link #dispatch()}; a byte that fits in the object's padding. */
    final byte kind;

    Continuation(Future<S> source, byte kind) {
        result = source;
        this.kind = kind;
    }

    /**
     * Runs this continuation as a task. The common kinds are called through their final classes, so the
     * reactor's loop does not go through one megamorphic interface call for every continuation.
     */
    final void dispatch() {
        switch (kind) {
            case MAP -> ((Continuations.Map<?, ?>) this).run();
            case FLAT_MAP -> ((Continuations.FlatMap<?, ?>) this).run();
            case CALLBACK -> ((Continuations.Callback<?>) this).run();
            default -> run();
        }
    }

    /** @return the future this continuation follows; valid only while this one is pending */
    @SuppressWarnings("unchecked")
    final Future<S> source() {
        return (Future<S>) result;
    }

    /** Completes this future with a failure taken (and so observed) from a failed future. */
    final void failFrom(Future<?> failed) {
        completeFailure(((Failure) failed.result).take());
    }
}
