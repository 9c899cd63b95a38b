package io.percore.reactor.uring;

import static io.percore.reactor.uring.UringTesting.assertAll;
import static io.percore.reactor.uring.UringTesting.assertErrno;
import static io.percore.reactor.uring.UringTesting.await;
import static io.percore.reactor.uring.UringTesting.countFds;
import static io.percore.reactor.uring.UringTesting.failure;
import static io.percore.reactor.uring.UringTesting.turn;
import static io.percore.reactor.uring.UringTesting.value;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.percore.core.Future;
import io.percore.reactor.FdClosedException;
import io.percore.reactor.PollableFd;
import io.percore.reactor.ReactorBackend;
import io.percore.reactor.ReactorBackends;
import io.percore.reactor.Readiness;
import io.percore.sys.Errno;
import io.percore.sys.EventFd;
import io.percore.sys.Fd;
import io.percore.sys.SocketPair;
import io.percore.testing.SteadyStateAllocation;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The backend's own behaviour, driven from the test thread: NOPs, readiness, sleep and wake, forget, queues, close. */
class IoUringBackendTest {
    private IoUringBackend backend;
    private final List<Integer> toClose = new ArrayList<>();

    @BeforeEach
    void create() {
        backend = IoUringBackend.create();
    }

    @AfterEach
    void close() {
        backend.close();
        for (int fd : toClose) {
            try {
                Fd.close(fd);
            } catch (RuntimeException ignored) {
                // closed by the test already
            }
        }
    }

    private int[] keep(int[] fds) {
        for (int fd : fds) {
            toClose.add(fd);
        }
        return fds;
    }

    @Test
    void registeredUnderItsName() {
        assertTrue(ReactorBackends.AVAILABLE.contains("io_uring"));
        try (ReactorBackend b = ReactorBackends.create("io_uring")) {
            assertEquals("io_uring", b.name());
            assertNotNull(b.socketOps());
            assertNotNull(b.fileOps());
        }
        System.out.println(backend.describe());
    }

