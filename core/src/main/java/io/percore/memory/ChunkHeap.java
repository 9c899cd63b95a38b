package io.percore.memory;

import io.percore.sys.Mmap;
import io.percore.sys.Numa;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/**
 * The small-allocation heap of one pool: a binary buddy allocator over 2 MiB chunks mapped from the
 * kernel, with blocks from 64 B (order 0) to a whole chunk (order 15).
 *
 * <p>Why buddies: every block is a power of two at an offset that is a multiple of its size, inside a
 * chunk mapped on a 2 MiB boundary, so a block of 2^k bytes is aligned to 2^k (what O_DIRECT needs)
 * without padding; and freed neighbours merge back into bigger blocks, so memory freed by one size class
 * serves the others and a chunk that empties can be returned to the kernel.
 *
 * <p>Free blocks are kept on one doubly linked list per order, with the links stored inside the free
 * blocks themselves (next at +0, previous at +8), so the heap costs no memory per free block. A block is
 * named by a handle, {@code chunkIndex << 32 | offset}. One byte per 64-byte unit of a chunk records the
 * state of a block starting there (free, allocated or cached, and its order); the buddy of a block is
 * free exactly when its byte says so, and freeing a block that is not allocated is detected.
 *
 * <p>A per-order cache of recently freed blocks (a LIFO of bounded size) sits in front of the lists:
 * a request/release pattern of one size then reuses the same warm block instead of splitting and merging
 * through many orders each time. The caches are flushed into the lists before a new chunk is mapped.
 *
 * <p>Thread-safety: none; the owning shard's thread only.
 */
final class ChunkHeap {
    static final int MIN_SHIFT = 6;
    static final int CHUNK_SHIFT = 21;
    static final long CHUNK_SIZE = 1L << CHUNK_SHIFT;
    static final int TOP_ORDER = CHUNK_SHIFT - MIN_SHIFT;
    static final long NIL = -1;

    /** Bytes of freed blocks each order's cache may hold (at least one block). */
    private static final int CACHE_BYTES = 64 << 10;

    private static final long NEXT = 0, PREV = 8;
    /** Unit states; 0 marks a unit that starts no block (or a block interior). */
    private static final int FREE = 1, ALLOCATED = 32, CACHED = 64;

    private final Arena arena;
    private final int numaNode;

    private Chunk[] chunks = new Chunk[8];
    private int[] freeIndexes = new int[8];
    private int freeIndexCount;
    private int chunkSlots;
    private int chunkCount;

    private final long[] heads = new long[TOP_ORDER + 1];
    private final long[][] caches;
    private final int[] cacheCounts;

    private static final class Chunk {
        final int index;
        /** As returned by mmap, global scope: what munmap gets. */
        final MemorySegment mapping;
        /** The same memory in the pool's arena: what buffers see, dead once the pool closes. */
        final MemorySegment memory;
        final byte[] state = new byte[1 << TOP_ORDER];

        Chunk(int index, MemorySegment mapping, MemorySegment memory) {
            this.index = index;
            this.mapping = mapping;
            this.memory = memory;
        }
    }

    /**
     * @param arena the pool's arena; chunk memory is handed out in its scope
     * @param maxCachedOrder the highest order served to callers (caches exist only up to it)
     * @param numaNode node to bind chunks to, or negative for none
     */
    ChunkHeap(Arena arena, int maxCachedOrder, int numaNode) {
        this.arena = arena;
        this.numaNode = numaNode;
        Arrays.fill(heads, NIL);
        caches = new long[maxCachedOrder + 1][];
        cacheCounts = new int[maxCachedOrder + 1];
        for (int order = 0; order <= maxCachedOrder; order++) {
            caches[order] = new long[Math.max(1, CACHE_BYTES >> (order + MIN_SHIFT))];
        }
    }

    /** @return the order of the smallest block holding {@code bytes} (at least 1). */
    static int orderFor(long bytes) {
        int shift = 64 - Long.numberOfLeadingZeros(Math.max(bytes, 1) - 1); // ceil(log2(bytes))
        return Math.max(0, shift - MIN_SHIFT);
    }

