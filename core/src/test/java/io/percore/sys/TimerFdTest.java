package io.percore.sys;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class TimerFdTest {
    private static final long MS = 1_000_000L;
    private static final long LOOSE = 1_000 * MS; // far beyond any expected lateness, short of a hang

    @Test
    void firesAtTheAbsoluteDeadlineAndEpollSeesIt() {
        // Deadlines are System.nanoTime values; ClockTest proves that is CLOCK_MONOTONIC, the timer's clock.
        try (TimerFd timer = TimerFd.create(); Epoll epoll = Epoll.create(); EpollEvents events = new EpollEvents(2)) {
            epoll.add(timer.fd(), Epoll.EPOLLIN, 99);
            timer.armAt(System.nanoTime() + 60_000 * MS); // far enough that no preemption reaches it
            assertEquals(0, timer.drain(), "not yet expired");
            assertEquals(0, epoll.wait(events, 0), "not yet readable");
            long deadline = System.nanoTime() + 20 * MS;
            timer.armAt(deadline);
            int n = epoll.wait(events, 5_000 * MS);
            long now = System.nanoTime();
            assertEquals(1, n);
            assertEquals(99, events.data(0));
            assertTrue(now >= deadline, "fired " + (deadline - now) + " ns early");
            assertTrue(now - deadline < LOOSE, "fired " + (now - deadline) + " ns late");
            assertEquals(1, timer.drain());
            assertEquals(0, timer.drain());
            assertEquals(0, epoll.wait(events, 0), "one-shot: no second expiry");
        }
    }

    @Test
    void deadlinesInThePastFireAtOnce() {
        // 0 in it_value would disarm the timer; a past deadline must expire instead.
        for (long past : new long[] {0, -5, 1, System.nanoTime() - 1}) {
            try (TimerFd timer = TimerFd.create(); Epoll epoll = Epoll.create(); EpollEvents events = new EpollEvents(1)) {
                epoll.add(timer.fd(), Epoll.EPOLLIN, 0);
                timer.armAt(past);
                assertEquals(1, epoll.wait(events, LOOSE), "deadline " + past);
                assertEquals(1, timer.drain());
            }
        }
    }

    @Test
    void disarmCancelsAndRearmReplaces() {
        try (TimerFd timer = TimerFd.create(); Epoll epoll = Epoll.create(); EpollEvents events = new EpollEvents(1)) {
            epoll.add(timer.fd(), Epoll.EPOLLIN, 0);
            long cancelled = System.nanoTime() + 50 * MS;
            timer.armAt(cancelled);
            timer.disarm();
            if (System.nanoTime() < cancelled) { // else this thread was preempted past the deadline: cannot judge
                assertEquals(0, epoll.wait(events, 150 * MS), "disarmed timer fired");
                assertEquals(0, timer.drain());
            }
            timer.drain();

            timer.armAt(System.nanoTime() + 60_000 * MS); // a minute away...
            long deadline = System.nanoTime() + 10 * MS;
            timer.armAt(deadline); // ...replaced by a near one
            assertEquals(1, epoll.wait(events, 5_000 * MS));
            assertTrue(System.nanoTime() >= deadline);
            assertEquals(1, timer.drain());
        }
    }

    @Test
    void isNonBlockingAndCloseIsIdempotent() {
        TimerFd timer = TimerFd.create();
        int fd = timer.fd();
        assertTrue(Fd.isNonBlocking(fd));
        timer.close();
        timer.close();
        // fcntl, not close: should the JVM reuse the number meanwhile, a probe must not close its file
        assertEquals(Errno.EBADF, assertThrows(ErrnoException.class, () -> Fd.isNonBlocking(fd)).errno());
    }
}
