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
    Continuation(Future<S> source) {
        result = source;
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
