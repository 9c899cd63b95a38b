package io.percore.sys;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.percore.reactor.aio.TestFiles;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The raw AIO bindings against the running kernel: layouts, submission, the ring, cancellation, timeouts. */
@Timeout(60)
class LinuxAioTest {
    private static final int POLLIN = 1, POLLOUT = 4, POLLHUP = 0x10;
    private static final long MS = 1_000_000L;
    /** A descriptor number no process has open (far above any RLIMIT_NOFILE the tests run with). */
    private static final int BAD_FD = 999_999;

    private long ctx;
    private Arena arena;
    private MemorySegment iocbs;
    private MemorySegment pointers;
    private MemorySegment events;
    private final List<Integer> fds = new ArrayList<>();

    @BeforeEach
    void open() {
        ctx = LinuxAio.setup(64);
        arena = Arena.ofConfined();
        iocbs = arena.allocate(LinuxAio.IOCB, 8);
        pointers = arena.allocate(ValueLayout.JAVA_LONG, 8);
        events = arena.allocate(LinuxAio.IO_EVENT, 8);
    }

    @AfterEach
    void close() {
        LinuxAio.destroy(ctx);
        arena.close();
        fds.forEach(Fd::close);
    }

    private int[] pipe() {
        int[] p = Fd.pipe2(Fd.O_NONBLOCK | Fd.O_CLOEXEC);
        fds.add(p[0]);
        fds.add(p[1]);
        return p;
    }

    private long iocb(int i) {
        return i * LinuxAio.IOCB_SIZE;
    }

    /** Submits iocbs {@code from..from+count-1} of {@link #iocbs}. */
    private int submit(int from, int count) {
        for (int i = 0; i < count; i++) {
            pointers.setAtIndex(ValueLayout.JAVA_LONG, i, iocbs.address() + iocb(from + i));
        }
        return LinuxAio.submit(ctx, pointers, count);
    }

    private static void awaitAvailable(LinuxAioRing ring, int n) throws InterruptedException {
        long deadline = System.nanoTime() + 10_000 * MS;
        while (ring.available() < n && System.nanoTime() < deadline) {
            Thread.sleep(1);
        }
        assertEquals(n, ring.available());
    }

    @Test
    void layoutsAreTheKernelAbi() {
        assertEquals(64, LinuxAio.IOCB.byteSize());
        assertEquals(32, LinuxAio.IO_EVENT.byteSize());
        assertEquals(16, LinuxAio.IOCB.byteOffset(java.lang.foreign.MemoryLayout.PathElement.groupElement("aio_lio_opcode")));
        assertEquals(20, LinuxAio.IOCB_FILDES);
        assertEquals(24, LinuxAio.IOCB_BUF);
        assertEquals(56, LinuxAio.IOCB_FLAGS);
        assertEquals(16, LinuxAio.EVENT_RES);
    }

    @Test
    void setupRefusesNonsenseAndDestroyRefusesADeadContext() {
        assertThrows(IllegalArgumentException.class, () -> LinuxAio.setup(0));
        long other = LinuxAio.setup(4);
        assertTrue(other != 0);
        LinuxAio.destroy(other);
        ErrnoException e = assertThrows(ErrnoException.class, () -> LinuxAio.destroy(other));
        assertEquals(Errno.EINVAL, e.errno());
    }

    @Test
    void theRingHeaderIsTheKnownOneAndHoldsAtLeastWhatWasAsked() {
        LinuxAioRing ring = LinuxAioRing.attach(ctx, arena);
        assertNotNull(ring, "ring header not recognised");
        assertTrue(ring.capacity() >= 64, "capacity " + ring.capacity());
        assertEquals(0, ring.available());
    }

    @Test
    void pollCompletesThroughTheRingWithDataObjAndRevents() throws Exception {
        LinuxAioRing ring = LinuxAioRing.attach(ctx, arena);
        int[] p = pipe();
        long data = 0x8000_1234_5678_9abcL; // every byte distinct: a wrong offset cannot read it back
        LinuxAio.prepPoll(iocbs, iocb(0), p[0], POLLIN, data);
        assertEquals(1, submit(0, 1));
        Thread.sleep(20);
        assertEquals(0, ring.available(), "an empty pipe is not readable");

        Fd.write(p[1], arena.allocate(1), 1);
        awaitAvailable(ring, 1);
        int head = ring.head();
        assertEquals(data, ring.data(head));
        assertEquals(iocbs.address(), ring.obj(head));
        // The woken-up path reports the waker's mask unfiltered: POLLIN comes with POLLRDNORM (0x40).
        assertEquals(POLLIN, ring.res(head) & (POLLIN | POLLOUT));
        assertEquals(0, ring.res2(head));
        ring.setHead(ring.next(head));
        assertEquals(0, ring.available());
        // The kernel sees the head we published: io_getevents finds nothing left to reap.
        assertEquals(0, LinuxAio.getEvents(ctx, 0, 8, events, 0));
    }

