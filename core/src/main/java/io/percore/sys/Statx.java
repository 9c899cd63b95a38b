package io.percore.sys;

import static io.percore.sys.Native.C_INT;
import static io.percore.sys.Native.C_POINTER;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * What statx(2) says about a file: type and permissions, size, owner, times, the device it lives on, and the
 * alignment direct I/O needs ({@code STATX_DIOALIGN}, Linux 6.1; {@code STATX_DIO_READ_ALIGN}, Linux 6.14).
 * Fields the kernel did not fill are 0; {@link #has(int)} tells which were asked for and answered.
 *
 * <p>The {@code struct statx} offsets below are those of {@code include/uapi/linux/stat.h}; the struct is the
 * same on every 64-bit architecture. The call blocks on metadata I/O (a cold inode, a network file system), so
 * shards run it through an off-shard helper.
 *
 * <p>Thread-safety: any thread; a record is immutable.
 *
 * @param mask             {@code STATX_*} bits the kernel filled
 * @param blockSize        preferred I/O size of the file ({@code stx_blksize})
 * @param nlink            hard links
 * @param uid              owner
 * @param gid              group
 * @param mode             type and permission bits ({@code S_IF*} and {@code 07777})
 * @param inode            inode number
 * @param size             size in bytes
 * @param blocks           512-byte blocks allocated
 * @param atimeNanos       last access, nanoseconds since the epoch
 * @param mtimeNanos       last modification
 * @param ctimeNanos       last status change
 * @param btimeNanos       creation, or 0 where the file system does not record it
 * @param rdevMajor        device major number, for device files
 * @param rdevMinor        device minor number, for device files
 * @param devMajor         major number of the device holding the file
 * @param devMinor         minor number of the device holding the file
 * @param dioMemAlign      memory alignment O_DIRECT buffers need, 0 when unknown or unsupported
 * @param dioOffsetAlign   file-offset and length alignment O_DIRECT needs, 0 when unknown or unsupported
 * @param dioReadOffsetAlign the (possibly smaller) alignment for O_DIRECT reads, 0 when not reported
 */
public record Statx(int mask, int blockSize, int nlink, int uid, int gid, int mode, long inode, long size,
                    long blocks, long atimeNanos, long mtimeNanos, long ctimeNanos, long btimeNanos,
                    int rdevMajor, int rdevMinor, int devMajor, int devMinor,
                    int dioMemAlign, int dioOffsetAlign, int dioReadOffsetAlign) {

    /** Type, mode, nlink, uid, gid, atime, mtime, ctime, ino, size, blocks. */
    public static final int STATX_BASIC_STATS = 0x7ff;
    /** Creation time. */
    public static final int STATX_BTIME = 0x800;
    /** {@code stx_dio_mem_align} and {@code stx_dio_offset_align}. */
    public static final int STATX_DIOALIGN = 0x2000;
    /** {@code stx_dio_read_offset_align}. */
    public static final int STATX_DIO_READ_ALIGN = 0x20000;

    /** {@code S_IFMT}: the file-type bits of {@link #mode()}. */
    public static final int S_IFMT = 0170000;
    /** Regular file. */
    public static final int S_IFREG = 0100000;
    /** Directory. */
    public static final int S_IFDIR = 0040000;
    /** Symbolic link. */
    public static final int S_IFLNK = 0120000;
    /** Block device. */
    public static final int S_IFBLK = 0060000;
    /** Character device. */
    public static final int S_IFCHR = 0020000;
    /** Named pipe. */
    public static final int S_IFIFO = 0010000;
    /** Socket. */
    public static final int S_IFSOCK = 0140000;

    /** {@code AT_FDCWD}: resolve relative paths from the working directory. */
    static final int AT_FDCWD = -100;
    private static final int AT_SYMLINK_NOFOLLOW = 0x100;
    private static final int AT_EMPTY_PATH = 0x1000;
    private static final long SIZE = 0x100;

    private static final MethodHandle STATX = Native.downcallErrno("statx",
            FunctionDescriptor.of(C_INT, C_INT, C_POINTER, C_INT, C_INT, C_POINTER));

    /**
     * statx(2) of a path.
     *
     * @param followLinks false to describe a symbolic link itself rather than its target
     * @param wanted      {@code STATX_*} bits to ask for
     * @throws ErrnoException e.g. ENOENT, EACCES, ENOTDIR
     */
    public static Statx of(String path, boolean followLinks, int wanted) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(SIZE, 8);
            int r = (int) STATX.invokeExact(Native.errnoSlot(), AT_FDCWD, arena.allocateFrom(path),
                    followLinks ? 0 : AT_SYMLINK_NOFOLLOW, wanted, buf);
            if (r < 0) {
                throw new ErrnoException(Native.lastErrno(), "statx", path);
            }
            return decode(buf);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /**
     * statx(2) of an open descriptor ({@code AT_EMPTY_PATH}).
     *
     * @throws ErrnoException e.g. EBADF
     */
    public static Statx of(int fd, int wanted) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(SIZE, 8);
            int r = (int) STATX.invokeExact(Native.errnoSlot(), fd, arena.allocateFrom(""), AT_EMPTY_PATH, wanted,
                    buf);
            if (r < 0) {
                throw new ErrnoException(Native.lastErrno(), "statx", "fd " + fd);
            }
            return decode(buf);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /** Reads a {@code struct statx}; package-private for tests of the offsets. */
    static Statx decode(MemorySegment b) {
        return new Statx(
                b.get(ValueLayout.JAVA_INT, 0x00),
                b.get(ValueLayout.JAVA_INT, 0x04),
                b.get(ValueLayout.JAVA_INT, 0x10),
                b.get(ValueLayout.JAVA_INT, 0x14),
                b.get(ValueLayout.JAVA_INT, 0x18),
                Short.toUnsignedInt(b.get(ValueLayout.JAVA_SHORT, 0x1c)),
                b.get(ValueLayout.JAVA_LONG, 0x20),
                b.get(ValueLayout.JAVA_LONG, 0x28),
                b.get(ValueLayout.JAVA_LONG, 0x30),
                timestamp(b, 0x40),
                timestamp(b, 0x70),
                timestamp(b, 0x60),
                timestamp(b, 0x50),
                b.get(ValueLayout.JAVA_INT, 0x80),
                b.get(ValueLayout.JAVA_INT, 0x84),
                b.get(ValueLayout.JAVA_INT, 0x88),
                b.get(ValueLayout.JAVA_INT, 0x8c),
                b.get(ValueLayout.JAVA_INT, 0x98),
                b.get(ValueLayout.JAVA_INT, 0x9c),
                b.get(ValueLayout.JAVA_INT, 0xb4));
    }

    /** {@code struct statx_timestamp { __s64 tv_sec; __u32 tv_nsec; __s32 reserved; }}. */
    private static long timestamp(MemorySegment b, long offset) {
        return b.get(ValueLayout.JAVA_LONG, offset) * 1_000_000_000L
                + Integer.toUnsignedLong(b.get(ValueLayout.JAVA_INT, offset + 8));
    }

    /** @return true when the kernel filled every field named by {@code statxBits}. */
    public boolean has(int statxBits) {
        return (mask & statxBits) == statxBits;
    }

    /** @return the file-type bits of the mode, one of the {@code S_IF*} constants. */
    public int type() {
        return mode & S_IFMT;
    }

    /** @return the permission bits ({@code 07777}). */
    public int permissions() {
        return mode & 07777;
    }

    /** @return true for a regular file. */
    public boolean isRegularFile() {
        return type() == S_IFREG;
    }

    /** @return true for a directory. */
    public boolean isDirectory() {
        return type() == S_IFDIR;
    }

    /** @return true for a block device. */
    public boolean isBlockDevice() {
        return type() == S_IFBLK;
    }
}
