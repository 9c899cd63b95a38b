package io.percore.sys;

import static io.percore.sys.Native.C_INT;
import static io.percore.sys.Native.C_LONG;
import static io.percore.sys.Native.C_POINTER;
import static io.percore.sys.Native.C_SIZE_T;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Files and directories: open (with {@code O_DIRECT}), positioned read and write, fdatasync, ftruncate,
 * fallocate, fstatfs, the block-device size ioctls, rename, unlink, rmdir, link, mkdir and directory listing
 * with getdents64. {@link Statx} describes files.
 *
 * <p>Every call here may block: on the disk, on metadata I/O, on a network file system. Shards never call them
 * directly; the {@code file} package runs them on helper threads or hands reads and writes to the reactor
 * backend's asynchronous path.
 *
 * <p>Failures throw {@link ErrnoException} naming the call and the path or descriptor. EINTR is retried.
 * Buffers must be native segments and {@code len} must fit inside them (checked), so a wrong length cannot make
 * the kernel write past a segment.
 *
 * <p>Thread-safety: any thread. pread and pwrite do not allocate.
 */
public final class Filesystem {
    private Filesystem() {}

    private static final boolean X86_64 = Native.isX86_64(System.getProperty("os.arch"));

    /** Open for reading only. */
    public static final int O_RDONLY = 0;
    /** Open for writing only. */
    public static final int O_WRONLY = 1;
    /** Open for reading and writing. */
    public static final int O_RDWR = 2;
    /** Create the file if it does not exist. */
    public static final int O_CREAT = 0100;
    /** With {@link #O_CREAT}: fail with EEXIST when it exists. */
    public static final int O_EXCL = 0200;
    /** Truncate to length 0. */
    public static final int O_TRUNC = 01000;
    /** Close on exec. */
    public static final int O_CLOEXEC = 02000000;
    /** Direct I/O, bypassing the page cache (the value differs between x86_64 and aarch64). */
    public static final int O_DIRECT = X86_64 ? 040000 : 0200000;
    /** Fail unless the path names a directory (the value differs between x86_64 and aarch64). */
    public static final int O_DIRECTORY = X86_64 ? 0200000 : 040000;

    /** fallocate: do not change the file size. */
    public static final int FALLOC_FL_KEEP_SIZE = 0x01;
    /** fallocate: free the range (with {@link #FALLOC_FL_KEEP_SIZE}). */
    public static final int FALLOC_FL_PUNCH_HOLE = 0x02;
    /** fallocate: zero the range, allocating it. */
    public static final int FALLOC_FL_ZERO_RANGE = 0x10;

    /** {@code f_type} of tmpfs. */
    public static final long TMPFS_MAGIC = 0x01021994L;

    /** {@code BLKSSZGET}: logical sector size of a block device. */
    private static final long BLKSSZGET = 0x1268;
    /** {@code BLKPBSZGET}: physical sector size of a block device. */
    private static final long BLKPBSZGET = 0x127b;

    private static final MethodHandle OPEN = Native.downcallErrno("open",
            FunctionDescriptor.of(C_INT, C_POINTER, C_INT, C_INT), Linker.Option.firstVariadicArg(2));
    private static final MethodHandle PREAD = Native.downcallErrno("pread",
            FunctionDescriptor.of(C_LONG, C_INT, C_POINTER, C_SIZE_T, C_LONG));
    private static final MethodHandle PWRITE = Native.downcallErrno("pwrite",
            FunctionDescriptor.of(C_LONG, C_INT, C_POINTER, C_SIZE_T, C_LONG));
    private static final MethodHandle FDATASYNC = Native.downcallErrno("fdatasync",
            FunctionDescriptor.of(C_INT, C_INT));
    private static final MethodHandle FSYNC = Native.downcallErrno("fsync", FunctionDescriptor.of(C_INT, C_INT));
    private static final MethodHandle FTRUNCATE = Native.downcallErrno("ftruncate",
            FunctionDescriptor.of(C_INT, C_INT, C_LONG));
    private static final MethodHandle FALLOCATE = Native.downcallErrno("fallocate",
            FunctionDescriptor.of(C_INT, C_INT, C_INT, C_LONG, C_LONG));
    private static final MethodHandle FSTATFS = Native.downcallErrno("fstatfs",
            FunctionDescriptor.of(C_INT, C_INT, C_POINTER));
    private static final MethodHandle IOCTL = Native.downcallErrno("ioctl",
            FunctionDescriptor.of(C_INT, C_INT, C_LONG, C_POINTER), Linker.Option.firstVariadicArg(2));
    private static final MethodHandle RENAME = Native.downcallErrno("rename",
            FunctionDescriptor.of(C_INT, C_POINTER, C_POINTER));
    private static final MethodHandle UNLINK = Native.downcallErrno("unlink", FunctionDescriptor.of(C_INT, C_POINTER));
    private static final MethodHandle RMDIR = Native.downcallErrno("rmdir", FunctionDescriptor.of(C_INT, C_POINTER));
    private static final MethodHandle LINK = Native.downcallErrno("link",
            FunctionDescriptor.of(C_INT, C_POINTER, C_POINTER));
    private static final MethodHandle MKDIR = Native.downcallErrno("mkdir",
            FunctionDescriptor.of(C_INT, C_POINTER, C_INT));
    private static final MethodHandle GETDENTS64 = Native.downcallErrno("getdents64",
            FunctionDescriptor.of(C_LONG, C_INT, C_POINTER, C_SIZE_T));

