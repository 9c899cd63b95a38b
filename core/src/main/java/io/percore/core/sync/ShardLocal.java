package io.percore.core.sync;

import io.percore.core.Reactor;

/**
 * The owner check every primitive of this package makes: an object belongs to the shard whose thread built it
 * and, with {@code -ea}, touching it from another thread fails with {@link AssertionError}, as a
 * {@link io.percore.core.Future} does. An object built off-shard (a test's main thread) has no owner.
 */
final class ShardLocal {
    private ShardLocal() {}

    /** @return the reactor of the calling thread, or null off-shard; recorded by constructors. */
    static Reactor owner() {
        return Reactor.current();
    }

    /** @return true when the caller may touch an object owned by {@code owner}; used inside {@code assert}. */
    static boolean isOwner(Reactor owner, Object what) {
        if (owner == null || owner.isOwnerThread()) {
            return true;
        }
        throw new AssertionError(what.getClass().getSimpleName() + " of shard " + owner.shardId()
                + " touched from thread " + Thread.currentThread().getName());
    }
}
