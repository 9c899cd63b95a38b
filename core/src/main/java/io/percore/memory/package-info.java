/**
 * Per-shard off-heap memory: the pools, and the {@link io.percore.memory.Buffer} and
 * {@link io.percore.memory.Packet} types that carry bytes through the network and file layers.
 *
 * <h2>Why a pool per shard</h2>
 * A shard's thread is the only one that allocates from its {@link io.percore.memory.MemoryPool}, so the
 * pool needs no locks, no atomics and no thread-local caches in front of a shared heap: allocation is a
 * pop from a size-class free list. Each pool takes its memory from the kernel in 2 MiB chunks advised for
 * huge pages and bound to the shard's NUMA node, so a shard's buffers are near its CPU. Each pool has its
 * own limit, a share of {@code --memory} (parsed by {@link io.percore.memory.MemorySize}); one shard
 * running out fails that shard's allocations with
 * {@link io.percore.memory.ShardMemoryExhaustedException}, not the process.
 *
 * <h2>The one concurrent path</h2>
 * Buffers travel: a shard reads a request into its memory and hands the buffer to the shard that owns
 * the data, which may release it. Memory still goes home: a release on a foreign thread pushes the
 * allocation onto its pool's remote-free stack, a Treiber stack and the only atomic operations in this
 * package, and the owning shard takes the whole stack back in
 * {@link io.percore.memory.MemoryPool#drainRemoteFrees()} once per reactor loop turn. Everything else is
 * plain fields, checked with {@code assert} (run with {@code -ea}) to be touched by the owner only.
 *
 * <h2>Lifetimes</h2>
 * A {@link io.percore.memory.Buffer} is a view on storage with a reference count: sharing adds a view,
 * each view is released once, the storage is freed after its last view. The count is shard-local, so all
 * views of one storage live on one shard at a time. A {@link io.percore.memory.Packet} owns its fragment
 * buffers and releases them when it is released or trimmed; sharing a packet shares every fragment. The
 * rule for the I/O layers follows from this: memory given to the kernel is a share held until the
 * completion arrives, so nothing the kernel may still write into can be freed first.
 *
 * <p>A thread that is not a shard (start-up code, tests) can still allocate buffers; they come from a
 * shared arena per buffer, correct but slow to free, see {@link io.percore.memory.Buffer#allocate(int)}.
 */
package io.percore.memory;