    @Test
    void nopsRoundTrip() {
        List<Future<Integer>> nops = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            nops.add(backend.nop());
        }
        assertEquals(100, backend.pendingOperations());
        assertFalse(nops.get(0).isDone(), "nothing reaches the kernel before the turn ends");
        for (Future<Integer> f : nops) {
            assertEquals(0, value(backend, f));
        }
        assertEquals(0, backend.pendingOperations());
        assertEquals(100, backend.completions());
    }

    @Test
    void anOperationAllocatesOnlyThePromiseItReturns() {
        int perRound = 20_000;
        // A Promise is 32 bytes with compressed pointers; the pooled op, its slot and the SQE cost nothing.
        double perOp = (double) SteadyStateAllocation.bytesPerRound(() -> {
            for (int i = 0; i < perRound; i++) {
                Future<Integer> f = backend.nop();
                while (!f.isDone()) {
                    backend.poll();
                }
            }
        }, b -> b <= 48L * perRound) / perRound;
        assertTrue(perOp <= 48, "a NOP round trip allocated " + perOp + " bytes");
    }

    @Test
    void pollReadyOnPipeReportsReadableOnlyOnceWritten() {
        int[] pipe = keep(Fd.pipe2(Fd.O_NONBLOCK | Fd.O_CLOEXEC));
        PollableFd r = new PollableFd(pipe[0]);
        Future<Integer> readable = backend.pollReady(r, Readiness.IN);
        turn(backend, 3);
        assertFalse(readable.isDone(), "an empty pipe is not readable");
        Fd.write(pipe[1], Arena.global().allocate(1), 1);
        assertTrue((value(backend, readable) & Readiness.IN) != 0);
        // Level semantics: still readable, so the next wait answers at once.
        assertTrue((value(backend, backend.pollReady(r, Readiness.IN)) & Readiness.IN) != 0);
        backend.forget(r);
    }

    @Test
    void pollReadyOnPipeWriteEndReportsWritable() {
        int[] pipe = keep(Fd.pipe2(Fd.O_NONBLOCK | Fd.O_CLOEXEC));
        PollableFd w = new PollableFd(pipe[1]);
        assertEquals(Readiness.OUT, value(backend, backend.pollReady(w, Readiness.OUT)) & Readiness.OUT);
        backend.forget(w);
    }

    @Test
    void pollReadyOnEventFdReportsTheSignal() {
        EventFd ev = EventFd.create();
        try {
            PollableFd fd = new PollableFd(ev.fd());
            Future<Integer> f = backend.pollReady(fd, Readiness.IN);
            turn(backend, 3);
            assertFalse(f.isDone());
            ev.signal();
            assertTrue((value(backend, f) & Readiness.IN) != 0);
            backend.forget(fd);
        } finally {
            ev.close();
        }
    }

    @Test
    void pollReadyOnSocketPairWaitsInBothDirectionsAtOnce() {
        int[] pair = keep(SocketPair.unix(SocketPair.SOCK_STREAM));
        PollableFd a = new PollableFd(pair[0]);
        Future<Integer> in = backend.pollReady(a, Readiness.IN);
        Future<Integer> out = backend.pollReady(a, Readiness.OUT);
        assertTrue((value(backend, out) & Readiness.OUT) != 0, "a fresh socket can send");
        assertFalse(in.isDone(), "nothing was sent to it");
        Fd.write(pair[1], Arena.global().allocate(4), 4);
        assertTrue((value(backend, in) & Readiness.IN) != 0);
        backend.forget(a);
    }

    @Test
    void secondWaitInTheSameDirectionIsRefused() {
        int[] pair = keep(SocketPair.unix(SocketPair.SOCK_STREAM));
        PollableFd a = new PollableFd(pair[0]);
        Future<Integer> first = backend.pollReady(a, Readiness.IN);
        Throwable second = failure(backend, backend.pollReady(a, Readiness.IN | Readiness.RDHUP));
        assertInstanceOf(IllegalStateException.class, second);
        assertInstanceOf(IllegalArgumentException.class, failure(backend, backend.pollReady(a, 0)));
        assertFalse(first.isDone(), "the first wait is unaffected");
        backend.forget(a);
        assertInstanceOf(FdClosedException.class, first.failure());
    }

    @Test
    void peerCloseReportsHangUp() {
        int[] pair = keep(SocketPair.unix(SocketPair.SOCK_STREAM));
        PollableFd a = new PollableFd(pair[0]);
        Future<Integer> in = backend.pollReady(a, Readiness.IN);
        turn(backend, 2);
        Fd.close(pair[1]);
        toClose.remove(Integer.valueOf(pair[1]));
        int bits = value(backend, in);
        assertTrue((bits & (Readiness.HUP | Readiness.RDHUP)) != 0, "bits " + Integer.toHexString(bits));
        backend.forget(a);
    }

    @Test
    void wakeupFromAnotherThreadEndsASleepPromptly() throws Exception {
        for (int round = 0; round < 20; round++) {
            CountDownLatch sleeping = new CountDownLatch(1);
            Thread waker = Thread.ofPlatform().start(() -> {
                try {
                    sleeping.await();
                    Thread.sleep(5);
                } catch (InterruptedException e) {
                    return;
                }
                backend.wakeup();
            });
            long start = System.nanoTime();
            sleeping.countDown();
            backend.sleep(8_000_000_000L); // bounded, so a lost wake-up fails the test instead of hanging it
            long slept = System.nanoTime() - start;
            waker.join();
            assertTrue(slept < 4_000_000_000L, "woke after " + slept / 1_000_000 + " ms");
        }
    }

    @Test
    void wakeupBeforeSleepEndsItAtOnce() {
        backend.wakeup();
        long start = System.nanoTime();
        backend.sleep(10_000_000_000L);
        assertTrue(System.nanoTime() - start < 5_000_000_000L);
        // And the eventfd was drained: the next sleep honours its timeout.
        start = System.nanoTime();
        backend.sleep(30_000_000L);
        assertTrue(System.nanoTime() - start >= 29_000_000L);
    }

    @Test
    void sleepHonoursItsTimeout() {
        assertSleeps(backend);
    }

    @Test
    void sleepHonoursItsTimeoutWithTimeoutEntries() {
        try (IoUringBackend old = IoUringBackend.create(64, 256, true)) {
            assertFalse(old.ring().usesExtArg());
            assertSleeps(old);
            // An early end (a completion) and then a timed sleep again.
            Future<Integer> nop = old.nop();
            old.sleep(10_000_000_000L);
            assertEquals(0, value(old, nop));
            assertSleeps(old);
            old.wakeup();
            old.sleep(10_000_000_000L);
            assertSleeps(old);
        }
    }

    private static void assertSleeps(IoUringBackend b) {
        for (long millis : new long[] {1, 20, 60}) {
            long start = System.nanoTime();
            b.sleep(millis * 1_000_000L);
            long slept = System.nanoTime() - start;
            assertTrue(slept >= millis * 1_000_000L - 500_000L, "slept " + slept + " ns for " + millis + " ms");
            assertTrue(slept < millis * 1_000_000L + 5_000_000_000L, "overslept: " + slept + " ns");
        }
    }

    @Test
    void forgetFailsPendingOperationsAndTheKernelNoLongerTouchesTheirBuffers() {
        int[] pair = keep(SocketPair.unix(SocketPair.SOCK_STREAM));
        PollableFd a = new PollableFd(pair[0]);
        MemorySegment buf = Arena.ofAuto().allocate(64);
        buf.fill((byte) 0x5a);
        Future<Integer> in = backend.pollReady(a, Readiness.IN);
        Future<Integer> recv = backend.socketOps().recv(a, buf, 0);
        turn(backend, 3);
        assertFalse(recv.isDone());
        int before = backend.pendingOperations();
        backend.forget(a);
        assertInstanceOf(FdClosedException.class, in.failure(), "failed by the time forget returns");
        assertInstanceOf(FdClosedException.class, recv.failure());
        assertEquals(before - 2, backend.pendingOperations(), "their completions were waited for");
        // Data that arrives now must not land in the buffer of the cancelled receive.
        Fd.write(pair[1], Arena.global().allocate(64), 64);
        turn(backend, 5);
        backend.sleep(10_000_000L);
        assertAll(buf, (byte) 0x5a);
        assertTrue(a.isForgotten());
        assertInstanceOf(FdClosedException.class, failure(backend, backend.socketOps().recv(a, buf, 0)));
        assertInstanceOf(FdClosedException.class, failure(backend, backend.pollReady(a, Readiness.IN)));
        backend.forget(a); // idempotent
    }

    @Test
    void slotsOfCancelledOperationsServeNewOnesCorrectly() {
        for (int round = 0; round < 50; round++) {
            int[] pair = SocketPair.unix(SocketPair.SOCK_STREAM);
            PollableFd a = new PollableFd(pair[0]);
            Future<Integer> recv = backend.socketOps().recv(a, Arena.ofAuto().allocate(8), 0);
            backend.poll();
            backend.forget(a);
            assertInstanceOf(FdClosedException.class, recv.failure());
            Fd.close(pair[0]);
            Fd.close(pair[1]);
            assertEquals(0, value(backend, backend.nop()), "a reused slot resolves only its own operation");
        }
        assertEquals(0, backend.pendingOperations());
    }

    @Test
    void badDescriptorFailsTheFutureWithEbadf() {
        PollableFd bad = new PollableFd(100_000);
        assertErrno(backend, backend.socketOps().recv(bad, Arena.ofAuto().allocate(8), 0), Errno.EBADF);
        assertErrno(backend, backend.socketOps().send(bad, Arena.ofAuto().allocate(8), 0), Errno.EBADF);
        assertErrno(backend, backend.pollReady(new PollableFd(100_001), Readiness.IN), Errno.EBADF);
        assertErrno(backend, backend.fileOps().read(100_002, 0, Arena.ofAuto().allocate(8)), Errno.EBADF);
        assertEquals(0, value(backend, backend.nop()), "the backend goes on");
    }

    @Test
    void moreOperationsThanSqEntriesInOneTurnAreSubmittedEarly() {
        try (IoUringBackend small = IoUringBackend.create(8, 16)) {
            List<Future<Integer>> nops = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                nops.add(small.nop());
            }
            assertTrue(small.earlySubmissions() > 0);
            for (Future<Integer> f : nops) {
                assertEquals(0, value(small, f));
            }
            assertEquals(0, small.pendingOperations());
        }
    }

    @Test
    void moreCompletionsThanCqEntriesAreAllDelivered() {
        try (IoUringBackend small = IoUringBackend.create(16, 16)) {
            List<Future<Integer>> nops = new ArrayList<>();
            for (int i = 0; i < 1000; i++) {
                nops.add(small.nop());
            }
            small.poll();
            for (Future<Integer> f : nops) {
                assertEquals(0, value(small, f));
            }
            assertEquals(1000, small.completions());
        }
    }

    @Test
    void closeFailsWhatIsStillPending() {
        IoUringBackend b = IoUringBackend.create(64, 256);
        int[] pair = keep(SocketPair.unix(SocketPair.SOCK_STREAM));
        PollableFd a = new PollableFd(pair[0]);
        Future<Integer> in = b.pollReady(a, Readiness.IN);
        Future<Integer> recv = b.socketOps().recv(new PollableFd(pair[1]), Arena.ofAuto().allocate(8), 0);
        b.poll();
        b.close();
        assertInstanceOf(IllegalStateException.class, in.failure());
        assertInstanceOf(IllegalStateException.class, recv.failure());
        assertEquals(0, b.pendingOperations());
        b.close(); // idempotent
    }

    @Test
    void createAndCloseAThousandTimesLeaksNoDescriptor() throws Exception {
        long before = countFds();
        for (int i = 0; i < 1000; i++) {
            IoUringBackend b = IoUringBackend.create(64, 256);
            Future<Integer> nop = b.nop();
            assertEquals(0, value(b, nop));
            b.close();
        }
        assertEquals(before, countFds());
    }

    @Test
    void wakeupAfterCloseIsHarmless() throws Exception {
        IoUringBackend b = IoUringBackend.create(8, 16);
        b.close();
        Thread t = Thread.ofPlatform().start(b::wakeup);
        t.join(TimeUnit.SECONDS.toMillis(5));
        assertFalse(t.isAlive());
    }

    @Test
    void completionsResolveFuturesWhoseContinuationsMayStartMoreWork() {
        List<Integer> order = new ArrayList<>();
        Future<Integer> chain = backend.nop().flatMap(v -> {
            order.add(1);
            return backend.nop();
        }).flatMap(v -> {
            order.add(2);
            return backend.nop();
        });
        assertEquals(0, value(backend, chain));
        assertEquals(List.of(1, 2), order);
        assertEquals(0, backend.pendingOperations());
    }
}