    @Test
    void getEventsReapsAndHonoursItsTimeout() {
        long start = System.nanoTime();
        assertEquals(0, LinuxAio.getEvents(ctx, 1, 8, events, 50 * MS));
        long waited = System.nanoTime() - start;
        assertTrue(waited >= 45 * MS && waited < 5_000 * MS, "waited " + waited / MS + " ms for 50");

        int[] p = pipe();
        LinuxAio.prepPoll(iocbs, iocb(0), p[1], POLLOUT, 7);
        assertEquals(1, submit(0, 1));
        assertEquals(1, LinuxAio.getEvents(ctx, 1, 8, events, 5_000 * MS));
        assertEquals(7, LinuxAio.eventData(events, 0));
        assertEquals(iocbs.address(), LinuxAio.eventObj(events, 0));
        assertEquals(POLLOUT, LinuxAio.eventRes(events, 0) & (POLLIN | POLLOUT));
        assertEquals(0, LinuxAio.eventRes2(events, 0));
    }

    @Test
    void pgetEventsWithAndWithoutASignalMask() {
        assertEquals(0, LinuxAio.pgetEvents(ctx, 0, 8, events, 0, MemorySegment.NULL));
        int[] p = pipe();
        LinuxAio.prepPoll(iocbs, iocb(0), p[1], POLLOUT, 9);
        assertEquals(1, submit(0, 1));
        MemorySegment emptySet = arena.allocate(LinuxAio.KERNEL_SIGSET_SIZE);
        assertEquals(1, LinuxAio.pgetEvents(ctx, 1, 8, events, 5_000 * MS, emptySet));
        assertEquals(9, LinuxAio.eventData(events, 0));
    }

    @Test
    void cancellingAPendingPollStillCompletesItThroughTheRing() throws Exception {
        LinuxAioRing ring = LinuxAioRing.attach(ctx, arena);
        int[] p = pipe();
        LinuxAio.prepPoll(iocbs, iocb(0), p[0], POLLIN, 5);
        assertEquals(1, submit(0, 1));
        assertEquals(-Errno.EINPROGRESS, LinuxAio.cancel(ctx, iocbs.address()));
        awaitAvailable(ring, 1);
        assertEquals(iocbs.address(), ring.obj(ring.head()));
        ring.setHead(ring.next(ring.head()));
        // Done: nothing left to cancel.
        assertEquals(-Errno.EINVAL, LinuxAio.cancel(ctx, iocbs.address()));
    }

    @Test
    void submitStopsAtTheFirstRefusedIocbAndThatOneSaysWhy() {
        int[] p = pipe();
        LinuxAio.prepPoll(iocbs, iocb(0), p[1], POLLOUT, 0);
        LinuxAio.prepPoll(iocbs, iocb(1), BAD_FD, POLLIN, 1);
        LinuxAio.prepPoll(iocbs, iocb(2), p[1], POLLOUT, 2);
        assertEquals(1, submit(0, 3));
        assertEquals(-Errno.EBADF, submit(1, 2));
        assertEquals(1, submit(2, 1));
        assertEquals(2, LinuxAio.getEvents(ctx, 2, 8, events, 5_000 * MS));
    }

    @Test
    void theKernelRefusesNoopAndStaleFieldsOnAPoll() {
        int[] p = pipe();
        LinuxAio.prepPoll(iocbs, iocb(0), p[1], POLLOUT, 0);
        iocbs.set(ValueLayout.JAVA_SHORT, LinuxAio.IOCB_OPCODE, (short) LinuxAio.IOCB_CMD_NOOP);
        assertEquals(-Errno.EINVAL, submit(0, 1));

        // A pooled iocb that kept a read's length would be refused: prep must clear every field.
        LinuxAio.prepRead(iocbs, iocb(0), p[0], arena.allocate(8), 8, 0, 0);
        LinuxAio.prepPoll(iocbs, iocb(0), p[1], POLLOUT, 0);
        assertEquals(1, submit(0, 1));
        iocbs.set(ValueLayout.JAVA_LONG, iocb(1) + LinuxAio.IOCB_NBYTES, 0);
        LinuxAio.prepPoll(iocbs, iocb(1), p[1], POLLOUT, 0);
        iocbs.set(ValueLayout.JAVA_LONG, iocb(1) + LinuxAio.IOCB_NBYTES, 1);
        assertEquals(-Errno.EINVAL, submit(1, 1));
    }

    @Test
    void hangUpIsReportedWhateverWasAsked() {
        int[] p = Fd.pipe2(Fd.O_NONBLOCK | Fd.O_CLOEXEC);
        fds.add(p[0]);
        Fd.close(p[1]);
        LinuxAio.prepPoll(iocbs, iocb(0), p[0], POLLIN, 0);
        assertEquals(1, submit(0, 1));
        assertEquals(1, LinuxAio.getEvents(ctx, 1, 8, events, 5_000 * MS));
        assertEquals(POLLHUP, LinuxAio.eventRes(events, 0) & POLLHUP);
    }

