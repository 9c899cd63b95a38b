package io.percore.memory;

import io.percore.sys.ErrnoException;
import io.percore.sys.Mmap;
import io.percore.sys.Numa;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * One shard's off-heap memory: it hands out {@link Buffer}s, counts them against the shard's limit, and
 * takes them back. Seastar's per-shard allocator, in Java: each shard allocates from memory that only its
 * own thread touches, so allocation and release need no locks and no atomics, and memory placed on the
 * shard's NUMA node stays local.
 *
 * <h2>Where memory comes from</h2>
 * Requests up to {@value #MAX_POOLED_SIZE} bytes are served from 2 MiB chunks (mapped from the kernel,
 * huge-page advised, bound to the pool's NUMA node) split into power-of-two size classes from 64 B up:
 * a request takes the smallest class that holds it, and a class-size block of 2^k bytes is aligned to
 * 2^k. Freed blocks are reused for the same class, and merge with free neighbours so other classes can
 * use them (see {@code ChunkHeap}). Larger requests get a mapping of their own, rounded up to whole
 * pages and unmapped when freed.
 *
 * <h2>The limit</h2>
 * {@link #used()} counts the bytes handed out, after rounding (a 100-byte request uses a 128-byte class);
 * an allocation that would take it past {@link #limit()} throws {@link ShardMemoryExhaustedException}.
 * {@link #mapped()} is what the pool holds from the kernel; it exceeds {@code used()} by the free blocks
 * inside chunks (at most one wholly free chunk is kept).
 *
 * <h2>Threads</h2>
 * A pool belongs to one thread, its owner: the thread that created it until
 * {@link #bindToCurrentThread()} makes the calling thread the owner and the pool its {@link #current()}.
 * Only the owner allocates, drains and closes; with {@code -ea} this is asserted. A buffer may be released
 * on any thread: on the owner its memory goes straight back to the free lists; on another thread (a
 * buffer that travelled to another shard) it is pushed onto a lock-free stack that the owner empties in
 * {@link #drainRemoteFrees()}, which the reactor calls every loop turn and allocation calls before it
 * gives up.
 */
public final class MemoryPool implements AutoCloseable {
    /** The largest request served from the size classes; larger ones get their own mapping. */
    public static final int MAX_POOLED_SIZE = 256 << 10;

    private static final int MAX_POOLED_ORDER = ChunkHeap.orderFor(MAX_POOLED_SIZE);
    private static final long HUGE_PAGE = 2L << 20;
    private static final ThreadLocal<MemoryPool> CURRENT = new ThreadLocal<>();

    private final int shardId;
    private final long limit;
    private final int numaNode;
    /**
     * Scope of every segment the pool hands out: closing it at {@link #close()} makes buffers that outlive
     * the pool fail with an exception instead of touching unmapped memory.
     */
    private final Arena arena = Arena.ofShared();
    private final ChunkHeap heap;
    private final RemoteFreeStack remoteFrees = new RemoteFreeStack();

    /**
     * Written by the constructor and bindToCurrentThread, read by releasing threads. A plain field is
     * enough: a foreign thread can only hold a buffer of this pool after the owner allocated it and handed
     * it over through a queue, and that hand-over orders the binding before the read.
     */
    private Thread owner;
    private boolean bound;
    private boolean closed;

    private long used;
    private long largeMapped;
    private PoolStorage largeHead;

    private long allocationCount;
    private long freeCount;
    private long remoteFreeCount;
    private long failureCount;

    /**
     * Creates a pool owned by the calling thread. No memory is mapped until the first allocation.
     *
     * @param shardId the shard this pool serves, named in errors
     * @param limitBytes the most bytes {@link #used()} may reach, positive
     * @param numaNode the node to place memory on, or negative for no binding (pass -1 when
     *                 {@link PoolMemory#numaNodeCount()} is 1, to save a system call per chunk)
     */
    public MemoryPool(int shardId, long limitBytes, int numaNode) {
        if (shardId < 0) {
            throw new IllegalArgumentException("shard id must not be negative, got " + shardId);
        }
        if (limitBytes <= 0) {
            throw new IllegalArgumentException("memory limit of shard " + shardId + " must be positive, got "
                    + limitBytes);
        }
        this.shardId = shardId;
        this.limit = limitBytes;
        this.numaNode = Math.max(numaNode, -1);
        this.heap = new ChunkHeap(arena, MAX_POOLED_ORDER, this.numaNode);
        this.owner = Thread.currentThread();
    }

    /**
     * Makes the calling thread this pool's owner and the pool its {@link #current()}. Called once, by
     * the shard's thread as it starts.
     *
     * @throws IllegalStateException when the pool is already bound to another thread, the thread already
     *                               has another pool, or the pool is closed
     */
    public void bindToCurrentThread() {
        ensureOpen();
        Thread me = Thread.currentThread();
        if (bound && owner != me) {
            throw new IllegalStateException("the pool of shard " + shardId + " is already bound to thread "
                    + owner.getName());
        }
        MemoryPool existing = CURRENT.get();
        if (existing != null && existing != this) {
            throw new IllegalStateException("thread " + me.getName() + " already has the pool of shard "
                    + existing.shardId);
        }
        owner = me;
        bound = true;
        CURRENT.set(this);
    }

    /**
     * @return the pool bound to the calling thread by {@link #bindToCurrentThread()}, or null when the
     *         thread is not a shard. Any thread.
     */
    public static MemoryPool current() {
        return CURRENT.get();
    }

    /**
     * Allocates {@code size} bytes (contents undefined). Owner thread only.
     *
     * @return a buffer of length {@code size}, aligned to its size class (at least 64 bytes); the
     *         {@linkplain Buffer#empty() empty buffer} for size 0
     * @throws ShardMemoryExhaustedException when the allocation would exceed the limit, even after
     *                                       taking back buffers released on other threads
     */
    public Buffer allocate(int size) {
        return allocateAligned(size, 1);
    }

    /**
     * Allocates {@code size} bytes starting at a multiple of {@code alignment} (contents undefined).
     * Alignment up to {@value #MAX_POOLED_SIZE} comes from the size classes (a small buffer with a large
     * alignment uses a block of the alignment's size); beyond, from an aligned dedicated mapping. Owner
     * thread only.
     *
     * @param alignment a power of two, e.g. 512 or 4096 for O_DIRECT
     * @throws IllegalArgumentException for a negative size or an alignment that is not a power of two
     * @throws ShardMemoryExhaustedException as for {@link #allocate(int)}
     */
    public Buffer allocateAligned(int size, int alignment) {
        assert onOwner() : notOwner("allocate");
        if (size < 0) {
            throw new IllegalArgumentException("buffer size must not be negative, got " + size);
        }
        if (alignment <= 0 || Integer.bitCount(alignment) != 1) {
            throw new IllegalArgumentException("alignment must be a power of two, got " + alignment);
        }
        ensureOpen();
        if (size == 0) {
            return Buffer.empty();
        }
        int order = Math.max(ChunkHeap.orderFor(size), ChunkHeap.orderFor(alignment));
        if (order <= MAX_POOLED_ORDER) {
            return allocateBlock(size, order);
        }
        return allocateMapping(size, alignment);
    }

    private Buffer allocateBlock(int size, int order) {
        long bytes = ChunkHeap.blockSize(order);
        reserve(size, bytes);
        long block = heap.allocate(order);
        if (block == ChunkHeap.NIL) {
            // Before asking the kernel for more, take back what other shards released and merge cached
            // blocks: either may free a block of this order.
            drainRemoteFrees();
            heap.flushCaches();
            block = heap.allocate(order);
            if (block == ChunkHeap.NIL) {
                try {
                    block = heap.allocateFromNewChunk(order);
                } catch (ErrnoException e) {
                    throw kernelRefused(size, e);
                }
            }
        }
        used += bytes;
        allocationCount++;
        PoolStorage storage = new PoolStorage(this, heap.chunkMemory(block), block, order, bytes);
        return new Buffer(storage, ChunkHeap.offset(block), size);
    }

    private Buffer allocateMapping(int size, int alignment) {
        long page = Mmap.pageSize();
        long bytes = (size + page - 1) & -page;
        reserve(size, bytes);
        // Large mappings start on a huge-page boundary so the kernel can back them with huge pages.
        long align = Math.max(alignment, bytes >= HUGE_PAGE ? HUGE_PAGE : page);
        MemorySegment mapping;
        try {
            mapping = ChunkHeap.mapAligned(bytes, align);
            try {
                if (bytes >= HUGE_PAGE) {
                    Mmap.adviseHugePages(mapping);
                }
                if (numaNode >= 0) {
                    Numa.bind(mapping, numaNode);
                }
            } catch (ErrnoException e) {
                Mmap.unmap(mapping);
                throw e;
            }
        } catch (ErrnoException e) {
            throw kernelRefused(size, e);
        }
        PoolStorage storage = new PoolStorage(this, Mmap.inScope(mapping, arena), mapping);
        storage.nextLarge = largeHead;
        if (largeHead != null) {
            largeHead.prevLarge = storage;
        }
        largeHead = storage;
        largeMapped += bytes;
        used += bytes;
        allocationCount++;
        return new Buffer(storage, 0, size);
    }

    /** Checks the limit for {@code bytes} more, draining remote frees once before refusing. */
    private void reserve(int requested, long bytes) {
        if (used + bytes <= limit) {
            return;
        }
        drainRemoteFrees();
        if (used + bytes > limit) {
            failureCount++;
            String rounding = bytes == requested ? "" : " (" + bytes + " after rounding)";
            throw new ShardMemoryExhaustedException(shardId, requested, used, limit,
                    "it would exceed the shard's memory limit" + rounding, null);
        }
    }

    private ShardMemoryExhaustedException kernelRefused(int requested, ErrnoException e) {
        failureCount++;
        return new ShardMemoryExhaustedException(shardId, requested, used, limit,
                "the kernel refused more memory", e);
    }

    /** Where a released storage's last view went: straight back on the owner, via the stack elsewhere. */
    void release(PoolStorage storage) {
        if (closed) {
            return; // the memory went with the pool; a stale read here only costs a useless push
        }
        if (Thread.currentThread() == owner) {
            freeLocal(storage);
        } else {
            remoteFrees.push(storage);
        }
    }

    private void freeLocal(PoolStorage storage) {
        if (closed) {
            return; // its memory went with the pool
        }
        if (storage.mapping == null) {
            heap.free(storage.block, storage.order);
        } else {
            unmapLarge(storage);
        }
        used -= storage.bytes;
        freeCount++;
    }

    private void unmapLarge(PoolStorage storage) {
        if (storage.prevLarge == null) {
            largeHead = storage.nextLarge;
        } else {
            storage.prevLarge.nextLarge = storage.nextLarge;
        }
        if (storage.nextLarge != null) {
            storage.nextLarge.prevLarge = storage.prevLarge;
        }
        storage.prevLarge = storage.nextLarge = null;
        largeMapped -= storage.bytes;
        Mmap.unmap(storage.mapping);
    }

    /**
     * Returns to the free lists every buffer whose last view was released on another thread since the
     * previous drain. Owner thread only; the reactor calls it each loop turn.
     *
     * @return how many allocations were taken back; 0 when there were none
     */
    public int drainRemoteFrees() {
        assert onOwner() : notOwner("drainRemoteFrees");
        PoolStorage storage = remoteFrees.takeAll();
        int drained = 0;
        while (storage != null) {
            PoolStorage next = storage.nextRemote;
            storage.nextRemote = null;
            freeLocal(storage);
            drained++;
            storage = next;
        }
        remoteFreeCount += drained;
        return drained;
    }

    /**
     * Unmaps all the pool's memory and unbinds it from its thread. Buffers still alive become unusable:
     * touching them throws {@link IllegalStateException}, releasing them does nothing. Owner thread, or
     * any thread once the owner has terminated (a shard's pool is closed by whoever joined the shard's
     * thread at shutdown); a second call does nothing.
     *
     * @throws IllegalStateException when another thread is using a buffer of this pool in a native call
     *                               at this moment; the pool then stays open
     */
    @Override
    public void close() {
        assert onOwner() || !owner.isAlive() : notOwner("close");
        if (closed) {
            return;
        }
        arena.close(); // first, so nothing can reach the memory once it is unmapped
        closed = true;
        remoteFrees.takeAll();
        heap.unmapAll();
        for (PoolStorage s = largeHead; s != null; s = s.nextLarge) {
            Mmap.unmap(s.mapping);
        }
        largeHead = null;
        largeMapped = 0;
        used = 0;
        if (CURRENT.get() == this) {
            CURRENT.remove();
        }
    }

    /** @return bytes handed out and not yet freed, after size-class and page rounding. Owner thread. */
    public long used() {
        return used;
    }

    /** @return the most bytes {@link #used()} may reach. Any thread. */
    public long limit() {
        return limit;
    }

    /** @return bytes currently mapped from the kernel: chunks and dedicated mappings. Owner thread. */
    public long mapped() {
        return heap.mapped() + largeMapped;
    }

    /** @return the shard this pool serves. Any thread. */
    public int shardId() {
        return shardId;
    }

    /** @return the NUMA node memory is bound to, or -1 for none. Any thread. */
    public int numaNode() {
        return numaNode;
    }

    /** @return successful allocations since creation (empty buffers are not counted). Owner thread. */
    public long allocations() {
        return allocationCount;
    }

    /** @return allocations given back, whether released locally or drained from other threads. Owner thread. */
    public long frees() {
        return freeCount;
    }

    /** @return the subset of {@link #frees()} that arrived through the remote-free stack. Owner thread. */
    public long remoteFrees() {
        return remoteFreeCount;
    }

    /** @return allocations refused (limit reached or kernel refusal). Owner thread. */
    public long failures() {
        return failureCount;
    }

    /** @return a one-line summary for logs. Owner thread. */
    @Override
    public String toString() {
        return "MemoryPool[shard " + shardId + ", used " + MemorySize.format(used) + " of "
                + MemorySize.format(limit) + ", mapped " + MemorySize.format(mapped())
                + (numaNode >= 0 ? ", node " + numaNode : "") + (closed ? ", closed" : "") + "]";
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("the pool of shard " + shardId + " is closed");
        }
    }

    private boolean onOwner() {
        return Thread.currentThread() == owner;
    }

    private String notOwner(String what) {
        return what + " on thread " + Thread.currentThread().getName() + ", but the pool of shard " + shardId
                + " belongs to thread " + owner.getName();
    }
}
