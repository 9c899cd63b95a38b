package io.percore.sys;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class EventFdTest {
    @Test
    void signalFromAnotherThreadWakesAnInfiniteEpollWait() throws Exception {
        try (EventFd doorbell = EventFd.create(); Epoll epoll = Epoll.create(); EpollEvents events = new EpollEvents(4)) {
            epoll.add(doorbell.fd(), Epoll.EPOLLIN, 42L);
            CountDownLatch waiting = new CountDownLatch(1);
            Thread ringer = Thread.ofPlatform().start(() -> {
                try {
                    waiting.await();
                    Thread.sleep(50); // let the owner actually fall asleep in the kernel
                } catch (InterruptedException e) {
                    return;
                }
                doorbell.signal();
            });
            try {
                waiting.countDown();
                long start = System.nanoTime();
                int n = epoll.wait(events, -1);
                long waited = System.nanoTime() - start;
                assertEquals(1, n);
                assertEquals(42L, events.data(0));
                assertTrue((events.events(0) & Epoll.EPOLLIN) != 0);
                assertTrue(waited < TimeUnit.SECONDS.toNanos(10), "woke after " + waited + " ns");
            } finally {
                ringer.join();
            }
            assertEquals(1, doorbell.drain());
            assertEquals(0, doorbell.drain());
            assertEquals(0, epoll.wait(events, 0), "drained: no longer readable");
        }
    }

    @Test
    void drainReturnsTheSumOfSignals() {
        try (EventFd doorbell = EventFd.create()) {
            assertEquals(0, doorbell.drain());
            doorbell.signal();
            doorbell.signal();
            doorbell.signal();
            assertEquals(3, doorbell.drain());
            assertEquals(0, doorbell.drain());
        }
    }

    @Test
    void isNonBlockingAndCloseOnExec() {
        try (EventFd doorbell = EventFd.create()) {
            assertTrue(Fd.isNonBlocking(doorbell.fd()));
        }
    }

    @Test
    void signalOnAFullCounterIsIgnored() {
        try (EventFd doorbell = EventFd.create(); Arena arena = Arena.ofConfined()) {
            long max = 0xffff_ffff_ffff_fffeL; // the largest value an eventfd counter holds
            MemorySegment value = arena.allocate(ValueLayout.JAVA_LONG);
            value.set(ValueLayout.JAVA_LONG, 0, max);
            assertEquals(8, Fd.write(doorbell.fd(), value, 8));
            doorbell.signal(); // EAGAIN inside: must not throw
            assertEquals(max, doorbell.drain());
        }
    }

    @Test
    void closeIsIdempotentAndLaterSignalsDoNothing() {
        EventFd doorbell = EventFd.create();
        int fd = doorbell.fd();
        doorbell.close();
        doorbell.close();
        doorbell.signal();
        assertThrows(IllegalStateException.class, doorbell::drain);
        // the descriptor really is closed (probed with fcntl, not close, in case the number was reused)
        assertEquals(Errno.EBADF, assertThrows(ErrnoException.class, () -> Fd.isNonBlocking(fd)).errno());
    }

    @Test
    void closeWhileOtherThreadsSignalNeverWritesAClosedFd() throws Exception {
        for (int round = 0; round < 20; round++) {
            EventFd doorbell = EventFd.create();
            AtomicBoolean stop = new AtomicBoolean();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            CountDownLatch started = new CountDownLatch(2);
            Thread[] ringers = new Thread[2];
            for (int i = 0; i < ringers.length; i++) {
                ringers[i] = Thread.ofPlatform().start(() -> {
                    started.countDown();
                    try {
                        while (!stop.get()) {
                            doorbell.signal(); // an EBADF here would mean a write after close
                        }
                    } catch (Throwable e) {
                        failure.compareAndSet(null, e);
                    }
                });
            }
            started.await();
            Thread.sleep(2);
            doorbell.close();
            Thread.sleep(2);
            stop.set(true);
            for (Thread t : ringers) {
                t.join();
            }
            assertNull(failure.get(), () -> "signal raced close: " + failure.get());
        }
    }
}
