package io.percore.file;

import io.percore.sys.Errno;
import io.percore.sys.ErrnoException;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;

/**
 * Turns a failed system call into the exception Java code expects of a file operation: the
 * {@code java.nio.file} type for the errno (NoSuchFileException, AccessDeniedException, ...), or
 * {@link NoSpaceException} for a full device, with the path in the message and the {@link ErrnoException} as the
 * cause. Any thread.
 */
final class FileErrors {
    private FileErrors() {}

    private static final int EDQUOT = 122;

    /** @return {@code t} translated when it is an {@link ErrnoException}, else {@code t} itself. */
    static Throwable translate(Throwable t, String path) {
        return t instanceof ErrnoException e ? translate(e, path, null) : t;
    }

    /**
     * @param other the second path of a two-path call (rename, link), or null
     * @return the exception for {@code e}, its cause set to {@code e}
     */
    static FileSystemException translate(ErrnoException e, String path, String other) {
        String reason = e.call() + ": " + Errno.name(e.errno()) + ": " + ErrnoException.strerror(e.errno());
        FileSystemException x = switch (e.errno()) {
            case Errno.ENOENT -> new NoSuchFileException(path, other, reason);
            case Errno.EACCES, Errno.EPERM, Errno.EROFS -> new AccessDeniedException(path, other, reason);
            case Errno.EEXIST -> new FileAlreadyExistsException(path, other, reason);
            case Errno.ENOTEMPTY -> new DirectoryNotEmptyException(path);
            case Errno.ENOTDIR -> new NotDirectoryException(path);
            case Errno.ENOSPC, EDQUOT -> new NoSpaceException(path, reason);
            default -> new FileSystemException(path, other, reason);
        };
        x.initCause(e);
        return x;
    }
}
