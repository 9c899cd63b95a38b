package io.percore.memory;

import java.lang.foreign.MemorySegment;

/**
 * An allocation of a {@link MemoryPool}: either a block of the pool's chunk heap (then {@link #memory} is
 * the whole chunk and the buffer's offset locates the block, which spares a slice object per allocation)
 * or a dedicated mapping for a large request.
 */
final class PoolStorage extends Storage {
    final MemoryPool pool;
    /** The chunk-heap block, or {@link ChunkHeap#NIL} for a dedicated mapping. */
    final long block;
    /** The block's order in the chunk heap; -1 for a dedicated mapping. */
    final int order;
    /** Bytes this allocation counts against the shard's limit. */
    final long bytes;
    /** The dedicated mapping as returned by mmap (global scope, for munmap); null for heap blocks. */
    final MemorySegment mapping;

    /** Link in the pool's remote-free stack; written by the releasing thread before it publishes. */
    PoolStorage nextRemote;
    /** Links in the pool's list of live dedicated mappings, so close() can unmap them. Owner thread. */
    PoolStorage prevLarge, nextLarge;

    /** A block of the chunk heap. */
    PoolStorage(MemoryPool pool, MemorySegment chunkMemory, long block, int order, long bytes) {
        super(chunkMemory);
        this.pool = pool;
        this.block = block;
        this.order = order;
        this.bytes = bytes;
        this.mapping = null;
    }

    /** A dedicated mapping; {@code memory} is {@code mapping} in the pool's scope. */
    PoolStorage(MemoryPool pool, MemorySegment memory, MemorySegment mapping) {
        super(memory);
        this.pool = pool;
        this.block = ChunkHeap.NIL;
        this.order = -1;
        this.bytes = mapping.byteSize();
        this.mapping = mapping;
    }

    @Override
    void free() {
        pool.release(this);
    }
}
