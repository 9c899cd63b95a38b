/**
 * Synchronisation between the tasks of one shard: {@link io.percore.core.sync.Semaphore} (units, for
 * concurrency and memory limits), {@link io.percore.core.sync.Gate} (orderly stop of a service),
 * {@link io.percore.core.sync.AbortSource} (a one-shot "stop now" signal),
 * {@link io.percore.core.sync.Condition} (a condition variable) and {@link io.percore.core.sync.Pipe} (a
 * bounded queue with back-pressure).
 *
 * <h2>Why single-shard</h2>
 * In percore a shard's state belongs to its thread, and shards talk only by messages. What needs coordinating
 * is therefore the tasks <em>of one shard</em>: many requests in flight on one reactor, interleaved at their
 * continuations. These primitives serve exactly that, and nothing more. Each object belongs to the shard whose
 * thread built it; with {@code -ea} a touch from another thread fails with {@link java.lang.AssertionError},
 * as it does for a {@link io.percore.core.Future}. To wait on another shard's semaphore, submit the acquire to
 * that shard ({@code Smp.submitTo}) and get its future back across.
 *
 * <h2>Why no locks</h2>
 * A shard runs one task at a time, to completion, and never preempts one in the middle. Between two
 * continuations nothing else touches the state, so a check and the update that follows it cannot be
 * interleaved: a counter and a queue are enough. There is no lock, no atomic, no volatile field, and nothing
 * here ever blocks the thread; "waiting" always means holding a pending future. The uncontended paths (an
 * acquire that finds its units, a write that finds room) allocate nothing beyond what the caller asked for.
 *
 * <h2>How waiters are woken</h2>
 * A waiter is a promise in an intrusive FIFO list. Whoever releases what it waits for (a {@code signal}, a
 * {@code read} that makes room) updates the state <em>for</em> the waiter at once (takes its units, queues its
 * item) and resolves its promise. The waiter's continuation does not run inside the releasing call: resolving
 * a pending future schedules its continuation as a task on the shard, in the scheduling group it was attached
 * in. So a release is cheap and never re-enters its caller, and since the state was updated for the waiter,
 * no task that runs before it can take what it was given. Timeouts are shard {@link io.percore.core.Timer}s,
 * cancelled when the wait ends another way; a waiter whose timeout fires leaves the list in O(1) and never
 * takes anything afterwards.
 *
 * <h2>Fairness</h2>
 * Waiters are served strictly in arrival order. A newcomer never overtakes someone already waiting, even when
 * what it asks for is free: {@code Semaphore.tryAcquire} fails and {@code acquire} queues behind the waiters,
 * and {@code Pipe.tryWrite} fails while writers wait. For the semaphore this means a large request at the head
 * holds back smaller ones behind it, as in Seastar; the alternative lets a steady stream of small requests
 * starve a large one. The one deliberate exception is {@code Condition.await(BooleanSupplier)}: a waiter whose
 * predicate is false does not hold back the waiters behind it, since it cannot use the wake-up.
 *
 * <h2>Failure</h2>
 * Every primitive that queues waiters has a way to fail them all for shutdown ({@code broken},
 * {@code abort}), and every failure arrives as a failed future, never as an exception from a wait method.
 * Misuse that is a bug (negative units, a null item) throws at once.
 */
package io.percore.core.sync;
