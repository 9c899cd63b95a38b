package io.percore.file;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.percore.sys.Fd;
import io.percore.sys.Filesystem;
import io.percore.sys.Statx;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Where the alignment comes from: statx's DIOALIGN where the kernel reports it (checked against the device's
 * logical block size in sysfs), a block device's BLKSSZGET, the file system's block size, and a file the kernel
 * says cannot do direct I/O. Each source is driven by giving {@link DmaAlignment#query} the statx answer that
 * selects it, with a real descriptor for the calls that follow.
 */
class DmaAlignmentTest {
    private static Path dir;

    @BeforeAll
    static void makeDir() {
        dir = FileTesting.scratchDir("align");
    }

    @AfterAll
    static void removeDir() {
        FileTesting.deleteTree(dir);
    }

    /** @return the logical block size sysfs gives for the device holding {@code st}'s file, or 0. */
    private static int sysfsLogicalBlock(int major, int minor) throws Exception {
        Path dev = Path.of("/sys/dev/block", major + ":" + minor);
        Path q = dev.resolve("queue/logical_block_size");
        if (!java.nio.file.Files.exists(q)) {
            q = dev.resolve("../queue/logical_block_size");
        }
        return java.nio.file.Files.exists(q) ? Integer.parseInt(java.nio.file.Files.readString(q).trim()) : 0;
    }

    @Test
    void statxAlignmentOfAFileOnTheDiskMatchesTheDevicesLogicalBlock() throws Exception {
        Path file = dir.resolve("f");
        java.nio.file.Files.write(file, new byte[8192]);
        int fd = Filesystem.open(file.toString(), Filesystem.O_RDWR | Filesystem.O_DIRECT, 0);
        try {
            Statx st = Statx.of(fd, Statx.STATX_BASIC_STATS | Statx.STATX_DIOALIGN | Statx.STATX_DIO_READ_ALIGN);
            assumeTrue(st.has(Statx.STATX_DIOALIGN), "this kernel or file system does not report STATX_DIOALIGN");
            DmaAlignment a = DmaAlignment.query(fd, st);
            assertEquals("statx", a.source());
            int logical = sysfsLogicalBlock(st.devMajor(), st.devMinor());
            assumeTrue(logical > 0, "the file's device has no sysfs queue");
            assertEquals(logical, a.write(), a.toString());
            assertTrue(a.read() <= a.write() && a.memory() <= a.write(), a.toString());
            assertTrue(a.preferredWrite() >= a.write(), a.toString());
        } finally {
            Fd.close(fd);
        }
    }

    @Test
    void withoutStatxAnswerAFileUsesTheFileSystemBlockSize() throws Exception {
        Path file = dir.resolve("g");
        java.nio.file.Files.write(file, new byte[4096]);
        int fd = Filesystem.open(file.toString(), Filesystem.O_RDONLY, 0);
        try {
            Statx real = Statx.of(fd, Statx.STATX_BASIC_STATS);
            Statx noDio = withMask(real, Statx.STATX_BASIC_STATS);
            DmaAlignment a = DmaAlignment.query(fd, noDio);
            assertEquals("file system block size", a.source());
            long fsBlock = Filesystem.fstatfs(fd).blockSize();
            assertEquals(fsBlock, a.write());
            assertEquals(fsBlock, a.read());
            assertEquals(fsBlock, a.memory());
        } finally {
            Fd.close(fd);
        }
    }

    @Test
    void aBlockDeviceWithoutStatxAnswerUsesBlksszget() throws Exception {
        // A loop device with 4096-byte sectors over a sparse file: a block device whose sector size differs from
        // the usual 512, so the figure cannot come out right by accident.
        Path image = dir.resolve("loop.img");
        try (var ch = java.nio.channels.FileChannel.open(image, java.nio.file.StandardOpenOption.CREATE_NEW,
                java.nio.file.StandardOpenOption.WRITE)) {
            ch.truncate(8 << 20);
            ch.position((8 << 20) - 1).write(java.nio.ByteBuffer.wrap(new byte[1]));
        }
        String device = LoopDevice.attach(image, 4096);
        assumeTrue(device != null, "cannot attach a loop device here (losetup refused)");
        try {
            int fd = Filesystem.open(device, Filesystem.O_RDONLY, 0);
            try {
                Statx real = Statx.of(fd, Statx.STATX_BASIC_STATS);
                assertTrue(real.isBlockDevice());
                DmaAlignment a = DmaAlignment.query(fd, withMask(real, Statx.STATX_BASIC_STATS));
                assertEquals("BLKSSZGET", a.source());
                assertEquals(4096, a.write());
                assertEquals(sysfsLogicalBlock(real.rdevMajor(), real.rdevMinor()), a.write());
                assertEquals(4096, a.preferredWrite());
            } finally {
                Fd.close(fd);
            }
        } finally {
            LoopDevice.detach(device);
        }
    }

    @Test
    void aZeroStatxAlignmentMeansNoDirectIo() throws Exception {
        Path file = dir.resolve("h");
        java.nio.file.Files.write(file, new byte[1]);
        int fd = Filesystem.open(file.toString(), Filesystem.O_RDONLY, 0);
        try {
            Statx real = Statx.of(fd, Statx.STATX_BASIC_STATS);
            Statx unsupported = new Statx(Statx.STATX_BASIC_STATS | Statx.STATX_DIOALIGN, real.blockSize(),
                    real.nlink(), real.uid(), real.gid(), real.mode(), real.inode(), real.size(), real.blocks(), 0, 0,
                    0, 0, 0, 0, real.devMajor(), real.devMinor(), 0, 0, 0);
            assertNull(DmaAlignment.query(fd, unsupported));
        } finally {
            Fd.close(fd);
        }
    }

    @Test
    void alignmentArithmeticAndValidation() {
        assertEquals(4096, DmaAlignment.alignUp(1, 4096));
        assertEquals(4096, DmaAlignment.alignUp(4096, 4096));
        assertEquals(0, DmaAlignment.alignDown(4095, 4096));
        assertEquals(8192, DmaAlignment.alignDown(8193, 4096));
        assertThrows(IllegalArgumentException.class, () -> new DmaAlignment(3, 512, 512, 512, "x"));
        assertThrows(IllegalArgumentException.class, () -> new DmaAlignment(512, 512, 4096, 512, "x"));
    }

    private static Statx withMask(Statx s, int mask) {
        return new Statx(mask, s.blockSize(), s.nlink(), s.uid(), s.gid(), s.mode(), s.inode(), s.size(), s.blocks(),
                s.atimeNanos(), s.mtimeNanos(), s.ctimeNanos(), s.btimeNanos(), s.rdevMajor(), s.rdevMinor(),
                s.devMajor(), s.devMinor(), 0, 0, 0);
    }
}
