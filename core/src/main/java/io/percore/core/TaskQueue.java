package io.percore.core;

import java.util.ArrayDeque;

/**
 * One shard's ready tasks of one scheduling group, with the group's virtual runtime on that shard.
 * Shard thread only.
 */
final class TaskQueue {
    final Reactor reactor;
    final SchedulingGroup group;
    private final ArrayDeque<Runnable> tasks = new ArrayDeque<>(256);
    /** CPU time used, divided by shares (scaled): the queue with the least runs next. */
    long vruntime;
    /** Total CPU time its tasks used on this shard, in nanoseconds. */
    long runtimeNanos;
    long tasksRun;
    boolean active;

    TaskQueue(Reactor reactor, SchedulingGroup group) {
        this.reactor = reactor;
        this.group = group;
    }

    /** @return the queue continuations attach to now on this thread, or null off-shard. */
    static TaskQueue current() {
        return Thread.currentThread() instanceof Shard s ? s.reactor.currentQueue : null;
    }

    void add(Runnable task) {
        if (!active) {
            reactor.activate(this);
        }
        tasks.addLast(task);
    }

    Runnable poll() {
        return tasks.pollFirst();
    }

    boolean isEmpty() {
        return tasks.isEmpty();
    }

    int size() {
        return tasks.size();
    }

    /** Charges {@code nanos} of CPU time, weighted by the group's shares. */
    void charge(long nanos) {
        runtimeNanos += nanos;
        vruntime += nanos * 1024 / group.shares();
    }
}
