package io.percore.sys;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30) // a binding that blocks where it should not would otherwise hang the build
class FdTest {
    private final Arena arena = Arena.ofConfined();
    private int[] pipe;

    @AfterEach
    void closePipe() {
        arena.close();
        if (pipe != null) {
            for (int fd : pipe) {
                if (fd >= 0) {
                    Fd.close(fd);
                }
            }
        }
    }

    @Test
    void writeThenReadThroughAPipe() {
        pipe = Fd.pipe2(Fd.O_NONBLOCK | Fd.O_CLOEXEC);
        MemorySegment out = arena.allocateFrom("hello, shard");
        long len = out.byteSize() - 1; // without the terminating NUL
        assertEquals(len, Fd.write(pipe[1], out, len));
        MemorySegment in = arena.allocate(64);
        assertEquals(len, Fd.read(pipe[0], in, in.byteSize()));
        assertEquals("hello, shard", in.getString(0));
    }

    @Test
    void emptyNonBlockingPipeReadsMinusOne() {
        pipe = Fd.pipe2(Fd.O_NONBLOCK);
        assertEquals(-1, Fd.read(pipe[0], arena.allocate(8), 8));
    }

    @Test
    void fullNonBlockingPipeWritesMinusOne() {
        pipe = Fd.pipe2(Fd.O_NONBLOCK);
        MemorySegment chunk = arena.allocate(65536);
        long total = 0;
        long n;
        while ((n = Fd.write(pipe[1], chunk, chunk.byteSize())) > 0) {
            total += n;
        }
        assertEquals(-1, n);
        assertTrue(total >= 4096, "a pipe holds at least a page: " + total);
    }

    @Test
    void readAtEndOfFileIsZero() {
        pipe = Fd.pipe2(0);
        Fd.close(pipe[1]);
        pipe[1] = -1;
        assertEquals(0, Fd.read(pipe[0], arena.allocate(8), 8));
    }

    @Test
    void setNonBlockingTogglesTheFlag() {
        pipe = Fd.pipe2(0);
        assertFalse(Fd.isNonBlocking(pipe[0]));
        Fd.setNonBlocking(pipe[0], true);
        assertTrue(Fd.isNonBlocking(pipe[0]));
        // a blocking read would hang here (and trip the timeout); a non-blocking one says EAGAIN
        assertEquals(-1, Fd.read(pipe[0], arena.allocate(8), 8));
        Fd.setNonBlocking(pipe[0], false);
        assertFalse(Fd.isNonBlocking(pipe[0]));
    }

    @Test
    void closingABadFdThrowsEbadf() {
        ErrnoException e = assertThrows(ErrnoException.class, () -> Fd.close(1 << 20));
        assertEquals(Errno.EBADF, e.errno());
        assertEquals("close", e.call());
        assertTrue(e.getMessage().contains("EBADF"), e.getMessage());
    }

    @Test
    void readAndWriteOnABadFdThrowEbadf() {
        MemorySegment buf = arena.allocate(8);
        assertEquals(Errno.EBADF, assertThrows(ErrnoException.class, () -> Fd.read(-1, buf, 8)).errno());
        assertEquals(Errno.EBADF, assertThrows(ErrnoException.class, () -> Fd.write(-1, buf, 8)).errno());
        assertEquals(Errno.EBADF, assertThrows(ErrnoException.class, () -> Fd.setNonBlocking(-1, true)).errno());
    }

    @Test
    void writingToAPipeWithoutReaderThrowsEpipe() {
        pipe = Fd.pipe2(0);
        Fd.close(pipe[0]);
        pipe[0] = -1;
        ErrnoException e = assertThrows(ErrnoException.class, () -> Fd.write(pipe[1], arena.allocate(8), 8));
        assertEquals(Errno.EPIPE, e.errno());
    }

    @Test
    void lengthBeyondTheBufferIsRefusedBeforeTheKernelSeesIt() {
        pipe = Fd.pipe2(Fd.O_NONBLOCK);
        MemorySegment small = arena.allocate(8);
        small.set(ValueLayout.JAVA_LONG, 0, 42);
        assertThrows(IndexOutOfBoundsException.class, () -> Fd.write(pipe[1], small, 9));
        assertThrows(IndexOutOfBoundsException.class, () -> Fd.read(pipe[0], small, 9));
        assertThrows(IndexOutOfBoundsException.class, () -> Fd.read(pipe[0], small, -1));
        assertEquals(-1, Fd.read(pipe[0], small, 8)); // nothing was written
    }
}
