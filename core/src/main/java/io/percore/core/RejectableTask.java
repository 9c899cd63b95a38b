package io.percore.core;

import java.util.concurrent.RejectedExecutionException;

/**
 * A task handed to a shard from another thread ({@link Reactor#execute}) that must hear about it if the shard
 * stops before running it — typically because it completes someone's future. Plain {@link Runnable}s that lose
 * that race are dropped (and counted in the shard's debug log); these are rejected instead.
 */
public interface RejectableTask extends Runnable {
    /** Called instead of {@link #run()} when the shard stopped first; on the stopping shard's thread. */
    void reject(RejectedExecutionException reason);
}
