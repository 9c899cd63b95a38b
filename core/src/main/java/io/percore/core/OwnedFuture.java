package io.percore.core;

/**
 * A future that belongs to a shard and may wait: promises, continuations and failed futures. Beside the state and
 * result every future has, it holds the one continuation waiting for it and the task queue of its shard, which
 * {@link Future#checkOwner()} checks under {@code -ea}. Ready futures ({@link Future#ready}) need neither and are
 * plain {@link Future}s, a third smaller. Shard thread only, like every future.
 *
 * @param <T> the value's type
 */
class OwnedFuture<T> extends Future<T> {
    /** The one continuation waiting for this pending future; scheduled when it resolves. */
    Continuation<?, ?> waiter;
    /** Where continuations of this future run: the task queue current when it was created (null off-shard). */
    final TaskQueue queue;

    /** A pending future owned by the current shard (if any). */
    OwnedFuture() {
        super(PENDING, null);
        this.queue = TaskQueue.current();
    }

    /** A future created done (failed futures), owned by {@code queue}'s shard. */
    OwnedFuture(byte state, TaskQueue queue) {
        super(state, null);
        this.queue = queue;
    }

    final void completeValue(Object value) {
        if (state != PENDING) {
            throw new IllegalStateException("future already " + (state == VALUE ? "has a value" : "failed"));
        }
        state = VALUE;
        result = value;
        wake();
    }

    final void completeFailure(Throwable error) {
        if (state != PENDING) {
            throw new IllegalStateException("future already " + (state == VALUE ? "has a value" : "failed"));
        }
        state = FAILED;
        // Nobody waits yet: track it, so that dropping it unobserved gets reported.
        result = new Failure(error, waiter == null ? this : null);
        wake();
    }

    /** Completes this future with the outcome of {@code done}, which has one. */
    final void completeFrom(Future<?> done) {
        if (done.state == VALUE) {
            completeValue(done.result);
        } else {
            completeFailure(((Failure) done.result).take());
        }
    }

    /** Makes {@code next} the continuation of this pending future. */
    final void await(Continuation<?, ?> next) {
        if (waiter != null) {
            throw new IllegalStateException("a pending future takes one continuation; this one already has one");
        }
        waiter = next;
    }

    /** Hands the resolved future to its waiter: as a task on the waiter's queue, or inline off-shard. */
    private void wake() {
        Continuation<?, ?> w = waiter;
        if (w != null) {
            waiter = null;
            TaskQueue q = w.queue;
            if (q != null) {
                q.add(w);
            } else {
                w.run();
            }
        }
    }
}
