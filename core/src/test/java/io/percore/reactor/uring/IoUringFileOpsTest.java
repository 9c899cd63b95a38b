package io.percore.reactor.uring;

import static io.percore.reactor.uring.UringTesting.assertErrno;
import static io.percore.reactor.uring.UringTesting.value;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.percore.core.Future;
import io.percore.reactor.FileOps;
import io.percore.sys.Errno;
import io.percore.sys.Fd;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** READ, WRITE and FSYNC(DATASYNC) on a temporary file. */
class IoUringFileOpsTest {
    @TempDir
    Path dir;

    private IoUringBackend backend;
    private FileOps files;
    private Arena arena;
    private Path path;
    private int fd;

    @BeforeEach
    void open() throws IOException {
        backend = IoUringBackend.create();
        files = backend.fileOps();
        arena = Arena.ofConfined();
        path = Files.createFile(dir.resolve("data"));
        fd = UringTesting.open(path, UringTesting.O_RDWR);
    }

    @AfterEach
    void close() {
        backend.close();
        Fd.close(fd);
        arena.close();
    }

    @Test
    void writesAtPositionsReadBackAndSync() throws IOException {
        MemorySegment a = arena.allocate(4096);
        MemorySegment b = arena.allocate(4096);
        a.fill((byte) 'a');
        b.fill((byte) 'b');
        // Two writes in one turn, at different positions.
        Future<Integer> w1 = files.write(fd, 0, a);
        Future<Integer> w2 = files.write(fd, 8192, b);
        assertEquals(4096, value(backend, w1));
        assertEquals(4096, value(backend, w2));
        assertEquals(0, value(backend, files.fdatasync(fd)));

        byte[] onDisk = Files.readAllBytes(path);
        assertEquals(8192 + 4096, onDisk.length);
        assertEquals('a', onDisk[100]);
        assertEquals(0, onDisk[5000], "the hole reads as zeroes");
        assertEquals('b', onDisk[9000]);

        MemorySegment in = arena.allocate(4096);
        assertEquals(4096, value(backend, files.read(fd, 8192, in)));
        assertEquals(-1L, in.mismatch(b));
        assertEquals(100, value(backend, files.read(fd, 8192 + 4096 - 100, in)), "a short read at the end");
        assertEquals(0, value(backend, files.read(fd, 1 << 20, in)), "0 past the end of the file");
    }

    @Test
    void fileRequestsGoInEverySubmitBatchWithinATurn() throws IOException {
        assumeTrue(FileOps.SUBMIT_BATCH > 1, "early file submission is turned off");
        int batch = FileOps.SUBMIT_BATCH;
        Files.write(path, new byte[4096 * 2 * batch]);
        long early = backend.earlyFileSubmissions();
        List<Future<Integer>> reads = new ArrayList<>();
        // The kernel holds fewer than a batch: each read goes in at once (completions are not reaped in the turn).
        for (int i = 0; i < batch; i++) {
            reads.add(files.read(fd, 4096L * i, arena.allocate(4096)));
            assertEquals(0, backend.ring().pendingSubmissions(), "read " + i + " went in at once");
        }
        assertEquals(early + batch, backend.earlyFileSubmissions());
        // Now it holds a batch: the next ones wait for a full batch (or the turn's end).
        for (int i = batch; i < 2 * batch - 1; i++) {
            reads.add(files.read(fd, 4096L * i, arena.allocate(4096)));
        }
        assertEquals(batch - 1, backend.ring().pendingSubmissions(), "below a batch they wait");
        reads.add(files.read(fd, 4096L * (2 * batch - 1), arena.allocate(4096)));
        assertEquals(0, backend.ring().pendingSubmissions(), "a full batch goes to the kernel at once");
        assertEquals(early + batch + 1, backend.earlyFileSubmissions());
        for (Future<Integer> r : reads) {
            assertEquals(4096, value(backend, r));
        }
        // Every completion reaped: the kernel holds none, so a lone read goes in at once again.
        files.read(fd, 0, arena.allocate(4096));
        assertEquals(0, backend.ring().pendingSubmissions());
    }

    @Test
    void manyReadsInFlightAllComplete() throws IOException {
        byte[] content = new byte[64 * 1024];
        for (int i = 0; i < content.length; i++) {
            content[i] = (byte) (i / 1024);
        }
        Files.write(path, content);
        List<Future<Integer>> reads = new ArrayList<>();
        List<MemorySegment> bufs = new ArrayList<>();
        for (int i = 0; i < 64; i++) {
            MemorySegment buf = arena.allocate(1024);
            bufs.add(buf);
            reads.add(files.read(fd, i * 1024L, buf));
        }
        for (int i = 0; i < 64; i++) {
            assertEquals(1024, value(backend, reads.get(i)));
            byte[] expect = new byte[1024];
            java.util.Arrays.fill(expect, (byte) i);
            assertArrayEquals(expect, bufs.get(i).toArray(ValueLayout.JAVA_BYTE));
        }
    }

    @Test
    void failuresResolveTheFutureWithErrno() {
        assertErrno(backend, files.read(-5, 0, arena.allocate(8)), Errno.EBADF);
        assertErrno(backend, files.fdatasync(99_999), Errno.EBADF);
        int dirFd = UringTesting.open(dir, 0);
        try {
            assertErrno(backend, files.read(dirFd, 0, arena.allocate(8)), Errno.EISDIR);
        } finally {
            Fd.close(dirFd);
        }
        assertThrows(IllegalArgumentException.class, () -> files.read(fd, -1, arena.allocate(8)));
        assertThrows(IllegalArgumentException.class, () -> files.write(fd, 0, MemorySegment.ofArray(new byte[8])));
    }
}
