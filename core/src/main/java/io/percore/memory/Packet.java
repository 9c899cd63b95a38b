package io.percore.memory;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.Objects;

/**
 * A message as a list of {@link Buffer} fragments, written with one vectored call ({@code writev},
 * {@code sendmsg}, one io_uring submission) instead of being copied into one buffer. Protocol layers
 * {@linkplain #prepend prepend} headers and {@linkplain #append append} payloads without copying bytes.
 *
 * <p>A packet owns its fragments: buffers passed to {@link #of}, {@link #append(Buffer)} and
 * {@link #prepend} belong to it from then on (do not release or use them yourself; pass a
 * {@linkplain Buffer#share() share} to keep access), and {@link #release()} releases them all.
 * {@link #share()} gives a second packet over the same bytes, e.g. to keep data for retransmission while
 * the first is written. Zero-length buffers are released on arrival rather than kept as fragments, so
 * every fragment has bytes to write.
 *
 * <p>The fragment array starts with room for four, so typical packets (header, payload, trailer) allocate
 * nothing as they grow, and doubles beyond.
 *
 * <p>Threads: like its buffers, a packet belongs to one thread at a time (owning thread below).
 */
public final class Packet {
    private static final int INITIAL_CAPACITY = 4;

    private Buffer[] fragments;
    private int count;
    private long length;

    private Packet(int capacity) {
        fragments = new Buffer[Math.max(INITIAL_CAPACITY, capacity)];
    }

    /** @return a packet of the given buffers in order, taking ownership of them. Any thread. */
    public static Packet of(Buffer... buffers) {
        Packet packet = new Packet(buffers.length);
        for (Buffer b : buffers) {
            packet.append(b);
        }
        return packet;
    }

    /** @return a new packet without fragments (packets are mutable, so each call returns a new one). Any thread. */
    public static Packet empty() {
        return new Packet(INITIAL_CAPACITY);
    }

    /**
     * Adds {@code buffer} after the last fragment, taking ownership of it. Owning thread.
     *
     * @return this packet
     * @throws IllegalArgumentException when the buffer was already released
     */
    public Packet append(Buffer buffer) {
        if (accept(buffer)) {
            ensureCapacity(count + 1);
            fragments[count++] = buffer;
            length += buffer.length();
        }
        return this;
    }

    /**
     * Moves all fragments of {@code other} after the last fragment of this packet; {@code other} is left
     * empty (and can be reused). Owning thread of both.
     *
     * @return this packet
     */
    public Packet append(Packet other) {
        if (other == this) {
            throw new IllegalArgumentException("a packet cannot be appended to itself; append a share()");
        }
        ensureCapacity(count + other.count);
        System.arraycopy(other.fragments, 0, fragments, count, other.count);
        count += other.count;
        length += other.length;
        Arrays.fill(other.fragments, 0, other.count, null);
        other.count = 0;
        other.length = 0;
        return this;
    }

    /**
     * Adds {@code buffer} before the first fragment (a protocol header), taking ownership of it.
     * Owning thread.
     *
     * @return this packet
     * @throws IllegalArgumentException when the buffer was already released
     */
    public Packet prepend(Buffer buffer) {
        if (accept(buffer)) {
            ensureCapacity(count + 1);
            System.arraycopy(fragments, 0, fragments, 1, count);
            fragments[0] = buffer;
            count++;
            length += buffer.length();
        }
        return this;
    }

    /** @return the number of fragments, each non-empty. Owning thread. */
    public int fragmentCount() {
        return count;
    }

    /**
     * @return fragment {@code i}, still owned by the packet: read it, do not release it. Owning thread.
     * @throws IndexOutOfBoundsException unless 0 ≤ i &lt; {@link #fragmentCount()}
     */
    public Buffer fragment(int i) {
        return fragments[Objects.checkIndex(i, count)];
    }

    /** @return the total number of bytes in all fragments. Owning thread. */
    public long length() {
        return length;
    }

    /**
     * @return a new packet whose fragments share this packet's storages; both must be released.
     *         Owning thread.
     */
    public Packet share() {
        Packet copy = new Packet(count);
        for (int i = 0; i < count; i++) {
            copy.fragments[i] = fragments[i].share();
        }
        copy.count = count;
        copy.length = length;
        return copy;
    }

    /**
     * Drops the first {@code n} bytes: whole leading fragments are released, a partly dropped one is
     * trimmed in place (bytes written by a short {@code writev} leave the packet this way). Owning thread.
     *
     * @throws IndexOutOfBoundsException when {@code n} is negative or beyond {@link #length()}
     */
    public void trimFront(long n) {
        if (n < 0 || n > length) {
            throw new IndexOutOfBoundsException("cannot trim " + n + " bytes from a packet of " + length);
        }
        length -= n;
        int dropped = 0;
        while (dropped < count && n >= fragments[dropped].length()) {
            n -= fragments[dropped].length();
            fragments[dropped].release();
            dropped++;
        }
        if (n > 0) {
            fragments[dropped].trimFront((int) n); // less than this fragment's length, so it fits an int
        }
        if (dropped > 0) {
            System.arraycopy(fragments, dropped, fragments, 0, count - dropped);
            Arrays.fill(fragments, count - dropped, count, null);
            count -= dropped;
        }
    }

    /**
     * Makes the packet's bytes contiguous. With one fragment nothing is copied; with several, they are
     * copied into one new buffer (allocated as by {@link Buffer#allocate}) which then replaces them, so
     * a second call is free. Owning thread.
     *
     * @return a view of all the bytes, shared with the packet: the caller releases it, and the packet
     *         keeps its own reference; the empty buffer when the packet is empty
     * @throws IllegalStateException when the packet holds more than {@link Integer#MAX_VALUE} bytes
     * @throws ShardMemoryExhaustedException when the copy cannot be allocated (the packet is unchanged)
     */
    public Buffer linearize() {
        if (count == 0) {
            return Buffer.empty();
        }
        if (count > 1) {
            if (length > Integer.MAX_VALUE) {
                throw new IllegalStateException("cannot linearize a packet of " + length + " bytes into one buffer");
            }
            Buffer whole = Buffer.allocate((int) length);
            MemorySegment target = whole.segment();
            long position = 0;
            for (int i = 0; i < count; i++) {
                MemorySegment source = fragments[i].segment();
                MemorySegment.copy(source, 0, target, position, source.byteSize());
                position += source.byteSize();
                fragments[i].release();
                fragments[i] = null;
            }
            fragments[0] = whole;
            count = 1;
        }
        return fragments[0].share();
    }

    /**
     * Releases every fragment and leaves the packet empty (it may be reused). Owning thread.
     */
    public void release() {
        for (int i = 0; i < count; i++) {
            fragments[i].release();
            fragments[i] = null;
        }
        count = 0;
        length = 0;
    }

    /** @return a short description (fragments and bytes), never the contents. Owning thread. */
    @Override
    public String toString() {
        return "Packet[" + count + " fragments, " + length + " bytes]";
    }

    /** @return true when the buffer should become a fragment; releases (and drops) empty ones. */
    private static boolean accept(Buffer buffer) {
        if (buffer.isReleased()) {
            throw new IllegalArgumentException("cannot add a released buffer to a packet");
        }
        if (buffer.isEmpty()) {
            buffer.release();
            return false;
        }
        return true;
    }

    private void ensureCapacity(int needed) {
        if (needed > fragments.length) {
            int capacity = fragments.length;
            while (capacity < needed) {
                capacity *= 2;
            }
            fragments = Arrays.copyOf(fragments, capacity);
        }
    }
}