    /**
     * open(2).
     *
     * @param flags {@code O_*} bits; {@link #O_CLOEXEC} is always added
     * @param mode  permission bits for a created file (e.g. {@code 0644}), before the umask
     * @return the new descriptor, owned by the caller
     * @throws ErrnoException e.g. ENOENT, EACCES, EEXIST, EINVAL (O_DIRECT unsupported)
     */
    public static int open(String path, int flags, int mode) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment p = arena.allocateFrom(path);
            for (;;) {
                int fd = (int) OPEN.invokeExact(Native.errnoSlot(), p, flags | O_CLOEXEC, mode);
                if (fd >= 0) {
                    return fd;
                }
                int errno = Native.lastErrno();
                if (errno != Errno.EINTR) {
                    throw new ErrnoException(errno, "open", path);
                }
            }
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /**
     * pread(2): reads up to {@code len} bytes at file offset {@code position} into the start of {@code buf}.
     *
     * @return bytes read, 0 at end of file
     * @throws IndexOutOfBoundsException when {@code len} is negative or larger than {@code buf}
     * @throws ErrnoException e.g. EINVAL for misaligned O_DIRECT I/O, EIO
     */
    public static long pread(int fd, MemorySegment buf, long len, long position) {
        Objects.checkFromIndexSize(0L, len, buf.byteSize());
        try {
            for (;;) {
                long n = (long) PREAD.invokeExact(Native.errnoSlot(), fd, buf, len, position);
                if (n >= 0) {
                    return n;
                }
                int errno = Native.lastErrno();
                if (errno != Errno.EINTR) {
                    throw new ErrnoException(errno, "pread", "fd " + fd + ", " + len + " bytes at " + position);
                }
            }
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /**
     * pwrite(2): writes up to {@code len} bytes from the start of {@code buf} at file offset {@code position}.
     *
     * @return bytes written (fewer than {@code len} when the device fills up part way)
     * @throws IndexOutOfBoundsException when {@code len} is negative or larger than {@code buf}
     * @throws ErrnoException e.g. ENOSPC, EDQUOT, EFBIG, EINVAL for misaligned O_DIRECT I/O
     */
    public static long pwrite(int fd, MemorySegment buf, long len, long position) {
        Objects.checkFromIndexSize(0L, len, buf.byteSize());
        try {
            for (;;) {
                long n = (long) PWRITE.invokeExact(Native.errnoSlot(), fd, buf, len, position);
                if (n >= 0) {
                    return n;
                }
                int errno = Native.lastErrno();
                if (errno != Errno.EINTR) {
                    throw new ErrnoException(errno, "pwrite", "fd " + fd + ", " + len + " bytes at " + position);
                }
            }
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /**
     * fdatasync(2): the file's data, and the metadata needed to read it back (its size), reach stable storage.
     *
     * @throws ErrnoException e.g. EIO from an earlier failed write-back
     */
    public static void fdatasync(int fd) {
        simple(FDATASYNC, fd, "fdatasync");
    }

    /** fsync(2): data and all metadata reach stable storage. @throws ErrnoException e.g. EIO */
    public static void fsync(int fd) {
        simple(FSYNC, fd, "fsync");
    }

    private static void simple(MethodHandle h, int fd, String call) {
        try {
            for (;;) {
                int r = (int) h.invokeExact(Native.errnoSlot(), fd);
                if (r >= 0) {
                    return;
                }
                int errno = Native.lastErrno();
                if (errno != Errno.EINTR) {
                    throw new ErrnoException(errno, call, "fd " + fd);
                }
            }
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /** ftruncate(2): sets the file's size. @throws ErrnoException e.g. EFBIG, EINVAL */
    public static void ftruncate(int fd, long length) {
        try {
            for (;;) {
                int r = (int) FTRUNCATE.invokeExact(Native.errnoSlot(), fd, length);
                if (r >= 0) {
                    return;
                }
                int errno = Native.lastErrno();
                if (errno != Errno.EINTR) {
                    throw new ErrnoException(errno, "ftruncate", "fd " + fd + " to " + length + " bytes");
                }
            }
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /**
     * fallocate(2): reserves (or with flags, zeroes or frees) disk space for a byte range.
     *
     * @param mode 0 or {@code FALLOC_FL_*} bits
     * @throws ErrnoException e.g. ENOSPC, EOPNOTSUPP where the file system cannot
     */
    public static void fallocate(int fd, int mode, long offset, long length) {
        try {
            for (;;) {
                int r = (int) FALLOCATE.invokeExact(Native.errnoSlot(), fd, mode, offset, length);
                if (r >= 0) {
                    return;
                }
                int errno = Native.lastErrno();
                if (errno != Errno.EINTR) {
                    throw new ErrnoException(errno, "fallocate",
                            "fd " + fd + ", mode " + mode + ", " + length + " bytes at " + offset);
                }
            }
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /**
     * What fstatfs(2) says about the file system holding a file.
     *
     * @param type        the file system's magic number (e.g. {@link #TMPFS_MAGIC})
     * @param blockSize   its block size ({@code f_bsize}), the unit of allocation and of O_DIRECT alignment
     *                    where nothing more precise is known
     * @param blocks      total blocks
     * @param freeBlocks  free blocks
     * @param availBlocks blocks free for unprivileged users
     */
    public record FsStats(long type, long blockSize, long blocks, long freeBlocks, long availBlocks) {}

    /** fstatfs(2). @throws ErrnoException e.g. EBADF */
    public static FsStats fstatfs(int fd) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment b = arena.allocate(128, 8);
            int r = (int) FSTATFS.invokeExact(Native.errnoSlot(), fd, b);
            if (r < 0) {
                throw new ErrnoException(Native.lastErrno(), "fstatfs", "fd " + fd);
            }
            // struct statfs on 64-bit Linux: f_type, f_bsize, f_blocks, f_bfree, f_bavail are longs from offset 0.
            return new FsStats(b.get(ValueLayout.JAVA_LONG, 0), b.get(ValueLayout.JAVA_LONG, 8),
                    b.get(ValueLayout.JAVA_LONG, 16), b.get(ValueLayout.JAVA_LONG, 24), b.get(ValueLayout.JAVA_LONG, 32));
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /** @return the logical sector size of a block device (ioctl BLKSSZGET). @throws ErrnoException ENOTTY otherwise */
    public static int logicalSectorSize(int blockDeviceFd) {
        return ioctlInt(blockDeviceFd, BLKSSZGET, "BLKSSZGET");
    }

    /** @return the physical sector size of a block device (ioctl BLKPBSZGET). @throws ErrnoException ENOTTY otherwise */
    public static int physicalSectorSize(int blockDeviceFd) {
        return ioctlInt(blockDeviceFd, BLKPBSZGET, "BLKPBSZGET");
    }

    private static int ioctlInt(int fd, long request, String name) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(ValueLayout.JAVA_INT);
            int r = (int) IOCTL.invokeExact(Native.errnoSlot(), fd, request, out);
            if (r < 0) {
                throw new ErrnoException(Native.lastErrno(), "ioctl", name + " on fd " + fd);
            }
            return out.get(ValueLayout.JAVA_INT, 0);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /** rename(2): atomically replaces {@code to} if it exists. @throws ErrnoException e.g. ENOENT, EXDEV, EISDIR */
    public static void rename(String from, String to) {
        twoPaths(RENAME, "rename", from, to);
    }

    /** link(2): a new hard link {@code to} for {@code from}. @throws ErrnoException e.g. EEXIST, EXDEV, EPERM */
    public static void link(String from, String to) {
        twoPaths(LINK, "link", from, to);
    }

    /** unlink(2): removes a name that is not a directory. @throws ErrnoException e.g. ENOENT, EISDIR */
    public static void unlink(String path) {
        onePath(UNLINK, "unlink", path);
    }

    /** rmdir(2): removes an empty directory. @throws ErrnoException e.g. ENOTEMPTY, ENOTDIR */
    public static void rmdir(String path) {
        onePath(RMDIR, "rmdir", path);
    }

    /** mkdir(2). @param mode permission bits before the umask @throws ErrnoException e.g. EEXIST, ENOENT */
    public static void mkdir(String path, int mode) {
        try (Arena arena = Arena.ofConfined()) {
            int r = (int) MKDIR.invokeExact(Native.errnoSlot(), arena.allocateFrom(path), mode);
            if (r < 0) {
                throw new ErrnoException(Native.lastErrno(), "mkdir", path);
            }
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    private static void onePath(MethodHandle h, String call, String path) {
        try (Arena arena = Arena.ofConfined()) {
            int r = (int) h.invokeExact(Native.errnoSlot(), arena.allocateFrom(path));
            if (r < 0) {
                throw new ErrnoException(Native.lastErrno(), call, path);
            }
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    private static void twoPaths(MethodHandle h, String call, String from, String to) {
        try (Arena arena = Arena.ofConfined()) {
            int r = (int) h.invokeExact(Native.errnoSlot(), arena.allocateFrom(from), arena.allocateFrom(to));
            if (r < 0) {
                throw new ErrnoException(Native.lastErrno(), call, from + " -> " + to);
            }
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /**
     * Widens a segment to {@code length} bytes from the same address, keeping its lifetime: how two requests
     * that sit next to each other in memory become one system call. A restricted operation (it names memory the
     * segment did not cover), so it lives here; the caller guarantees the bytes belong to live buffers of the same
     * owner. Any thread.
     *
     * @throws IllegalArgumentException when {@code length} is smaller than the segment
     */
    public static MemorySegment extend(MemorySegment segment, long length) {
        if (length < segment.byteSize()) {
            throw new IllegalArgumentException("cannot shrink a " + segment.byteSize() + "-byte segment to " + length);
        }
        return segment.reinterpret(length);
    }

    /** {@code d_type} of a directory entry the file system did not describe. */
    public static final int DT_UNKNOWN = 0;
    /** {@code d_type}: named pipe. */
    public static final int DT_FIFO = 1;
    /** {@code d_type}: character device. */
    public static final int DT_CHR = 2;
    /** {@code d_type}: directory. */
    public static final int DT_DIR = 4;
    /** {@code d_type}: block device. */
    public static final int DT_BLK = 6;
    /** {@code d_type}: regular file. */
    public static final int DT_REG = 8;
    /** {@code d_type}: symbolic link. */
    public static final int DT_LNK = 10;
    /** {@code d_type}: socket. */
    public static final int DT_SOCK = 12;

    /**
     * One name in a directory.
     *
     * @param name  the entry's name (no directory part)
     * @param type  its {@code DT_*} type; {@link #DT_UNKNOWN} where the file system does not say
     * @param inode its inode number
     */
    public record DirEntry(String name, int type, long inode) {}

    /**
     * Lists a directory with getdents64(2), without "." and "..", in the order the file system returns.
     *
     * @throws ErrnoException e.g. ENOENT, ENOTDIR, EACCES
     */
    public static List<DirEntry> listDirectory(String path) {
        int fd = open(path, O_RDONLY | O_DIRECTORY, 0);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(32 << 10, 8);
            List<DirEntry> entries = new ArrayList<>();
            for (;;) {
                long n = (long) GETDENTS64.invokeExact(Native.errnoSlot(), fd, buf, buf.byteSize());
                if (n < 0) {
                    int errno = Native.lastErrno();
                    if (errno == Errno.EINTR) {
                        continue;
                    }
                    throw new ErrnoException(errno, "getdents64", path);
                }
                if (n == 0) {
                    return entries;
                }
                // struct linux_dirent64 { u64 d_ino; s64 d_off; u16 d_reclen; u8 d_type; char d_name[]; }
                for (long off = 0; off < n; ) {
                    long inode = buf.get(ValueLayout.JAVA_LONG, off);
                    int reclen = Short.toUnsignedInt(buf.get(ValueLayout.JAVA_SHORT, off + 16));
                    int type = Byte.toUnsignedInt(buf.get(ValueLayout.JAVA_BYTE, off + 18));
                    String name = buf.asSlice(off + 19, reclen - 19).getString(0, StandardCharsets.UTF_8);
                    if (!name.equals(".") && !name.equals("..")) {
                        entries.add(new DirEntry(name, type, inode));
                    }
                    off += reclen;
                }
            }
        } catch (Throwable t) {
            throw Native.rethrow(t);
        } finally {
            Fd.close(fd);
        }
    }
}
