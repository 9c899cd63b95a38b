package io.percore.core;

/**
 * Something the reactor checks every turn besides its tasks and timers: the cross-shard queues, a memory
 * pool's remote frees, later a network device. Seastar calls these pollers. Runs on the shard thread only.
 */
public interface Poller {
    /** @return true when it did work (so the reactor does not go idle). */
    boolean poll();

    /**
     * Called with the reactor's "sleeping" flag already published, before it blocks. Return false when work
     * arrived meanwhile: the reactor then stays awake. Producers that see the flag ring the reactor awake.
     */
    default boolean tryEnterIdle() {
        return true;
    }

    /** Called after the reactor wakes up, for every poller whose {@link #tryEnterIdle()} returned true. */
    default void exitIdle() {
    }
}
