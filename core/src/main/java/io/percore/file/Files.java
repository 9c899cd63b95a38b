package io.percore.file;

import io.percore.core.Future;
import io.percore.core.Offload;
import io.percore.sys.Errno;
import io.percore.sys.ErrnoException;
import io.percore.sys.Fd;
import io.percore.sys.Filesystem;
import io.percore.sys.Statx;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * Files and directories from a shard: {@link #openDma} for direct-I/O files, and the metadata operations
 * (stat, list, rename, remove, link, mkdir, sync of a directory).
 *
 * <p><b>Off the shard.</b> The kernel has no asynchronous form of open, statx, getdents, rename, unlink, link or
 * mkdir that every backend can use, and each may block on metadata I/O; every method here therefore runs its
 * system call on the {@link Offload} helper threads and completes its future back on the calling shard, which
 * never blocks. Reads and writes of an open {@link DmaFile} take the backend's asynchronous path instead.
 *
 * <p><b>Errors.</b> Futures fail with the {@code java.nio.file} exception for the errno
 * ({@link java.nio.file.NoSuchFileException}, {@link java.nio.file.AccessDeniedException},
 * {@link java.nio.file.FileAlreadyExistsException}, {@link java.nio.file.DirectoryNotEmptyException},
 * {@link java.nio.file.NotDirectoryException}), {@link NoSpaceException} for a full device, or
 * {@link java.nio.file.FileSystemException}; the message names the path and the cause is the
 * {@link ErrnoException}.
 *
 * <p>Every method must be called on a shard thread.
 */
public final class Files {
    private Files() {}

    /**
     * Opens {@code path} for direct I/O (O_DIRECT). The open and the queries of its alignment (statx, the block
     * device's sector sizes or the file system's block size) and of its device's limits (sysfs) run on a helper
     * thread. Shard thread.
     *
     * @return the open file, owned by the calling shard; fails with {@link java.nio.file.NoSuchFileException}
     *         (missing, without {@link OpenOptions#withCreate()}), {@link java.nio.file.AccessDeniedException},
     *         {@link java.nio.file.FileAlreadyExistsException} (exclusive), or a
     *         {@link java.nio.file.FileSystemException} when the file system cannot do direct I/O or the path is a
     *         directory
     */
    public static Future<DmaFile> openDma(String path, OpenOptions options) {
        return Future.of(() -> DmaFile.open(path, options));
    }

    /** As {@link #openDma(String, OpenOptions)}. */
    public static Future<DmaFile> openDma(Path path, OpenOptions options) {
        return openDma(path.toString(), options);
    }

    /**
     * @return what statx says about {@code path}, following symbolic links. Helper thread; shard thread.
     */
    public static Future<FileStat> stat(String path) {
        return offload(path, null, () -> FileStat.of(Statx.of(path, true, Statx.STATX_BASIC_STATS)));
    }

    /** @return true when {@code path} exists (a dangling symbolic link does not). Helper thread; shard thread. */
    public static Future<Boolean> exists(String path) {
        return offload(path, null, () -> {
            try {
                Statx.of(path, true, Statx.STATX_BASIC_STATS);
                return true;
            } catch (ErrnoException e) {
                if (e.errno() == Errno.ENOENT || e.errno() == Errno.ENOTDIR) {
                    return false; // nothing there, or a path through a file: either way, no such entry
                }
                throw e;
            }
        });
    }

    /**
     * Lists a directory (getdents64), without "." and "..", in the file system's order. Helper thread; shard
     * thread.
     */
    public static Future<List<DirectoryEntry>> list(String directory) {
        return offload(directory, null, () -> {
            List<DirectoryEntry> out = new ArrayList<>();
            for (Filesystem.DirEntry e : Filesystem.listDirectory(directory)) {
                out.add(new DirectoryEntry(e.name(), EntryType.ofDirentType(e.type())));
            }
            return List.copyOf(out);
        });
    }

    /**
     * Renames {@code from} to {@code to} atomically (rename(2)), replacing {@code to} if it exists. Helper thread;
     * shard thread. For the new name to survive a crash, {@link #syncDirectory} the directory afterwards.
     */
    public static Future<Void> rename(String from, String to) {
        return offload(from, to, () -> {
            Filesystem.rename(from, to);
            return null;
        });
    }

    /**
     * Removes a file, or an empty directory (unlink(2), then rmdir(2) for a directory). Helper thread; shard thread.
     *
     * @return fails with {@link java.nio.file.DirectoryNotEmptyException} for a directory with entries
     */
    public static Future<Void> remove(String path) {
        return offload(path, null, () -> {
            try {
                Filesystem.unlink(path);
            } catch (ErrnoException e) {
                if (e.errno() != Errno.EISDIR && e.errno() != Errno.EPERM) {
                    throw e;
                }
                // Linux answers EISDIR for a directory (POSIX allows EPERM): try it as one.
                try {
                    Filesystem.rmdir(path);
                } catch (ErrnoException dir) {
                    throw dir.errno() == Errno.ENOTDIR ? e : dir;
                }
            }
            return null;
        });
    }

    /** Makes {@code newLink} a new hard link to {@code existing} (link(2)). Helper thread; shard thread. */
    public static Future<Void> link(String existing, String newLink) {
        return offload(existing, newLink, () -> {
            Filesystem.link(existing, newLink);
            return null;
        });
    }

    /** Creates a directory with permissions {@code 0755} (before the umask). Helper thread; shard thread. */
    public static Future<Void> mkdir(String path) {
        return mkdir(path, 0755);
    }

    /** Creates a directory with the given permission bits (before the umask). Helper thread; shard thread. */
    public static Future<Void> mkdir(String path, int permissions) {
        return offload(path, null, () -> {
            Filesystem.mkdir(path, permissions);
            return null;
        });
    }

    /**
     * Makes the entries of a directory durable (fsync of the directory): after creating, renaming or linking a
     * file, this is what makes the new name survive a crash. Helper thread; shard thread.
     */
    public static Future<Void> syncDirectory(String directory) {
        return offload(directory, null, () -> {
            int fd = Filesystem.open(directory, Filesystem.O_RDONLY | Filesystem.O_DIRECTORY, 0);
            try {
                Filesystem.fsync(fd);
            } finally {
                Fd.close(fd);
            }
            return null;
        });
    }

    private static <T> Future<T> offload(String path, String other, Callable<T> call) {
        return Future.of(() -> Offload.run(call)).recoverWith(t -> Future.failed(
                t instanceof ErrnoException e ? FileErrors.translate(e, path, other) : t));
    }
}
