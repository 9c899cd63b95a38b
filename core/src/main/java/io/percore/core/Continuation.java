package io.percore.core;

/**
 * A continuation is both the task that runs when its source future resolves and the future of its own result,
 * so attaching one to a pending future costs one object. Subclasses read {@link #source} in {@link #run()}.
 *
 * @param <S> the source future's value type
 * @param <R> this future's value type
 */
abstract class Continuation<S, R> extends OwnedFuture<R> implements Runnable {
    Future<S> source;

    Continuation(Future<S> source) {
        this.source = source;
    }

    /** Completes this future with a failure taken (and so observed) from a failed future. */
    final void failFrom(Future<?> failed) {
        completeFailure(((Failure) failed.result).take());
    }

    @SuppressWarnings("unchecked")
    final S sourceValue() {
        return (S) source.result;
    }
}