    static long blockSize(int order) {
        return 1L << (order + MIN_SHIFT);
    }

    static int offset(long block) {
        return (int) block;
    }

    private static long handle(Chunk chunk, long offset) {
        return (long) chunk.index << 32 | offset;
    }

    private Chunk chunk(long block) {
        return chunks[(int) (block >>> 32)];
    }

    /** @return the memory of the chunk holding {@code block} (the buffer's offset is {@link #offset}). */
    MemorySegment chunkMemory(long block) {
        return chunk(block).memory;
    }

    /** @return bytes currently mapped for chunks. */
    long mapped() {
        return (long) chunkCount * CHUNK_SIZE;
    }

    /**
     * Takes a block of {@code order} from the cache or the free lists, without mapping memory.
     *
     * @return the block's handle, or {@link #NIL} when no free block is large enough
     */
    long allocate(int order) {
        if (order < caches.length && cacheCounts[order] > 0) {
            long block = caches[order][--cacheCounts[order]];
            setState(block, ALLOCATED + order);
            return block;
        }
        for (int from = order; from <= TOP_ORDER; from++) {
            long block = heads[from];
            if (block == NIL) {
                continue;
            }
            if (state(block) != FREE + from) {
                throw corrupted(block, "on free list " + from);
            }
            unlink(from, block);
            // Keep the lower half, put the upper halves back: a split of order k yields one free block of
            // each order between the request and k.
            for (int o = from - 1; o >= order; o--) {
                push(o, block + blockSize(o));
            }
            setState(block, ALLOCATED + order);
            return block;
        }
        return NIL;
    }

    /**
     * Maps a new chunk and takes a block of {@code order} from it.
     *
     * @throws io.percore.sys.ErrnoException when the kernel refuses the mapping or the NUMA binding
     */
    long allocateFromNewChunk(int order) {
        mapChunk();
        long block = allocate(order);
        assert block != NIL : "a fresh chunk serves any order";
        return block;
    }

    /**
     * Returns an allocated block.
     *
     * @throws IllegalStateException when the block is not allocated with this order (a double free)
     */
    void free(long block, int order) {
        if (state(block) != ALLOCATED + order) {
            throw corrupted(block, "freed as order " + order);
        }
        if (order < caches.length && cacheCounts[order] < caches[order].length) {
            caches[order][cacheCounts[order]++] = block;
            setState(block, CACHED + order);
            return;
        }
        merge(block, order);
    }

    /** Moves every cached block to the free lists, merging buddies, so large requests can find them. */
    void flushCaches() {
        for (int order = 0; order < caches.length; order++) {
            for (int i = 0; i < cacheCounts[order]; i++) {
                merge(caches[order][i], order);
            }
            cacheCounts[order] = 0;
        }
    }

    /** Unmaps every chunk; blocks still allocated die with them (the arena is closed first by the pool). */
    void unmapAll() {
        for (int i = 0; i < chunkSlots; i++) {
            Chunk c = chunks[i];
            if (c != null) {
                chunks[i] = null;
                Mmap.unmap(c.mapping);
            }
        }
        chunkCount = 0;
        chunkSlots = 0;
        freeIndexCount = 0;
        Arrays.fill(heads, NIL);
        Arrays.fill(cacheCounts, 0);
    }

    private void merge(long block, int order) {
        Chunk c = chunk(block);
        long offset = offset(block);
        setState(block, 0);
        while (order < TOP_ORDER) {
            long buddy = offset ^ blockSize(order);
            if (c.state[(int) (buddy >>> MIN_SHIFT)] != FREE + order) {
                break;
            }
            unlink(order, handle(c, buddy));
            offset &= ~blockSize(order);
            order++;
        }
        if (order == TOP_ORDER && heads[TOP_ORDER] != NIL) {
            // A second wholly free chunk: one spare is enough to absorb a burst, give this one back.
            unmapChunk(c);
            return;
        }
        push(order, handle(c, offset));
    }

