package io.percore.reactor.aio;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.percore.core.Future;
import io.percore.reactor.FdClosedException;
import io.percore.reactor.FileOps;
import io.percore.reactor.PollableFd;
import io.percore.reactor.Readiness;
import io.percore.sys.Errno;
import io.percore.sys.ErrnoException;
import io.percore.sys.EventFd;
import io.percore.sys.Fd;
import io.percore.sys.Mmap;
import io.percore.testing.SteadyStateAllocation;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The linux-aio backend driven by hand from the test thread (its owner here): readiness, wake-ups, timeouts, forget,
 * file I/O, batching and errors. Futures made off-shard run their continuations inline, so the tests read them
 * directly after driving {@code poll()}/{@code sleep()}.
 */
@Timeout(60)
class LinuxAioBackendTest {
    private static final long MS = 1_000_000L;
    private static final int BAD_FD = 999_999;

    private LinuxAioBackend backend;
    private final Arena arena = Arena.ofConfined();
    private final List<Integer> fds = new ArrayList<>();

    @BeforeEach
    void open() {
        backend = LinuxAioBackend.create();
    }

    @AfterEach
    void close() {
        backend.close();
        arena.close();
        fds.forEach(Fd::close);
    }

    private int[] pipe() {
        int[] p = Fd.pipe2(Fd.O_NONBLOCK | Fd.O_CLOEXEC);
        fds.add(p[0]);
        fds.add(p[1]);
        return p;
    }

    /** One byte any thread may write from (the test's own arena is confined to the test thread). */
    private static final MemorySegment ONE_BYTE = Arena.global().allocate(1);

    private static void writeByte(int fd) {
        assertEquals(1, Fd.write(fd, ONE_BYTE, 1));
    }

