/**
 * Messages between shards: the only way work crosses from one core to another.
 *
 * <p>Every ordered pair of shards has its own link: a request ring the sender alone writes and the target alone
 * reads, and a completion ring back ({@link io.percore.smp.SpscRing}, lock-free single-producer/single-consumer,
 * padded indices, release/acquire hand-off). A call made with {@link io.percore.smp.Smp#submitTo} is staged in the
 * ring and published with the rest of the turn's calls in one store; the target's reactor drains it in its next
 * poll, runs the work, and sends the outcome back the same way. The sender's future resolves on the sender's shard.
 * Nothing but the two ring indices is shared, and each is written by one thread.
 *
 * <p>A link carries at most its ring size of calls at once. Further calls wait on the sender, in order, and go out
 * as completions make room: back-pressure without failures and without unbounded rings. A sleeping target is woken
 * through its eventfd only when it has announced that it sleeps (a Dekker-style flag and fence), so busy shards
 * exchange messages without system calls.
 *
 * <p>{@link io.percore.smp.Sharded} builds per-shard services on top: one instance per shard, calls routed to the
 * owning shard, and an orderly stop through per-shard gates, last shard first.
 */
package io.percore.smp;
