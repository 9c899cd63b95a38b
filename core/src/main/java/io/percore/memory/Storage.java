package io.percore.memory;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * What the views of one allocation share: the memory, a reference count, and what to do when the last
 * view goes. A {@link Buffer} is a window (offset, length) on a storage; {@link Buffer#share()} adds a
 * window and a reference, {@link Buffer#release()} drops one, and the storage is freed on the thread that
 * drops the last one.
 *
 * <p>The count is a plain int, not an atomic: all views of one storage belong to one thread at a time
 * (they move between shards only through queues that order memory), which is the share-nothing rule
 * applied to buffers. Only the hand-back of pool memory to its shard crosses threads, and it goes through
 * the pool's lock-free remote-free stack instead.
 */
abstract class Storage {
    /** The memory the views address; views carry offsets into it. */
    final MemorySegment memory;
    /** Live views; the storage is freed when this reaches zero. */
    int refs = 1;

    Storage(MemorySegment memory) {
        this.memory = memory;
    }

    /** Gives the memory back; called exactly once, by the thread that released the last view. */
    abstract void free();

    /** Behind {@link Buffer#empty()}: never counted, never freed, so one instance can serve every thread. */
    static final Storage EMPTY = new Storage(MemorySegment.NULL) {
        @Override
        void free() {
            throw new AssertionError("the empty buffer's storage is never freed");
        }
    };

    /** Memory owned by someone else ({@link Buffer#wrap}); freeing runs their action. */
    static final class Wrapped extends Storage {
        private final Runnable releaseAction;

        Wrapped(MemorySegment memory, Runnable releaseAction) {
            super(memory);
            this.releaseAction = releaseAction;
        }

        @Override
        void free() {
            if (releaseAction != null) {
                releaseAction.run();
            }
        }
    }

    /**
     * Memory for threads without a shard pool, each allocation in its own shared arena: closing the arena
     * frees it from whichever thread releases it, and turns later access through stale segments into an
     * exception instead of a crash. Closing a shared arena costs a handshake with all threads, which is
     * why shards use their pool.
     */
    static final class Fallback extends Storage {
        private final Arena arena;

        Fallback(Arena arena, MemorySegment memory) {
            super(memory);
            this.arena = arena;
        }

        @Override
        void free() {
            arena.close();
        }
    }
}