    private void mapChunk() {
        // Mapped on a 2 MiB boundary so blocks are naturally aligned and the kernel can use huge pages.
        MemorySegment mapping = mapAligned(CHUNK_SIZE, CHUNK_SIZE);
        try {
            Mmap.adviseHugePages(mapping);
            if (numaNode >= 0) {
                Numa.bind(mapping, numaNode);
            }
        } catch (RuntimeException e) {
            Mmap.unmap(mapping);
            throw e;
        }
        int index;
        if (freeIndexCount > 0) {
            index = freeIndexes[--freeIndexCount];
        } else {
            if (chunkSlots == chunks.length) {
                chunks = Arrays.copyOf(chunks, chunks.length * 2);
                freeIndexes = Arrays.copyOf(freeIndexes, chunks.length);
            }
            index = chunkSlots++;
        }
        Chunk c = new Chunk(index, mapping, Mmap.inScope(mapping, arena));
        chunks[index] = c;
        chunkCount++;
        push(TOP_ORDER, handle(c, 0));
    }

    private void unmapChunk(Chunk c) {
        chunks[c.index] = null;
        freeIndexes[freeIndexCount++] = c.index;
        chunkCount--;
        Mmap.unmap(c.mapping);
    }

    /**
     * Maps {@code size} bytes starting on an {@code alignment} boundary by mapping more and unmapping the
     * unaligned head and the tail (mmap itself only promises page alignment).
     *
     * @param size a multiple of the page size
     * @param alignment a power of two
     * @return the mapping, global scope
     */
    static MemorySegment mapAligned(long size, long alignment) {
        long page = Mmap.pageSize();
        if (alignment <= page) {
            return Mmap.mapAnonymous(size);
        }
        long span = size + alignment - page;
        MemorySegment raw = Mmap.mapAnonymous(span);
        long head = -raw.address() & (alignment - 1);
        long tail = span - head - size;
        if (head > 0) {
            Mmap.unmap(raw.asSlice(0, head));
        }
        if (tail > 0) {
            Mmap.unmap(raw.asSlice(head + size, tail));
        }
        return raw.asSlice(head, size);
    }

    private int state(long block) {
        return chunk(block).state[offset(block) >>> MIN_SHIFT];
    }

    private void setState(long block, int state) {
        chunk(block).state[offset(block) >>> MIN_SHIFT] = (byte) state;
    }

    private void push(int order, long block) {
        Chunk c = chunk(block);
        long offset = offset(block);
        long first = heads[order];
        c.memory.set(ValueLayout.JAVA_LONG, offset + NEXT, first);
        c.memory.set(ValueLayout.JAVA_LONG, offset + PREV, NIL);
        if (first != NIL) {
            chunk(first).memory.set(ValueLayout.JAVA_LONG, offset(first) + PREV, block);
        }
        heads[order] = block;
        c.state[(int) (offset >>> MIN_SHIFT)] = (byte) (FREE + order);
    }

    private void unlink(int order, long block) {
        Chunk c = chunk(block);
        long offset = offset(block);
        long next = c.memory.get(ValueLayout.JAVA_LONG, offset + NEXT);
        long prev = c.memory.get(ValueLayout.JAVA_LONG, offset + PREV);
        if (prev == NIL) {
            heads[order] = next;
        } else {
            chunk(prev).memory.set(ValueLayout.JAVA_LONG, offset(prev) + NEXT, next);
        }
        if (next != NIL) {
            chunk(next).memory.set(ValueLayout.JAVA_LONG, offset(next) + PREV, prev);
        }
        c.state[(int) (offset >>> MIN_SHIFT)] = 0;
    }

    private IllegalStateException corrupted(long block, String what) {
        return new IllegalStateException("pool heap: block at chunk " + (block >>> 32) + " offset "
                + offset(block) + " " + what + " has state " + state(block)
                + " (a buffer freed twice, or memory written after it was freed)");
    }
}
