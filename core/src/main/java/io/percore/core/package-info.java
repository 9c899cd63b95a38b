/**
 * The shard runtime: {@link io.percore.core.Shard shards}, their {@link io.percore.core.Reactor reactors}, and the
 * {@link io.percore.core.Future futures} that carry every operation that waits.
 *
 * <h2>A shard owns everything it touches</h2>
 * One thread per core, pinned, runs one reactor. Whatever a task on that shard creates — futures, timers,
 * buffers, connections — belongs to it and is touched by no other thread. That is why nothing in this package
 * is volatile or atomic on the paths tasks take: there is no one to race with. Work moves between shards only
 * as messages ({@code io.percore.smp}).
 *
 * <h2>A future is a single-item, single-use queue</h2>
 * A {@link io.percore.core.Future} is pending, ready with a value, or failed. A continuation attached to a ready
 * future runs at once, inline, with no task and no promise allocated: chains of ready futures cost a few
 * nanoseconds a step. A continuation attached to a pending future is itself the future of its result (one object)
 * and, when the source resolves, runs as a task on the shard — never inside the resolver's call stack, so
 * resolving a promise cannot re-enter its caller. A failed future that nobody looks at is reported.
 *
 * <h2>The loop</h2>
 * Each turn the reactor runs ready tasks of the scheduling group that is most behind its shares until the task
 * quota (default 0.5 ms) expires, then polls the I/O backend and its pollers (cross-shard queues), takes work handed
 * in from other threads, and fires expired timers. A task that runs long blocks all of that; the
 * {@link io.percore.core.StallDetector} reports such tasks with their stack, and
 * {@link io.percore.core.Reactor#maybeYield()} lets long computations give the loop a turn. Idle, the reactor spins
 * briefly, then sleeps in the backend until its next timer; other shards wake it through an eventfd.
 *
 * <h2>Straight-line code</h2>
 * {@link io.percore.core.Async} suspends a body at each {@code await} with the JDK's own continuations, on the shard
 * thread, so handlers can read like blocking code without blocking anything. Blocking calls that cannot be avoided
 * go to {@link io.percore.core.Offload}.
 */
package io.percore.core;
