package io.percore.core;

/**
 * The failure held by a failed future. Until someone looks at it ({@link #take()} or {@link #observe()}),
 * it is tracked by {@link IgnoredFailures}, which reports it if its future becomes unreachable unobserved.
 */
final class Failure {
    final Throwable error;
    private IgnoredFailures.Tracked tracked;

    Failure(Throwable error, Future<?> trackedFuture) {
        this.error = error;
        if (trackedFuture != null) {
            tracked = IgnoredFailures.track(trackedFuture, error);
        }
    }

    /** @return the error, which now counts as observed. */
    Throwable take() {
        observe();
        return error;
    }

    void observe() {
        IgnoredFailures.Tracked t = tracked;
        if (t != null) {
            tracked = null;
            IgnoredFailures.untrack(t);
        }
    }
}