    @Test
    void resfdSignalsAnEventfdWhenTheRequestCompletes() {
        int[] p = pipe();
        try (EventFd done = EventFd.create()) {
            LinuxAio.prepPoll(iocbs, iocb(0), p[1], POLLOUT, 0);
            LinuxAio.setResfd(iocbs, iocb(0), done.fd());
            assertEquals(LinuxAio.IOCB_FLAG_RESFD, iocbs.get(ValueLayout.JAVA_INT, LinuxAio.IOCB_FLAGS));
            assertEquals(1, submit(0, 1));
            assertEquals(1, LinuxAio.getEvents(ctx, 1, 8, events, 5_000 * MS));
            assertEquals(1, done.drain());
        }
    }

    @Test
    void vectoredWritesAndReadsAndFsyncOnAFile(@TempDir Path dir) {
        Path file = dir.resolve("v");
        int fd = TestFiles.open(file, TestFiles.O_RDWR | TestFiles.O_CREAT);
        fds.add(fd);
        MemorySegment a = arena.allocateFrom("hello, ", StandardCharsets.US_ASCII).asSlice(0, 7);
        MemorySegment b = arena.allocateFrom("kernel", StandardCharsets.US_ASCII).asSlice(0, 6);
        MemorySegment iov = arena.allocate(2 * LinuxAio.IOVEC_SIZE, 8);
        iov.set(ValueLayout.JAVA_LONG, 0, a.address());
        iov.set(ValueLayout.JAVA_LONG, 8, a.byteSize());
        iov.set(ValueLayout.JAVA_LONG, 16, b.address());
        iov.set(ValueLayout.JAVA_LONG, 24, b.byteSize());
        LinuxAio.prepWritev(iocbs, iocb(0), fd, iov, 2, 3, 1);
        assertEquals(1, submit(0, 1));
        assertEquals(1, LinuxAio.getEvents(ctx, 1, 8, events, 5_000 * MS));
        assertEquals(13, LinuxAio.eventRes(events, 0));

        LinuxAio.prepFsync(iocbs, iocb(0), fd, 2);
        assertEquals(1, submit(0, 1));
        assertEquals(1, LinuxAio.getEvents(ctx, 1, 8, events, 5_000 * MS));
        assertEquals(0, LinuxAio.eventRes(events, 0));

        MemorySegment x = arena.allocate(4);
        MemorySegment y = arena.allocate(16);
        iov.set(ValueLayout.JAVA_LONG, 0, x.address());
        iov.set(ValueLayout.JAVA_LONG, 8, x.byteSize());
        iov.set(ValueLayout.JAVA_LONG, 16, y.address());
        iov.set(ValueLayout.JAVA_LONG, 24, y.byteSize());
        LinuxAio.prepReadv(iocbs, iocb(0), fd, iov, 2, 0, 3);
        assertEquals(1, submit(0, 1));
        assertEquals(1, LinuxAio.getEvents(ctx, 1, 8, events, 5_000 * MS));
        assertEquals(16, LinuxAio.eventRes(events, 0));
        byte[] expected = "\0\0\0hello, kernel".getBytes(StandardCharsets.US_ASCII);
        byte[] got = new byte[16];
        MemorySegment.copy(x, ValueLayout.JAVA_BYTE, 0, got, 0, 4);
        MemorySegment.copy(y, ValueLayout.JAVA_BYTE, 0, got, 4, 12);
        assertArrayEquals(expected, got);
        assertTrue(Files.exists(file));
    }

    @Test
    void failuresOfSubmittedRequestsArriveAsNegativeResults(@TempDir Path dir) {
        int fd = TestFiles.open(dir.resolve("ro"), TestFiles.O_RDONLY | TestFiles.O_CREAT);
        fds.add(fd);
        MemorySegment buf = arena.allocate(8);
        LinuxAio.prepWrite(iocbs, iocb(0), fd, buf, 8, 0, 0);
        int r = submit(0, 1);
        // The kernel checks the open mode either at submission or in the request; both say EBADF.
        if (r == 1) {
            assertEquals(1, LinuxAio.getEvents(ctx, 1, 8, events, 5_000 * MS));
            assertEquals(-Errno.EBADF, LinuxAio.eventRes(events, 0));
        } else {
            assertEquals(-Errno.EBADF, r);
        }
        assertThrows(IllegalArgumentException.class,
                () -> LinuxAio.prepRead(iocbs, iocb(0), fd, MemorySegment.ofArray(new byte[8]), 8, 0, 0));
        assertThrows(IndexOutOfBoundsException.class, () -> LinuxAio.prepRead(iocbs, iocb(0), fd, buf, 9, 0, 0));
    }
}
