package io.percore.sys;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The file bindings against the JDK's view of the same files: open flags, pread/pwrite with and without O_DIRECT,
 * ftruncate, fallocate, fstatfs, getdents64 listing with types, rename, link, unlink, rmdir, mkdir and their
 * errors.
 */
class FilesystemTest {
    /** On the disk (not tmpfs), so O_DIRECT goes to a real device. */
    private static final Path BASE = Path.of("target", "sys-tests").toAbsolutePath();

    @TempDir
    Path tmp;

    private Path dir() throws Exception {
        Files.createDirectories(BASE);
        return Files.createTempDirectory(BASE, "fs");
    }

    @Test
    void preadAndPwriteMoveBytesAtPositions() throws Exception {
        Path f = tmp.resolve("data");
        int fd = Filesystem.open(f.toString(), Filesystem.O_RDWR | Filesystem.O_CREAT, 0600);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(10);
            buf.copyFrom(MemorySegment.ofArray("0123456789".getBytes()));
            assertEquals(10, Filesystem.pwrite(fd, buf, 10, 5));
            MemorySegment in = arena.allocate(20);
            assertEquals(15, Filesystem.pread(fd, in, 20, 0));
            assertEquals('0', (char) in.get(ValueLayout.JAVA_BYTE, 5));
            assertEquals(0, in.get(ValueLayout.JAVA_BYTE, 0));
            assertEquals(0, Filesystem.pread(fd, in, 20, 100));
            assertThrows(IndexOutOfBoundsException.class, () -> Filesystem.pread(fd, in, 21, 0));
            Filesystem.fdatasync(fd);
            Filesystem.fsync(fd);
            Filesystem.ftruncate(fd, 3);
            assertEquals(3, Files.size(f));
        } finally {
            Fd.close(fd);
        }
        assertEquals(0600, ((Number) Files.getAttribute(f, "unix:mode")).intValue() & 0777);
    }

    @Test
    void directIoNeedsAlignmentAndTheKernelSaysEinvalOtherwise() throws Exception {
        Path d = dir();
        Path f = d.resolve("direct");
        int fd = Filesystem.open(f.toString(), Filesystem.O_RDWR | Filesystem.O_CREAT | Filesystem.O_DIRECT, 0644);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment aligned = arena.allocate(8192, 4096);
            aligned.fill((byte) 7);
            assertEquals(4096, Filesystem.pwrite(fd, aligned, 4096, 4096));
            ErrnoException e = assertThrows(ErrnoException.class, () -> Filesystem.pwrite(fd, aligned.asSlice(1), 4096, 0));
            assertEquals(Errno.EINVAL, e.errno());
            assertEquals(4096, Filesystem.pread(fd, aligned.asSlice(4096), 4096, 4096));
        } finally {
            Fd.close(fd);
            deleteTree(d);
        }
    }

    @Test
    void fallocateReservesSpaceAndFstatfsDescribesTheFileSystem() throws Exception {
        Path d = dir();
        Path f = d.resolve("alloc");
        int fd = Filesystem.open(f.toString(), Filesystem.O_RDWR | Filesystem.O_CREAT, 0644);
        try {
            Filesystem.fallocate(fd, Filesystem.FALLOC_FL_KEEP_SIZE, 0, 1 << 20);
            Statx s = Statx.of(fd, Statx.STATX_BASIC_STATS);
            assertEquals(0, s.size());
            assertTrue(s.blocks() * 512 >= 1 << 20, "allocated " + s.blocks() * 512);
            Filesystem.fallocate(fd, 0, 0, 8192);
            assertEquals(8192, Files.size(f));
            Filesystem.FsStats fs = Filesystem.fstatfs(fd);
            assertEquals(Files.getFileStore(f).getBlockSize(), fs.blockSize());
            assertTrue(fs.blocks() > 0 && fs.freeBlocks() <= fs.blocks() && fs.availBlocks() <= fs.freeBlocks());
            assertThrows(ErrnoException.class, () -> Filesystem.logicalSectorSize(fd), "a file is no block device");
        } finally {
            Fd.close(fd);
            deleteTree(d);
        }
    }

    @Test
    void listingMatchesTheJdkWithTypes() throws Exception {
        Files.write(tmp.resolve("a"), new byte[1]);
        Files.createDirectory(tmp.resolve("sub"));
        Files.createSymbolicLink(tmp.resolve("ln"), tmp.resolve("a"));
        for (int i = 0; i < 600; i++) { // more than one getdents64 buffer of names
            Files.write(tmp.resolve("many-file-with-a-long-name-" + i), new byte[0]);
        }
        Map<String, Integer> got = new TreeMap<>();
        for (Filesystem.DirEntry e : Filesystem.listDirectory(tmp.toString())) {
            got.put(e.name(), e.type());
        }
        assertEquals(603, got.size());
        assertEquals(Filesystem.DT_REG, got.get("a"));
        assertEquals(Filesystem.DT_DIR, got.get("sub"));
        assertEquals(Filesystem.DT_LNK, got.get("ln"));
        assertFalse(got.containsKey(".") || got.containsKey(".."));
        try (var s = Files.list(tmp)) {
            assertEquals(s.map(p -> p.getFileName().toString()).sorted().toList(), got.keySet().stream().toList());
        }
        ErrnoException notDir = assertThrows(ErrnoException.class,
                () -> Filesystem.listDirectory(tmp.resolve("a").toString()));
        assertEquals(Errno.ENOTDIR, notDir.errno());
    }

    @Test
    void namesComeAndGo() throws Exception {
        String a = tmp.resolve("a").toString();
        Files.write(Path.of(a), new byte[] {1, 2});
        Filesystem.link(a, tmp.resolve("b").toString());
        assertEquals(2, Statx.of(a, true, Statx.STATX_BASIC_STATS).nlink());
        Filesystem.rename(a, tmp.resolve("c").toString());
        assertFalse(Files.exists(Path.of(a)));
        assertArrayEquals(new byte[] {1, 2}, Files.readAllBytes(tmp.resolve("c")));
        Filesystem.unlink(tmp.resolve("b").toString());
        Filesystem.mkdir(tmp.resolve("d").toString(), 0700);
        assertEquals(0700, Statx.of(tmp.resolve("d").toString(), true, Statx.STATX_BASIC_STATS).permissions());
        assertEquals(Errno.EEXIST, assertThrows(ErrnoException.class,
                () -> Filesystem.mkdir(tmp.resolve("d").toString(), 0700)).errno());
        Files.write(tmp.resolve("d/x"), new byte[0]);
        assertEquals(Errno.ENOTEMPTY, assertThrows(ErrnoException.class,
                () -> Filesystem.rmdir(tmp.resolve("d").toString())).errno());
        assertEquals(Errno.EISDIR, assertThrows(ErrnoException.class,
                () -> Filesystem.unlink(tmp.resolve("d").toString())).errno());
        Filesystem.unlink(tmp.resolve("d/x").toString());
        Filesystem.rmdir(tmp.resolve("d").toString());
        ErrnoException missing = assertThrows(ErrnoException.class,
                () -> Filesystem.open(tmp.resolve("none").toString(), Filesystem.O_RDONLY, 0));
        assertEquals(Errno.ENOENT, missing.errno());
        assertTrue(missing.getMessage().contains("none"));
        assertEquals(Errno.ENOENT, assertThrows(ErrnoException.class,
                () -> Filesystem.rename(tmp.resolve("none").toString(), a)).errno());
    }

    private static void deleteTree(Path d) throws Exception {
        try (var s = Files.walk(d)) {
            for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
