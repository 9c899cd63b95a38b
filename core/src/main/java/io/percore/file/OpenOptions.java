package io.percore.file;

import io.percore.sys.Filesystem;
import java.util.Objects;

/**
 * How {@link Files#openDma} opens a file: access mode, creation, truncation, the permissions of a created file, and
 * the {@link IoClass} its reads and writes use unless a call names another. Immutable; any thread.
 *
 * <pre>{@code
 * Files.openDma("data/log", OpenOptions.readWrite().withCreate().withIoClass(compaction))
 * }</pre>
 *
 * @param read        open for reading
 * @param write       open for writing
 * @param create      create the file when it does not exist
 * @param exclusive   with {@code create}: fail with {@link java.nio.file.FileAlreadyExistsException} when it exists
 * @param truncate    cut the file to length 0 on opening
 * @param permissions permission bits of a created file, before the umask (default {@code 0644})
 * @param ioClass     the class of the file's I/O by default
 */
public record OpenOptions(boolean read, boolean write, boolean create, boolean exclusive, boolean truncate,
                          int permissions, IoClass ioClass) {

    /** @throws IllegalArgumentException when neither read nor write is asked for, or permissions exceed 07777 */
    public OpenOptions {
        if (!read && !write) {
            throw new IllegalArgumentException("open a file for reading, writing or both");
        }
        if ((permissions & ~07777) != 0) {
            throw new IllegalArgumentException("permissions must be within 07777, got 0" + Integer.toOctalString(permissions));
        }
        Objects.requireNonNull(ioClass, "ioClass");
    }

    /** @return read-only, in the default class. */
    public static OpenOptions readOnly() {
        return new OpenOptions(true, false, false, false, false, 0644, IoClass.DEFAULT);
    }

    /** @return read and write, in the default class. */
    public static OpenOptions readWrite() {
        return new OpenOptions(true, true, false, false, false, 0644, IoClass.DEFAULT);
    }

    /** @return write-only, in the default class. */
    public static OpenOptions writeOnly() {
        return new OpenOptions(false, true, false, false, false, 0644, IoClass.DEFAULT);
    }

    /** @return a copy that creates the file when missing. */
    public OpenOptions withCreate() {
        return new OpenOptions(read, write, true, exclusive, truncate, permissions, ioClass);
    }

    /** @return a copy that creates the file and fails when it exists already. */
    public OpenOptions withExclusive() {
        return new OpenOptions(read, write, true, true, truncate, permissions, ioClass);
    }

    /** @return a copy that truncates the file to length 0. */
    public OpenOptions withTruncate() {
        return new OpenOptions(read, write, create, exclusive, true, permissions, ioClass);
    }

    /** @return a copy that gives a created file these permission bits (before the umask). */
    public OpenOptions withPermissions(int mode) {
        return new OpenOptions(read, write, create, exclusive, truncate, mode, ioClass);
    }

    /** @return a copy whose reads and writes use {@code c} by default. */
    public OpenOptions withIoClass(IoClass c) {
        return new OpenOptions(read, write, create, exclusive, truncate, permissions, c);
    }

    /** @return the open(2) flags, O_DIRECT included. */
    int flags() {
        int f = read && write ? Filesystem.O_RDWR : write ? Filesystem.O_WRONLY : Filesystem.O_RDONLY;
        f |= Filesystem.O_DIRECT;
        if (create) {
            f |= Filesystem.O_CREAT;
        }
        if (exclusive) {
            f |= Filesystem.O_EXCL;
        }
        if (truncate) {
            f |= Filesystem.O_TRUNC;
        }
        return f;
    }
}
