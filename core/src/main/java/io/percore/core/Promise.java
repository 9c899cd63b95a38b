package io.percore.core;

/**
 * The producer side of a {@link Future}: whoever holds the promise resolves it once, with a value or an
 * exception. A promise <em>is</em> its future ({@link #future()} returns {@code this}), so a pending operation
 * costs one object. Shard-local like every future: resolve it on the shard that created it; to resolve from
 * elsewhere, send the work to that shard first.
 *
 * @param <T> the value's type
 */
public class Promise<T> extends OwnedFuture<T> {
    /** A pending promise owned by the current shard (or by no shard when made off-shard). */
    public Promise() {
        super();
    }

    /** @return the future this promise resolves. */
    public final Future<T> future() {
        return this;
    }

    /**
     * Resolves with {@code value}; a waiting continuation is scheduled on its shard.
     *
     * @throws IllegalStateException when already resolved
     */
    public final void setValue(T value) {
        checkOwner();
        completeValue(value);
    }

    /**
     * Resolves with a failure.
     *
     * @throws IllegalStateException when already resolved
     */
    public final void setException(Throwable error) {
        checkOwner();
        completeFailure(error == null ? new NullPointerException("null exception") : error);
    }

    /** @return true when this call resolved it; false when it was already resolved. */
    public final boolean trySetValue(T value) {
        checkOwner();
        if (state != PENDING) {
            return false;
        }
        completeValue(value);
        return true;
    }

    /** @return true when this call resolved it; false when it was already resolved. */
    public final boolean trySetException(Throwable error) {
        checkOwner();
        if (state != PENDING) {
            return false;
        }
        completeFailure(error);
        return true;
    }
}
