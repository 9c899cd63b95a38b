package io.percore.sys;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class EpollTest {
    private static final long MS = 1_000_000L;

    private Epoll epoll;
    private EpollEvents events;
    private final Arena arena = Arena.ofConfined();
    private final Set<Integer> fds = new HashSet<>();

    @BeforeEach
    void open() {
        epoll = Epoll.create();
        events = new EpollEvents(8);
    }

    @AfterEach
    void closeAll() {
        epoll.close();
        events.close();
        arena.close();
        fds.forEach(Fd::close);
    }

    private int[] pipe() {
        int[] p = Fd.pipe2(Fd.O_NONBLOCK | Fd.O_CLOEXEC);
        fds.add(p[0]);
        fds.add(p[1]);
        return p;
    }

    private void writeByte(int fd) {
        assertEquals(1, Fd.write(fd, arena.allocate(1), 1));
    }

    @Test
    void layoutMatchesTheArchitecture() {
        boolean x86 = Native.isX86_64(System.getProperty("os.arch"));
        assertEquals(x86 ? 12 : 16, EpollEvents.LAYOUT.byteSize());
        assertEquals(x86 ? 4 : 8, EpollEvents.DATA_OFFSET);
    }

    @Test
    void readinessAndSixtyFourBitDataComeBackFromTheKernel() {
        int[] p = pipe();
        long data = 0x8000_0001_2345_6789L; // every byte distinct: a wrong offset cannot read it back
        epoll.add(p[0], Epoll.EPOLLIN, data);
        assertEquals(0, epoll.wait(events, 0), "nothing written yet");
        writeByte(p[1]);
        assertEquals(1, epoll.wait(events, 0));
        assertEquals(data, events.data(0));
        assertEquals(Epoll.EPOLLIN, events.events(0));
    }

    @Test
    void modifyChangesDataAndEventsAndRemoveStopsReports() {
        int[] p = pipe();
        epoll.add(p[1], Epoll.EPOLLOUT, 7);
        assertEquals(1, epoll.wait(events, 0));
        assertEquals(7, events.data(0));
        assertEquals(Epoll.EPOLLOUT, events.events(0));

        epoll.modify(p[1], Epoll.EPOLLOUT, 8);
        assertEquals(1, epoll.wait(events, 0));
        assertEquals(8, events.data(0));

        epoll.modify(p[1], 0, 9); // watched, but interested in nothing
        assertEquals(0, epoll.wait(events, 0));

        epoll.remove(p[1]);
        assertEquals(0, epoll.wait(events, 0));
        assertEquals(Errno.ENOENT, assertThrows(ErrnoException.class, () -> epoll.remove(p[1])).errno());
        assertEquals(Errno.ENOENT, assertThrows(ErrnoException.class, () -> epoll.modify(p[1], Epoll.EPOLLIN, 0)).errno());
    }

    @Test
    void addingTwiceIsEexistWithCallAndOperationNamed() {
        int[] p = pipe();
        epoll.add(p[0], Epoll.EPOLLIN, 1);
        ErrnoException e = assertThrows(ErrnoException.class, () -> epoll.add(p[0], Epoll.EPOLLIN, 1));
        assertEquals(Errno.EEXIST, e.errno());
        assertEquals("epoll_ctl", e.call());
        assertTrue(e.getMessage().contains("EPOLL_CTL_ADD"), e.getMessage());
    }

    @Test
    void oneShotReportsOnceUntilRearmed() {
        int[] p = pipe();
        writeByte(p[1]);
        epoll.add(p[0], Epoll.EPOLLIN | Epoll.EPOLLONESHOT, 3);
        assertEquals(1, epoll.wait(events, 0));
        assertEquals(0, epoll.wait(events, 0), "disabled after one report");
        epoll.modify(p[0], Epoll.EPOLLIN | Epoll.EPOLLONESHOT, 4);
        assertEquals(1, epoll.wait(events, 0));
        assertEquals(4, events.data(0));
    }

    @Test
    void hangUpIsReportedWhenTheWriterCloses() {
        int[] p = pipe();
        epoll.add(p[0], Epoll.EPOLLIN | Epoll.EPOLLRDHUP, 5);
        Fd.close(p[1]);
        fds.remove(p[1]);
        assertEquals(1, epoll.wait(events, 0));
        assertTrue((events.events(0) & Epoll.EPOLLHUP) != 0, Integer.toHexString(events.events(0)));
    }

    @Test
    void waitReturnsAtMostCapacityEvents() {
        try (EpollEvents two = new EpollEvents(2)) {
            for (int i = 0; i < 3; i++) {
                int[] p = pipe();
                epoll.add(p[1], Epoll.EPOLLOUT, i);
            }
            assertEquals(2, epoll.wait(two, 0));
            assertEquals(3, epoll.wait(events, 0));
        }
    }

    @Test
    void timeoutWaitsAtLeastItsLengthAndNotMuchLonger() {
        // The lower bound must hold every time; the upper bound on the best of several tries, so a
        // preempted run on a busy 2-core machine does not fail the test.
        long best = Long.MAX_VALUE;
        for (int i = 0; i < 5; i++) {
            long start = System.nanoTime();
            assertEquals(0, epoll.wait(events, 2 * MS));
            long took = System.nanoTime() - start;
            assertTrue(took >= 2 * MS, "returned early, after " + took + " ns");
            best = Math.min(best, took);
        }
        assertTrue(best < 50 * MS, "2 ms wait took at best " + best + " ns");
    }

    @Test
    void waitHonoursSubMillisecondTimeoutsThroughEpollPwait2() {
        assertEquals(Native.hasSymbol("epoll_pwait2") && kernelAtLeast(5, 11), Epoll.preciseTimeouts());
        assumeTrue(Epoll.preciseTimeouts(), "no epoll_pwait2 here");
        long best = Long.MAX_VALUE;
        for (int i = 0; i < 10; i++) {
            long start = System.nanoTime();
            assertEquals(0, epoll.wait(events, 100_000L)); // the public path must pick epoll_pwait2
            long took = System.nanoTime() - start;
            assertTrue(took >= 100_000L, "returned early, after " + took + " ns");
            best = Math.min(best, took);
        }
        // epoll_wait would round 100 us up to 1 ms; 10x the asked time proves nanosecond timeouts
        assertTrue(best < MS, "100 us wait took at best " + best + " ns");
    }

    private static boolean kernelAtLeast(int major, int minor) {
        String[] v = System.getProperty("os.version").split("[.-]");
        int ma = Integer.parseInt(v[0]);
        int mi = Integer.parseInt(v[1]);
        return ma > major || (ma == major && mi >= minor);
    }

    @Test
    void epollWaitFallbackRoundsSubMillisecondTimeoutsUp() {
        for (int i = 0; i < 3; i++) {
            long start = System.nanoTime();
            assertEquals(0, epoll.waitMillis(events, 100_000L));
            long took = System.nanoTime() - start;
            // rounded down to 0 ms it would return at once: a busy loop for a reactor
            assertTrue(took >= MS, "100 us must wait a whole ms, took " + took + " ns");
        }
        int[] p = pipe();
        epoll.add(p[0], Epoll.EPOLLIN, 11);
        writeByte(p[1]);
        assertEquals(1, epoll.waitMillis(events, -1));
        assertEquals(11, events.data(0));
    }

    @Test
    void millisecondRounding() {
        assertEquals(-1, Epoll.toMillisRoundUp(-1));
        assertEquals(-1, Epoll.toMillisRoundUp(Long.MIN_VALUE));
        assertEquals(0, Epoll.toMillisRoundUp(0));
        assertEquals(1, Epoll.toMillisRoundUp(1));
        assertEquals(1, Epoll.toMillisRoundUp(MS));
        assertEquals(2, Epoll.toMillisRoundUp(MS + 1));
        assertEquals(Integer.MAX_VALUE, Epoll.toMillisRoundUp(Long.MAX_VALUE));
    }

    @Test
    void waitOnAClosedEpollThrowsEbadf() {
        epoll.close();
        epoll.close(); // idempotent
        ErrnoException e = assertThrows(ErrnoException.class, () -> epoll.wait(events, 0));
        assertEquals(Errno.EBADF, e.errno());
    }

    @Test
    void eventsArrayChecksItsBounds() {
        assertEquals(8, events.capacity());
        assertThrows(IndexOutOfBoundsException.class, () -> events.events(8));
        assertThrows(IndexOutOfBoundsException.class, () -> events.data(-1));
        assertThrows(IllegalArgumentException.class, () -> new EpollEvents(0));
        MemorySegment segment = events.segment();
        assertEquals(8 * EpollEvents.SIZE, segment.byteSize());
        events.close();
        events.close(); // idempotent
        assertThrows(IllegalStateException.class, () -> events.events(0));
    }
}
