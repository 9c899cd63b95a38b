package io.percore.sys;

import java.lang.foreign.Arena;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.util.Objects;

/**
 * A reusable off-heap array of {@code struct epoll_event} that {@link Epoll#wait} fills. Allocated once,
 * read with {@link #events(int)} and {@link #data(int)} for indexes below the count wait returned.
 *
 * <p>The struct is {@code { uint32_t events; uint64_t data; }}, but its layout differs by architecture:
 * x86_64 declares it packed (12 bytes, data at offset 4, unaligned) for compatibility with 32-bit x86;
 * every other 64-bit architecture (aarch64 included) aligns data naturally (16 bytes, data at offset 8).
 *
 * <p>Thread rules: owned by one thread (the shard that waits with it). It may be created on another
 * thread before being handed over.
 */
public final class EpollEvents implements AutoCloseable {
    /** True on x86_64, where the kernel's struct epoll_event is packed. */
    static final boolean PACKED = Native.isX86_64(System.getProperty("os.arch"));

    /** Layout of one {@code struct epoll_event} on this machine. */
    public static final StructLayout LAYOUT = PACKED
            ? MemoryLayout.structLayout(
                    ValueLayout.JAVA_INT.withName("events"),
                    ValueLayout.JAVA_LONG_UNALIGNED.withName("data")).withName("epoll_event")
            : MemoryLayout.structLayout(
                    ValueLayout.JAVA_INT.withName("events"),
                    MemoryLayout.paddingLayout(4),
                    ValueLayout.JAVA_LONG.withName("data")).withName("epoll_event");

    static final long SIZE = LAYOUT.byteSize();
    static final long DATA_OFFSET = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("data"));

    private final Arena arena;
    private final MemorySegment segment;
    private final int capacity;
    private boolean closed;

    /**
     * Allocates room for {@code capacity} events, zeroed.
     *
     * @throws IllegalArgumentException when {@code capacity} is not positive
     */
    public EpollEvents(int capacity) {
        if (capacity <= 0) {
            throw new IllegalArgumentException("capacity must be positive: " + capacity);
        }
        this.capacity = capacity;
        // Shared, not confined: the array may be built on a start-up thread and used on the shard's.
        this.arena = Arena.ofShared();
        this.segment = arena.allocate(SIZE * capacity, 8);
    }

    /** @return how many events one {@link Epoll#wait} can return into this array. */
    public int capacity() {
        return capacity;
    }

    /** @return the ready-event bits (EPOLLIN, EPOLLOUT, …) of entry {@code i}. */
    public int events(int i) {
        return segment.get(ValueLayout.JAVA_INT, Objects.checkIndex(i, capacity) * SIZE);
    }

    /** @return the user data registered with the fd of entry {@code i}. */
    public long data(int i) {
        return segment.get(ValueLayout.JAVA_LONG_UNALIGNED, Objects.checkIndex(i, capacity) * SIZE + DATA_OFFSET);
    }

    /** Frees the array. Owner thread; idempotent. */
    @Override
    public void close() {
        if (!closed) {
            closed = true;
            arena.close();
        }
    }

    MemorySegment segment() {
        return segment;
    }

    /** Writes one epoll_event at the start of {@code target} (for epoll_ctl). */
    static void put(MemorySegment target, int events, long data) {
        target.set(ValueLayout.JAVA_INT, 0, events);
        target.set(ValueLayout.JAVA_LONG_UNALIGNED, DATA_OFFSET, data);
    }
}
