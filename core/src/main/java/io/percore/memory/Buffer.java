package io.percore.memory;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * A window on off-heap bytes with an owner count: Seastar's {@code temporary_buffer}. Several buffers
 * may view the same storage ({@link #share()}); each is released once, and the storage is freed when the
 * last view is released: memory of a shard's pool goes back to that pool, wrapped memory runs its
 * release action.
 *
 * <p>A view is cheap: {@link #share()} allocates only the new view object, and {@link #trim},
 * {@link #trimFront} move this view's window without copying or allocating, which is how parsers consume
 * input.
 *
 * <h2>Threads</h2>
 * A buffer, and every view sharing its storage, belongs to one thread at a time; it may move to another
 * shard through a cross-shard queue, and then belongs there. The count is not atomic, so two threads must
 * never hold views of the same storage at once. Releasing the last view on a thread other than the
 * owning pool's hands the memory back through the pool's remote-free stack. The {@linkplain #empty()
 * empty buffer} is immutable and may be used by any thread.
 *
 * <h2>Lifetime</h2>
 * After {@link #release()} this view cannot be used: every method but {@link #length()},
 * {@link #isEmpty()} and {@link #toString()} throws {@link IllegalStateException}. A segment obtained from
 * {@link #segment()} is valid only while the view is; touching it later is a use-after-free, as in C.
 */
public final class Buffer {
    private static final Buffer EMPTY = new Buffer(Storage.EMPTY, 0, 0);

    /** Null once released. */
    private Storage storage;
    /** Start of the view inside {@code storage.memory}. */
    private long offset;
    private int length;

    Buffer(Storage storage, long offset, int length) {
        this.storage = storage;
        this.offset = offset;
        this.length = length;
    }

    /**
     * Allocates {@code size} bytes (contents undefined) from the calling thread's pool
     * ({@link MemoryPool#current()}). A thread without a pool (start-up code, tests, tools) gets memory
     * from a shared arena per buffer instead: it needs no setup and may be released on any thread, but
     * each release costs a handshake with all threads, so shards should never get there. Any thread.
     *
     * @return a buffer of length {@code size}; the empty buffer for 0
     * @throws ShardMemoryExhaustedException when the shard's pool is at its limit
     */
    public static Buffer allocate(int size) {
        MemoryPool pool = MemoryPool.current();
        if (pool != null) {
            return pool.allocate(size);
        }
        if (size < 0) {
            throw new IllegalArgumentException("buffer size must not be negative, got " + size);
        }
        if (size == 0) {
            return EMPTY;
        }
        Arena arena = Arena.ofShared();
        return new Buffer(new Storage.Fallback(arena, arena.allocate(size, 64)), 0, size);
    }

    /**
     * Wraps memory owned elsewhere (a file mapping, a kernel ring): the buffer views all of {@code segment}
     * and {@code releaseAction} runs when its last view is released, on the thread that releases it.
     * Any thread.
     *
     * @param releaseAction run exactly once; null when nothing needs to happen
     * @throws IllegalArgumentException when the segment is longer than {@link Integer#MAX_VALUE} bytes
     */
    public static Buffer wrap(MemorySegment segment, Runnable releaseAction) {
        Objects.requireNonNull(segment, "segment");
        if (segment.byteSize() > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("a buffer holds at most " + Integer.MAX_VALUE + " bytes, got a "
                    + segment.byteSize() + "-byte segment");
        }
        return new Buffer(new Storage.Wrapped(segment, releaseAction), 0, (int) segment.byteSize());
    }

    /** @return a new buffer holding a copy of {@code bytes}, allocated as by {@link #allocate}. Any thread. */
    public static Buffer copyOf(byte[] bytes) {
        Buffer buffer = allocate(bytes.length);
        if (bytes.length > 0) {
            MemorySegment.copy(bytes, 0, buffer.storage.memory, ValueLayout.JAVA_BYTE, buffer.offset, bytes.length);
        }
        return buffer;
    }

    /** @return a new buffer holding {@code text} encoded as UTF-8, allocated as by {@link #allocate}. Any thread. */
    public static Buffer copyOf(String text) {
        return copyOf(text.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * @return the one zero-length buffer; releasing or sharing it does nothing (share returns it), so it
     *         may be handed out freely. Any thread.
     */
    public static Buffer empty() {
        return EMPTY;
    }

    /** @return the viewed bytes as a segment of {@link #length()} bytes. Owning thread. */
    public MemorySegment segment() {
        return live().memory.asSlice(offset, length);
    }

    /** @return the number of bytes in view; still answers after release. Owning thread. */
    public int length() {
        return length;
    }

    /** @return true when the view holds no bytes. Owning thread. */
    public boolean isEmpty() {
        return length == 0;
    }

    /**
     * @return a new view of the same bytes; the storage lives until both views are released. The empty
     *         buffer returns itself. Owning thread.
     */
    public Buffer share() {
        if (this == EMPTY) {
            return EMPTY;
        }
        Storage s = live();
        s.refs++;
        return new Buffer(s, offset, length);
    }

    /**
     * @return a new view of {@code length} bytes starting {@code offset} bytes into this one, sharing
     *         its storage. Owning thread.
     * @throws IndexOutOfBoundsException when the range is not inside this view
     */
    public Buffer share(int offset, int length) {
        Objects.checkFromIndexSize(offset, length, this.length);
        if (this == EMPTY) {
            return EMPTY;
        }
        Storage s = live();
        s.refs++;
        return new Buffer(s, this.offset + offset, length);
    }

    /**
     * Drops the first {@code n} bytes from this view (no copy; other views are unaffected). Owning thread.
     *
     * @throws IndexOutOfBoundsException when {@code n} is negative or beyond the length
     */
    public void trimFront(int n) {
        checkLength(n);
        live();
        if (n != 0) { // the empty buffer is shared by all threads: never write to it
            offset += n;
            length -= n;
        }
    }

    /**
     * Shortens this view to its first {@code newLength} bytes (no copy; other views are unaffected).
     * Owning thread.
     *
     * @throws IndexOutOfBoundsException when {@code newLength} is negative or beyond the length
     */
    public void trim(int newLength) {
        checkLength(newLength);
        live();
        if (newLength != length) {
            length = newLength;
        }
    }

    /** @return the byte at index {@code i} of the view. Owning thread. */
    public byte get(int i) {
        Objects.checkIndex(i, length);
        return live().memory.get(ValueLayout.JAVA_BYTE, offset + i);
    }

    /** Sets the byte at index {@code i} of the view; other views of the storage see it. Owning thread. */
    public void put(int i, byte b) {
        Objects.checkIndex(i, length);
        live().memory.set(ValueLayout.JAVA_BYTE, offset + i, b);
    }

    /** @return a heap copy of the viewed bytes. Owning thread. */
    public byte[] toArray() {
        byte[] bytes = new byte[length];
        if (length > 0) {
            MemorySegment.copy(live().memory, ValueLayout.JAVA_BYTE, offset, bytes, 0, length);
        } else {
            live();
        }
        return bytes;
    }

    /** @return the viewed bytes decoded with {@code charset}. Owning thread. */
    public String toString(Charset charset) {
        return new String(toArray(), charset);
    }

    /**
     * Releases this view. When it was the last view of its storage the storage is freed: pool memory goes
     * back to its pool (through the remote-free stack when called off the pool's thread), wrapped memory
     * runs its release action. Releasing the empty buffer does nothing. Owning thread.
     *
     * @throws IllegalStateException when this view was already released
     */
    public void release() {
        if (this == EMPTY) {
            return;
        }
        Storage s = live();
        storage = null;
        if (--s.refs == 0) {
            s.free();
        }
    }

    /** @return a short description (length, and whether released), never the contents. Any thread. */
    @Override
    public String toString() {
        return "Buffer[length " + length + (storage == null ? ", released]" : "]");
    }

    /** @return true once this view was released (the empty buffer never is). */
    boolean isReleased() {
        return storage == null;
    }

    /** Like Objects.checkIndex(n, length + 1) without the overflow at Integer.MAX_VALUE. */
    private void checkLength(int n) {
        if (n < 0 || n > length) {
            throw new IndexOutOfBoundsException("length " + n + " out of bounds for a view of " + length + " bytes");
        }
    }

    private Storage live() {
        Storage s = storage;
        if (s == null) {
            throw new IllegalStateException("buffer already released (" + length + " bytes in view)");
        }
        return s;
    }
}
