package io.percore.file;

import io.percore.sys.Filesystem;
import io.percore.sys.Statx;

/** What a directory entry or a {@link FileStat} describes. */
public enum EntryType {
    /** A regular file. */
    FILE,
    /** A directory. */
    DIRECTORY,
    /** A symbolic link. */
    SYMLINK,
    /** A block device. */
    BLOCK_DEVICE,
    /** A character device. */
    CHAR_DEVICE,
    /** A named pipe. */
    FIFO,
    /** A Unix-domain socket. */
    SOCKET,
    /** The file system did not say (some do not fill {@code d_type}); {@link Files#stat} can tell. */
    UNKNOWN;

    /** @return the type named by the {@code S_IF*} bits of a mode. */
    static EntryType ofMode(int mode) {
        return switch (mode & Statx.S_IFMT) {
            case Statx.S_IFREG -> FILE;
            case Statx.S_IFDIR -> DIRECTORY;
            case Statx.S_IFLNK -> SYMLINK;
            case Statx.S_IFBLK -> BLOCK_DEVICE;
            case Statx.S_IFCHR -> CHAR_DEVICE;
            case Statx.S_IFIFO -> FIFO;
            case Statx.S_IFSOCK -> SOCKET;
            default -> UNKNOWN;
        };
    }

    /** @return the type named by a directory entry's {@code d_type}. */
    static EntryType ofDirentType(int dType) {
        return switch (dType) {
            case Filesystem.DT_REG -> FILE;
            case Filesystem.DT_DIR -> DIRECTORY;
            case Filesystem.DT_LNK -> SYMLINK;
            case Filesystem.DT_BLK -> BLOCK_DEVICE;
            case Filesystem.DT_CHR -> CHAR_DEVICE;
            case Filesystem.DT_FIFO -> FIFO;
            case Filesystem.DT_SOCK -> SOCKET;
            default -> UNKNOWN;
        };
    }
}
