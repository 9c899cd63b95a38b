package io.percore.file;

import io.percore.sys.ErrnoException;
import io.percore.sys.Filesystem;
import io.percore.sys.Statx;

/**
 * The alignment direct I/O on one file needs, as the kernel reports it. Positions and lengths of reads must be
 * multiples of {@link #read()}, those of writes multiples of {@link #write()}, and buffers must start at addresses
 * that are multiples of {@link #memory()}; {@link #preferredWrite()} is the size below which a device would read,
 * modify and write (its physical sector or the file system block).
 *
 * <p>Where the figures come from, most precise first ({@link #source()}): statx's {@code STATX_DIOALIGN} (and
 * {@code STATX_DIO_READ_ALIGN} for reads) where the kernel reports them (Linux 6.1 and later, for file systems that
 * implement it); for a block device, its logical sector size from {@code BLKSSZGET}; otherwise the file system's
 * block size from fstatfs, which is always sufficient.
 *
 * @param memory         buffer address alignment
 * @param read           read position and length alignment
 * @param write          write position and length alignment
 * @param preferredWrite the write size and alignment that avoids read-modify-write, at least {@code write}
 * @param source         "statx", "BLKSSZGET" or "file system block size"
 */
public record DmaAlignment(int memory, int read, int write, int preferredWrite, String source) {

    /** @throws IllegalArgumentException unless every figure is a power of two and preferredWrite ≥ write */
    public DmaAlignment {
        for (int a : new int[] {memory, read, write, preferredWrite}) {
            if (a < 1 || Integer.bitCount(a) != 1) {
                throw new IllegalArgumentException("alignments must be powers of two: memory " + memory + ", read "
                        + read + ", write " + write + ", preferred write " + preferredWrite);
            }
        }
        if (preferredWrite < write) {
            throw new IllegalArgumentException("preferred write size " + preferredWrite + " is below the write alignment "
                    + write);
        }
    }

    /** @return {@code value} rounded up to a multiple of the power of two {@code alignment}. */
    public static long alignUp(long value, long alignment) {
        return (value + alignment - 1) & -alignment;
    }

    /** @return {@code value} rounded down to a multiple of the power of two {@code alignment}. */
    public static long alignDown(long value, long alignment) {
        return value & -alignment;
    }

    /**
     * Asks the kernel about an open file. Blocking; off-shard.
     *
     * @return the alignment, or null when the file system says it cannot do direct I/O on this file
     */
    static DmaAlignment query(int fd, Statx st) {
        int physical = 0;
        if (st.isBlockDevice()) {
            try {
                physical = Filesystem.physicalSectorSize(fd);
            } catch (ErrnoException e) {
                physical = 0; // not reported: the logical size serves
            }
        }
        int preferredBase = st.isBlockDevice() ? physical : positivePowerOfTwo(st.blockSize());
        if (st.has(Statx.STATX_DIOALIGN)) {
            if (st.dioOffsetAlign() == 0 || st.dioMemAlign() == 0) {
                return null; // the kernel says: no direct I/O on this file
            }
            int write = st.dioOffsetAlign();
            int read = st.has(Statx.STATX_DIO_READ_ALIGN) && st.dioReadOffsetAlign() != 0 ? st.dioReadOffsetAlign()
                    : write;
            return new DmaAlignment(st.dioMemAlign(), read, write, Math.max(write, preferredBase), "statx");
        }
        if (st.isBlockDevice()) {
            int logical = Filesystem.logicalSectorSize(fd);
            return new DmaAlignment(logical, logical, logical, Math.max(logical, physical), "BLKSSZGET");
        }
        int block = positivePowerOfTwo((int) Math.min(Filesystem.fstatfs(fd).blockSize(), 1 << 20));
        if (block == 0) {
            block = 4096;
        }
        return new DmaAlignment(block, block, block, block, "file system block size");
    }

    private static int positivePowerOfTwo(int v) {
        return v > 0 && Integer.bitCount(v) == 1 ? v : 0;
    }

    /** @return a sentence for error messages: "multiples of 512 (from statx)". */
    String describe(int alignment) {
        return "multiples of " + alignment + " (from " + source + ")";
    }
}
