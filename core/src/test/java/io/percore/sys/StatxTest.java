package io.percore.sys;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** statx decoded at the right offsets: every field checked against what the JDK's own stat says. */
class StatxTest {
    @TempDir
    Path dir;

    @Test
    void fieldsAgreeWithTheJdksUnixAttributes() throws Exception {
        Path f = dir.resolve("f");
        Files.write(f, new byte[12_345]);
        Files.setLastModifiedTime(f, FileTime.from(Instant.parse("2021-03-04T05:06:07.123456789Z")));
        Files.createLink(dir.resolve("f2"), f);
        Map<String, Object> unix = Files.readAttributes(f, "unix:*");
        Statx s = Statx.of(f.toString(), true, Statx.STATX_BASIC_STATS);
        assertTrue(s.has(Statx.STATX_BASIC_STATS));
        assertEquals(12_345, s.size());
        assertEquals(((Number) unix.get("ino")).longValue(), s.inode());
        assertEquals(((Number) unix.get("mode")).intValue(), s.mode());
        assertEquals(2, s.nlink());
        assertEquals(((Number) unix.get("uid")).intValue(), s.uid());
        assertEquals(((Number) unix.get("gid")).intValue(), s.gid());
        assertEquals(Instant.parse("2021-03-04T05:06:07.123456789Z").getEpochSecond() * 1_000_000_000L + 123_456_789,
                s.mtimeNanos());
        long dev = ((Number) unix.get("dev")).longValue();
        // glibc's dev_t encoding: minor low 8 bits, major bits 8..19, more minor bits above.
        assertEquals((int) ((dev >>> 8) & 0xfff) | (int) ((dev >>> 32) & ~0xfff), s.devMajor());
        assertEquals((int) (dev & 0xff) | (int) ((dev >>> 12) & ~0xff), s.devMinor());
        assertTrue(s.isRegularFile());
        assertEquals(Statx.S_IFREG, s.type());
        assertTrue(s.blocks() * 512 >= 12_345);
        assertTrue(s.blockSize() > 0);
    }

    @Test
    void byDescriptorLinksAndDirectories() throws Exception {
        Path f = dir.resolve("g");
        Files.write(f, new byte[3]);
        Path link = Files.createSymbolicLink(dir.resolve("l"), f);
        int fd = Filesystem.open(f.toString(), Filesystem.O_RDONLY, 0);
        try {
            assertEquals(3, Statx.of(fd, Statx.STATX_BASIC_STATS).size());
        } finally {
            Fd.close(fd);
        }
        assertEquals(Statx.S_IFLNK, Statx.of(link.toString(), false, Statx.STATX_BASIC_STATS).type());
        assertEquals(Statx.S_IFREG, Statx.of(link.toString(), true, Statx.STATX_BASIC_STATS).type());
        Statx d = Statx.of(dir.toString(), true, Statx.STATX_BASIC_STATS);
        assertTrue(d.isDirectory());
        assertFalse(d.isBlockDevice());
        assertEquals(((Number) Files.getAttribute(dir, "unix:mode", LinkOption.NOFOLLOW_LINKS)).intValue() & 07777,
                d.permissions());
    }

    @Test
    void missingPathsFailWithEnoent() {
        ErrnoException e = assertThrows(ErrnoException.class,
                () -> Statx.of(dir.resolve("nope").toString(), true, Statx.STATX_BASIC_STATS));
        assertEquals(Errno.ENOENT, e.errno());
        assertEquals("statx", e.call());
        assertTrue(e.getMessage().contains("nope"));
    }
}
