package io.percore.sys;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;

/**
 * {@code struct io_uring_buf_ring}: the ring of provided buffers an application lends the kernel
 * ({@link IoUring#registerBufferRing}). It is an array of 16-byte {@code struct io_uring_buf} entries
 * ({@code u64 addr; u32 len; u16 bid; u16 resv}) whose first entry's {@code resv} field doubles as the ring's
 * tail. The application is the only producer: it writes entries past the tail and publishes them with a release
 * store of the tail; the kernel consumes from its own private head, and the CQE of each operation that used a
 * buffer names it by {@code bid}. A buffer handed back is simply added again at the tail.
 *
 * <p>Thread rules: the ring's owner thread only (one producer; the kernel is the consumer).
 */
public final class IoUringBufRing {
    /** Size of one {@code struct io_uring_buf}. */
    public static final int ENTRY_SIZE = 16;
    /** Largest ring the kernel accepts. */
    public static final int MAX_ENTRIES = 32768;

    private static final int ADDR = 0, LEN = 8, BID = 12, TAIL = 14;
    private static final VarHandle SHORT = ValueLayout.JAVA_SHORT.varHandle();

    private final MemorySegment ring;
    private final int mask;
    /** Next tail to publish: entries before it are written. */
    private int tail;

    /**
     * Wraps ring memory that is zeroed (tail 0) and not yet registered.
     *
     * @param ring    page-aligned native memory of at least {@code entries} × {@link #ENTRY_SIZE} bytes
     * @param entries a power of two, 1 to {@link #MAX_ENTRIES}
     */
    public IoUringBufRing(MemorySegment ring, int entries) {
        if (entries < 1 || entries > MAX_ENTRIES || Integer.bitCount(entries) != 1) {
            throw new IllegalArgumentException("a buffer ring has a power-of-two size up to " + MAX_ENTRIES + ": "
                    + entries);
        }
        if (!ring.isNative() || ring.byteSize() < (long) entries * ENTRY_SIZE || (ring.address() & 4095) != 0) {
            throw new IllegalArgumentException("a buffer ring needs page-aligned native memory of "
                    + (long) entries * ENTRY_SIZE + " bytes: " + ring);
        }
        this.ring = ring;
        this.mask = entries - 1;
    }

    /** @return the ring memory, for registration. */
    public MemorySegment memory() {
        return ring;
    }

    /** @return the ring's size in entries. */
    public int entries() {
        return mask + 1;
    }

    /**
     * Writes buffer {@code bid} at the tail; the kernel sees it after {@link #publish()}. The caller must never
     * add more buffers than the ring holds minus those the kernel has not consumed (each id is out once).
     */
    public void add(long address, int length, int bid) {
        long e = (long) (tail & mask) * ENTRY_SIZE;
        ring.set(ValueLayout.JAVA_LONG, e + ADDR, address);
        ring.set(ValueLayout.JAVA_INT, e + LEN, length);
        // Entry 0's resv is the shared tail: writing bid must not touch it, and the tail must not clobber bid.
        ring.set(ValueLayout.JAVA_SHORT, e + BID, (short) bid);
        tail++;
    }

    /** Makes every added buffer visible to the kernel (a release store of the 16-bit tail). */
    public void publish() {
        SHORT.setRelease(ring, (long) TAIL, (short) tail);
    }
}
