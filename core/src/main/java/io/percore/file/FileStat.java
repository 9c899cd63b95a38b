package io.percore.file;

import io.percore.sys.Statx;
import java.time.Instant;

/**
 * What {@link Files#stat} and {@link DmaFile#stat} report about a file.
 *
 * @param type           what it is
 * @param size           size in bytes
 * @param allocatedBytes disk space allocated to it (sparse files use less than their size)
 * @param permissions    permission bits ({@code 07777})
 * @param links          hard links
 * @param uid            owner
 * @param gid            group
 * @param inode          inode number
 * @param deviceMajor    major number of the device holding it
 * @param deviceMinor    minor number of the device holding it
 * @param blockSize      the file system's preferred I/O size for it
 * @param modified       last modification
 * @param accessed       last access
 * @param changed        last status change
 */
public record FileStat(EntryType type, long size, long allocatedBytes, int permissions, int links, int uid, int gid,
                       long inode, int deviceMajor, int deviceMinor, int blockSize, Instant modified,
                       Instant accessed, Instant changed) {

    static FileStat of(Statx s) {
        return new FileStat(EntryType.ofMode(s.mode()), s.size(), s.blocks() * 512, s.permissions(), s.nlink(),
                s.uid(), s.gid(), s.inode(), s.devMajor(), s.devMinor(), s.blockSize(), instant(s.mtimeNanos()),
                instant(s.atimeNanos()), instant(s.ctimeNanos()));
    }

    private static Instant instant(long nanos) {
        return Instant.ofEpochSecond(Math.floorDiv(nanos, 1_000_000_000L), Math.floorMod(nanos, 1_000_000_000L));
    }
}