    /** Polls (sleeping briefly between tries) until {@code done}, failing after 10 s. */
    private void pollUntil(BooleanSupplier done) {
        long deadline = System.nanoTime() + 10_000 * MS;
        while (!done.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, "not done after 10 s");
            if (!backend.poll()) {
                backend.sleep(MS);
            }
        }
    }

    private static <T> T await(LinuxAioBackend b, Future<T> f) {
        long deadline = System.nanoTime() + 10_000 * MS;
        while (!f.isDone()) {
            assertTrue(System.nanoTime() < deadline, "future not done after 10 s");
            b.sleep(10 * MS);
        }
        return f.getNow();
    }

    private <T> T await(Future<T> f) {
        return await(backend, f);
    }

    private static Throwable failure(Future<?> f) {
        assertTrue(f.isFailed(), () -> "expected a failure, got " + f);
        return f.failure();
    }

    // ---------------------------------------------------------------- set-up and teardown

    @Test
    void setUpAndTearDownAThousandTimesLeaksNothing() throws Exception {
        // io_destroy waits for an RCU grace period (about 30 ms here), so the 1,000 cycles run on 20 threads at once,
        // each creating and closing its own backends as shards do.
        int threads = 20;
        int perThread = 50;
        long aioMappings = aioMappings();
        long openFds = openFds();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        List<Thread> started = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            started.add(Thread.ofPlatform().name("aio-cycle-" + t).start(() -> {
                try {
                    for (int i = 0; i < perThread; i++) {
                        LinuxAioBackend b = LinuxAioBackend.create();
                        b.wakeup();
                        long start = System.nanoTime();
                        b.sleep(20_000 * MS); // the wake-up poll works in every one
                        if (System.nanoTime() - start > 5_000 * MS) {
                            throw new AssertionError("a pending wake-up did not end the sleep");
                        }
                        b.close();
                        b.close(); // idempotent
                    }
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            }));
        }
        for (Thread t : started) {
            t.join();
        }
        if (failure.get() != null) {
            throw new AssertionError("a cycle failed", failure.get());
        }
        assertEquals(aioMappings, aioMappings(), "AIO rings left mapped");
        assertEquals(openFds, openFds(), "descriptors left open");
    }

    /** @return how many AIO completion rings are mapped into this process. */
    private static long aioMappings() throws IOException {
        try (Stream<String> lines = Files.lines(Path.of("/proc/self/maps"))) {
            return lines.filter(l -> l.contains("[aio]")).count();
        }
    }

    private static long openFds() throws IOException {
        try (Stream<Path> list = Files.list(Path.of("/proc/self/fd"))) {
            return list.count();
        }
    }

    @Test
    void aClosedBackendRefusesWork() {
        LinuxAioBackend b = LinuxAioBackend.create(16);
        assertEquals("linux-aio", b.name());
        assertEquals(16, b.maxEvents());
        assertTrue(b.readsRingInUserSpace());
        assertEquals(1, b.inKernel(), "the wake-up poll");
        b.close();
        assertThrows(IllegalStateException.class, b::poll);
        assertThrows(IllegalStateException.class, () -> b.pollReady(new PollableFd(0), Readiness.IN));
        assertThrows(IllegalArgumentException.class, () -> LinuxAioBackend.create(1));
    }

    // ---------------------------------------------------------------- readiness

    @Test
    void pipeBecomesReadableWhenWrittenAndIsWritableAtOnce() {
        int[] p = pipe();
        PollableFd r = new PollableFd(p[0]);
        PollableFd w = new PollableFd(p[1]);
        Future<Integer> readable = backend.pollReady(r, Readiness.IN);
        Future<Integer> writable = backend.pollReady(w, Readiness.OUT);
        assertTrue(backend.poll());
        assertEquals(Readiness.OUT, writable.getNow());
        assertFalse(readable.isDone(), "an empty pipe is not readable");
        backend.poll();
        assertFalse(readable.isDone());

        writeByte(p[1]);
        assertEquals(Readiness.IN, await(readable));
        // One-shot: the next wait is a new request, answered at once while the byte is unread.
        assertEquals(Readiness.IN, await(backend.pollReady(r, Readiness.IN)));
        backend.forget(r);
        backend.forget(w);
    }

    @Test
    void eventFdReadinessBothWays() {
        try (EventFd e = EventFd.create()) {
            PollableFd fd = new PollableFd(e.fd());
            Future<Integer> both = backend.pollReady(fd, Readiness.IN | Readiness.OUT);
            assertEquals(Readiness.OUT, await(both), "counter 0: writable, not readable");
            Future<Integer> in = backend.pollReady(fd, Readiness.IN);
            backend.poll();
            assertFalse(in.isDone());
            e.signal();
            assertEquals(Readiness.IN, await(in));
            assertEquals(Readiness.IN | Readiness.OUT, await(backend.pollReady(fd, Readiness.IN | Readiness.OUT)));
            backend.forget(fd);
        }
    }

    @Test
    void hangUpEndsAReadWait() {
        int[] p = Fd.pipe2(Fd.O_NONBLOCK | Fd.O_CLOEXEC);
        fds.add(p[0]);
        PollableFd r = new PollableFd(p[0]);
        Future<Integer> readable = backend.pollReady(r, Readiness.IN);
        backend.poll();
        assertFalse(readable.isDone());
        Fd.close(p[1]);
        assertEquals(Readiness.HUP, await(readable) & (Readiness.HUP | Readiness.OUT));
        backend.forget(r);
    }

    @Test
    void oneWaitPerDirection() {
        int[] p = pipe();
        PollableFd r = new PollableFd(p[0]);
        Future<Integer> first = backend.pollReady(r, Readiness.IN);
        assertInstanceOf(IllegalStateException.class, failure(backend.pollReady(r, Readiness.IN)));
        assertInstanceOf(IllegalArgumentException.class, failure(backend.pollReady(r, 0)));
        Future<Integer> out = backend.pollReady(r, Readiness.OUT); // the other direction is free
        backend.forget(r);
        assertInstanceOf(FdClosedException.class, failure(first));
        assertInstanceOf(FdClosedException.class, failure(out));
    }

    @Test
    void aWaitThatBecomesReadyLaterEndsASleep() throws Exception {
        int[] p = pipe();
        PollableFd r = new PollableFd(p[0]);
        Future<Integer> readable = backend.pollReady(r, Readiness.IN);
        Thread writer = Thread.ofPlatform().start(() -> {
            sleepQuietly(100);
            writeByte(p[1]);
        });
        long start = System.nanoTime();
        while (!readable.isDone() && System.nanoTime() - start < 10_000 * MS) {
            backend.sleep(20_000 * MS); // long: only the poll completion can end it promptly
        }
        long took = System.nanoTime() - start;
        writer.join();
        assertEquals(Readiness.IN, readable.getNow());
        assertTrue(took >= 90 * MS && took < 5_000 * MS, "ready after " + took / MS + " ms, written after 100");
        backend.forget(r);
    }

    @Test
    void wakeupFromAnotherThreadEndsASleepPromptly() throws Exception {
        for (int round = 0; round < 5; round++) {
            Thread waker = Thread.ofPlatform().start(() -> {
                sleepQuietly(50);
                backend.wakeup();
            });
            long start = System.nanoTime();
            backend.sleep(20_000 * MS);
            long took = System.nanoTime() - start;
            waker.join();
            assertTrue(took < 5_000 * MS, "a 20 s sleep woken after 50 ms lasted " + took / MS + " ms");
        }
        // A wake-up that arrives before the sleep ends the next one at once.
        backend.wakeup();
        long start = System.nanoTime();
        backend.sleep(20_000 * MS);
        assertTrue(System.nanoTime() - start < 5_000 * MS);
        assertEquals(1, backend.queued(), "the wake-up poll waits to be re-armed with the next submission");
        backend.poll();
        assertEquals(0, backend.queued());
        assertEquals(1, backend.inKernel(), "the wake-up poll is re-armed, nothing else is in the kernel");
    }

    @Test
    void sleepHonoursItsTimeout() {
        backend.poll();
        for (long millis : new long[] {1, 20, 100}) {
            long start = System.nanoTime();
            backend.sleep(millis * MS);
            long took = System.nanoTime() - start;
            assertTrue(took >= millis * MS * 9 / 10, "slept " + took / 1000 + " µs for " + millis + " ms");
            assertTrue(took < millis * MS * 10 + 1_000 * MS, "slept " + took / MS + " ms for " + millis + " ms");
        }
        long start = System.nanoTime();
        backend.sleep(0);
        assertTrue(System.nanoTime() - start < 1_000 * MS, "sleep(0) returns at once");
    }

    // ---------------------------------------------------------------- forget

    @Test
    void forgetFailsAPendingWaitAtOnceAndKeepsItsIocbUntilTheKernelIsDone() {
        int[] p = pipe();
        PollableFd r = new PollableFd(p[0]);
        Future<Integer> readable = backend.pollReady(r, Readiness.IN);
        backend.poll();
        assertEquals(2, backend.inKernel(), "wake-up + the wait");

        backend.forget(r);
        assertInstanceOf(FdClosedException.class, failure(readable), "failed at once, not at the next poll");
        assertTrue(r.isForgotten());
        assertInstanceOf(FdClosedException.class, failure(backend.pollReady(r, Readiness.IN)));
        assertEquals(2, backend.inKernel(), "the cancelled request is still the kernel's until it completes");

        // Reuse the descriptor number for a new pipe and wait on it while the cancelled completion is outstanding.
        Fd.close(p[0]);
        Fd.close(p[1]);
        fds.clear();
        int[] q = pipe();
        PollableFd r2 = new PollableFd(q[0]);
        Future<Integer> second = backend.pollReady(r2, Readiness.IN);
        backend.poll();
        assertEquals(0, backend.queued());
        // Wake-up + second wait, once the cancelled request's completion has been reaped (3 until then).
        pollUntil(() -> backend.inKernel() == 2);
        assertFalse(second.isDone(), "the cancelled completion must not resolve the new wait");
        writeByte(q[1]);
        assertEquals(Readiness.IN, await(second));
        backend.forget(r2);
    }

    @Test
    void forgetBeforeSubmissionReleasesTheIocbAtOnce() {
        int[] p = pipe();
        PollableFd w = new PollableFd(p[1]);
        Future<Integer> writable = backend.pollReady(w, Readiness.OUT);
        assertEquals(1, backend.queued());
        backend.forget(w);
        assertEquals(0, backend.queued());
        assertInstanceOf(FdClosedException.class, failure(writable));
        backend.poll();
        assertEquals(1, backend.inKernel(), "nothing was submitted for it");
        backend.forget(w); // twice is harmless
        backend.forget(new PollableFd(p[0])); // never waited on
    }

    // ---------------------------------------------------------------- files

    @Test
    void bufferedFileWriteReadAndFdatasync(@TempDir Path dir) {
        int fd = TestFiles.open(dir.resolve("buffered"), TestFiles.O_RDWR | TestFiles.O_CREAT);
        fds.add(fd);
        roundTrip(fd, arena.allocate(4096, 8), 4096);
    }

    @Test
    void directFileWriteReadAndFdatasync(@TempDir Path dir) {
        int fd;
        try {
            fd = TestFiles.open(dir.resolve("direct"), TestFiles.O_RDWR | TestFiles.O_CREAT | TestFiles.O_DIRECT);
        } catch (ErrnoException e) {
            assumeTrue(e.errno() != Errno.EINVAL, "the filesystem of " + dir + " refuses O_DIRECT");
            throw e;
        }
        fds.add(fd);
        // O_DIRECT wants the buffer, length and offset aligned to the logical block size: a page covers them all.
        MemorySegment buf = Mmap.mapAnonymous(2 * Mmap.pageSize(), arena);
        roundTrip(fd, buf, Mmap.pageSize());
    }

    private void roundTrip(int fd, MemorySegment buf, long position) {
        FileOps files = backend.fileOps();
        assertSame(files, backend.fileOps());
        for (int i = 0; i < buf.byteSize(); i++) {
            buf.set(ValueLayout.JAVA_BYTE, i, (byte) (i * 31 + 7));
        }
        byte[] written = buf.toArray(ValueLayout.JAVA_BYTE);
        assertEquals((int) buf.byteSize(), await(files.write(fd, position, buf)));
        assertEquals(0, await(files.fdatasync(fd)));
        buf.fill((byte) 0);
        assertEquals((int) buf.byteSize(), await(files.read(fd, position, buf)));
        assertArrayEquals(written, buf.toArray(ValueLayout.JAVA_BYTE));
        // Before the written range the file is a hole of zeroes; past its end a read returns 0.
        assertEquals((int) buf.byteSize(), await(files.read(fd, 0, buf)));
        assertEquals(0, buf.get(ValueLayout.JAVA_BYTE, 0));
        assertEquals(0, await(files.read(fd, position + buf.byteSize(), buf)));
    }

    // ---------------------------------------------------------------- batching

    @Test
    void fileRequestsGoInEverySubmitBatchWithinATurn(@TempDir Path dir) {
        assumeTrue(FileOps.SUBMIT_BATCH > 1, "early file submission is turned off");
        int fd = TestFiles.open(dir.resolve("batch"), TestFiles.O_RDWR | TestFiles.O_CREAT);
        fds.add(fd);
        FileOps files = backend.fileOps();
        int batch = FileOps.SUBMIT_BATCH;
        int n = batch * 4 + batch / 2;
        MemorySegment bufs = arena.allocate(8L * n, 8);
        List<Future<Integer>> writes = new ArrayList<>();
        long callsBefore = backend.submitCalls();
        for (int i = 0; i < n; i++) {
            MemorySegment b = bufs.asSlice(8L * i, 8);
            b.set(ValueLayout.JAVA_LONG, 0, i);
            writes.add(files.write(fd, 8L * i, b));
            // While the kernel holds fewer than a batch, each request goes in at once; then every full batch does,
            // still before the turn ends (completions are not reaped within the turn, so they count as held).
            long expected = i < batch ? i + 1 : batch + (i + 1 - batch) / batch;
            assertEquals(expected, backend.submitCalls() - callsBefore, "after write " + i);
        }
        assertEquals(batch / 2, backend.queued());
        backend.poll();
        assertEquals(batch + 4, backend.submitCalls() - callsBefore, "the rest in the turn's one io_submit");
        pollUntil(() -> writes.stream().allMatch(Future::isDone));
        for (Future<Integer> w : writes) {
            assertEquals(8, w.getNow());
        }
        MemorySegment back = arena.allocate(8L * n, 8);
        assertEquals(8 * n, await(files.read(fd, 0, back)));
        for (int i = 0; i < n; i++) {
            assertEquals(i, back.get(ValueLayout.JAVA_LONG, 8L * i));
        }
    }

    @Test
    void waitsBeyondTheContextQueueUntilRoomIsMade() {
        // A budget above the context: every wait is a direct POLL, so the context itself fills up.
        LinuxAioBackend small = LinuxAioBackend.create(8, true, 8, 1_000);
        try {
            int waits = 20;
            List<int[]> pipes = new ArrayList<>();
            List<PollableFd> readers = new ArrayList<>();
            List<Future<Integer>> readable = new ArrayList<>();
            for (int i = 0; i < waits; i++) {
                int[] p = pipe();
                pipes.add(p);
                PollableFd r = new PollableFd(p[0]);
                readers.add(r);
                readable.add(small.pollReady(r, Readiness.IN));
            }
            small.poll();
            assertEquals(8, small.inKernel(), "the context is full");
            assertEquals(waits - 7, small.queued());
            for (int i = 0; i < waits; i++) {
                writeByte(pipes.get(i)[1]);
                assertEquals(Readiness.IN, await(small, readable.get(i)), "wait " + i);
                assertTrue(small.inKernel() <= 8);
            }
            assertEquals(0, small.queued());
            readers.forEach(small::forget);
        } finally {
            small.close();
        }
    }

    @Test
    void whenTheKernelSaysEagainTheRestStaysQueuedAndGoesInLater() {
        // The backend is allowed more in flight than a context of 8 holds (the kernel rounds it up to a page of
        // events, a little over 100), so io_submit takes a prefix and then answers EAGAIN.
        LinuxAioBackend overcommitted = LinuxAioBackend.create(8, true, 10_000, 100_000);
        List<EventFd> counters = new ArrayList<>();
        try {
            int waits = 400;
            List<PollableFd> fds = new ArrayList<>();
            List<Future<Integer>> readable = new ArrayList<>();
            for (int i = 0; i < waits; i++) {
                EventFd e = EventFd.create();
                counters.add(e);
                PollableFd fd = new PollableFd(e.fd());
                fds.add(fd);
                readable.add(overcommitted.pollReady(fd, Readiness.IN));
            }
            overcommitted.poll();
            int accepted = overcommitted.inKernel();
            assertTrue(accepted > 8 && accepted < waits, "the kernel took " + accepted + " of " + waits);
            assertEquals(waits + 1 - accepted, overcommitted.queued());
            for (int i = 0; i < waits; i++) {
                counters.get(i).signal();
                assertEquals(Readiness.IN, await(overcommitted, readable.get(i)), "wait " + i);
            }
            assertEquals(0, overcommitted.queued());
            fds.forEach(overcommitted::forget);
        } finally {
            overcommitted.close();
            counters.forEach(EventFd::close);
        }
    }

    @Test
    void waitsPastThePollBudgetGoThroughTheNestedEpollAndTheContextStaysSmall() {
        // A context of 8 and a budget of 4 direct POLLs: 2,000 waits at once, far more than the context holds.
        LinuxAioBackend small = LinuxAioBackend.create(8, true, 8, 4);
        List<EventFd> counters = new ArrayList<>();
        try {
            int waits = 2_000;
            List<PollableFd> fds = new ArrayList<>();
            List<Future<Integer>> readable = new ArrayList<>();
            for (int i = 0; i < waits; i++) {
                EventFd e = EventFd.create();
                counters.add(e);
                PollableFd fd = new PollableFd(e.fd());
                fds.add(fd);
                readable.add(small.pollReady(fd, Readiness.IN));
            }
            // The first poll submits; the epoll reports at once that the eventfds are writable (remembered, as nobody
            // waits for that), and its POLL is re-armed by the next.
            small.poll();
            small.poll();
            assertEquals(4, small.directPolls());
            assertEquals(waits - 4, small.nestedDescriptors());
            assertEquals(6, small.inKernel(), "4 direct waits, the wake-up and the nested epoll's POLL");
            assertEquals(0, small.queued(), "nothing waits for room in the context");
            // Ready in reverse order: the last registered is answered first, whichever way it waits.
            for (int i = waits - 1; i >= 0; i--) {
                counters.get(i).signal();
                assertEquals(Readiness.IN, await(small, readable.get(i)) & Readiness.IN, "wait " + i);
            }
            // A descriptor that moved stays in the epoll; readiness nobody waited for is remembered (edges).
            counters.get(waits - 1).drain();
            Future<Integer> again = small.pollReady(fds.get(waits - 1), Readiness.IN);
            small.poll();
            assertFalse(again.isDone());
            assertEquals(0, small.directPolls(), "no direct POLL for it, though the budget has room again");
            counters.get(waits - 1).signal();
            assertEquals(Readiness.IN, await(small, again) & Readiness.IN);
            Future<Integer> out = small.pollReady(fds.get(waits - 1), Readiness.OUT);
            assertEquals(Readiness.OUT, await(small, out) & Readiness.OUT, "an eventfd is writable");

            // Forget fails a pending nested wait at once and the descriptor leaves the epoll.
            Future<Integer> pending = small.pollReady(fds.get(waits - 2), Readiness.IN);
            small.forget(fds.get(waits - 2));
            assertInstanceOf(FdClosedException.class, failure(pending));
            fds.forEach(small::forget);
            assertEquals(0, small.nestedDescriptors());
            assertEquals(0, small.directPolls());
        } finally {
            small.close();
            counters.forEach(EventFd::close);
        }
    }

    @Test
    void aSharedDescriptorWaitsExclusivelyInTheNestedEpollOnlyWhileAWaitIsPending() {
        int[] p = pipe();
        PollableFd shared = PollableFd.shared(p[0]);
        Future<Integer> readable = backend.pollReady(shared, Readiness.IN);
        backend.poll();
        assertEquals(0, backend.directPolls(), "a shared descriptor never takes a direct POLL");
        assertEquals(1, backend.nestedDescriptors());
        assertFalse(readable.isDone());
        writeByte(p[1]);
        assertEquals(Readiness.IN, await(readable) & Readiness.IN);
        // Level-triggered while registered: still readable, so the next wait is answered again.
        Future<Integer> again = backend.pollReady(shared, Readiness.IN);
        assertEquals(Readiness.IN, await(again) & Readiness.IN);
        Future<Integer> third = backend.pollReady(shared, Readiness.IN);
        backend.forget(shared);
        assertInstanceOf(FdClosedException.class, failure(third));
        assertEquals(0, backend.nestedDescriptors());
    }

    // ---------------------------------------------------------------- errors

    @Test
    void aRefusedIocbInTheMiddleOfABatchFailsAloneAndTheRestGoIn() {
        int[] p = pipe();
        PollableFd w1 = new PollableFd(p[1]);
        PollableFd bad = new PollableFd(BAD_FD);
        PollableFd r = new PollableFd(p[0]);
        Future<Integer> first = backend.pollReady(w1, Readiness.OUT);
        Future<Integer> refused = backend.pollReady(bad, Readiness.IN);
        Future<Integer> third = backend.pollReady(r, Readiness.IN);
        long calls = backend.submitCalls();
        backend.poll();
        // io_submit took the first, stopped at the bad one; alone it said EBADF; then the third went in.
        assertEquals(3, backend.submitCalls() - calls);
        ErrnoException e = assertInstanceOf(ErrnoException.class, failure(refused));
        assertEquals(Errno.EBADF, e.errno());
        assertEquals(Readiness.OUT, await(first));
        assertFalse(third.isDone());
        assertEquals(2, backend.inKernel(), "wake-up + the third wait");
        writeByte(p[1]);
        assertEquals(Readiness.IN, await(third));
        backend.forget(w1);
        backend.forget(r);
        backend.forget(bad);
    }

    @Test
    void aBadDescriptorFailsTheFutureWithEbadf() {
        ErrnoException e = assertInstanceOf(ErrnoException.class,
                failureAfterPoll(backend.pollReady(new PollableFd(BAD_FD), Readiness.IN)));
        assertEquals(Errno.EBADF, e.errno());
        FileOps files = backend.fileOps();
        MemorySegment buf = arena.allocate(8);
        ErrnoException read = assertInstanceOf(ErrnoException.class, failureAfterPoll(files.read(BAD_FD, 0, buf)));
        assertEquals(Errno.EBADF, read.errno());
        ErrnoException sync = assertInstanceOf(ErrnoException.class, failureAfterPoll(files.fdatasync(BAD_FD)));
        assertEquals(Errno.EBADF, sync.errno());
        assertInstanceOf(IllegalArgumentException.class,
                failure(files.read(BAD_FD, 0, MemorySegment.ofArray(new byte[8]))));
        assertEquals(1, backend.inKernel(), "refused requests left nothing behind");
    }

    private Throwable failureAfterPoll(Future<?> f) {
        pollUntil(f::isDone);
        return failure(f);
    }

    @Test
    void failuresInsideTheKernelArriveWithTheirErrno(@TempDir Path dir) {
        int fd = TestFiles.open(dir.resolve("ro"), TestFiles.O_RDONLY | TestFiles.O_CREAT);
        fds.add(fd);
        FileOps files = backend.fileOps();
        ErrnoException write = assertInstanceOf(ErrnoException.class,
                failureAfterPoll(files.write(fd, 0, arena.allocate(8))));
        assertEquals(Errno.EBADF, write.errno());
        ErrnoException negative = assertInstanceOf(ErrnoException.class,
                failureAfterPoll(files.read(fd, -8, arena.allocate(8))));
        assertEquals(Errno.EINVAL, negative.errno());
    }

    // ---------------------------------------------------------------- the io_getevents path

    @Test
    void withoutTheUserSpaceRingEverythingGoesThroughIoGetevents(@TempDir Path dir) throws Exception {
        LinuxAioBackend plain = LinuxAioBackend.create(64, false, 64, 32);
        try {
            assertFalse(plain.readsRingInUserSpace());
            int[] p = pipe();
            PollableFd r = new PollableFd(p[0]);
            Future<Integer> readable = plain.pollReady(r, Readiness.IN);
            plain.poll();
            assertFalse(readable.isDone());
            writeByte(p[1]);
            assertEquals(Readiness.IN, await(plain, readable));

            Thread waker = Thread.ofPlatform().start(() -> {
                sleepQuietly(50);
                plain.wakeup();
            });
            long start = System.nanoTime();
            plain.sleep(20_000 * MS);
            waker.join();
            assertTrue(System.nanoTime() - start < 5_000 * MS);

            int fd = TestFiles.open(dir.resolve("plain"), TestFiles.O_RDWR | TestFiles.O_CREAT);
            fds.add(fd);
            MemorySegment buf = arena.allocate(16);
            buf.set(ValueLayout.JAVA_LONG, 8, 0x1122334455667788L);
            assertEquals(16, await(plain, plain.fileOps().write(fd, 0, buf)));
            assertEquals(16, await(plain, plain.fileOps().read(fd, 0, arena.allocate(16))));
            plain.forget(r);
        } finally {
            plain.close();
        }
    }

    // ---------------------------------------------------------------- no allocation on the idle path

    @Test
    void wakeUpAndSleepCyclesDoNotAllocate() {
        long bytes = SteadyStateAllocation.bytesPerRound(() -> {
            for (int i = 0; i < 20_000; i++) {
                backend.wakeup();
                backend.sleep(20_000 * MS);
                backend.poll();
            }
        }, b -> b < 16 * 1024);
        assertTrue(bytes < 16 * 1024, "wake-up/sleep/poll allocated " + bytes + " bytes per round of 20,000");
        assertNotEquals(0, backend.submitCalls());
    }

    private static void sleepQuietly(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
