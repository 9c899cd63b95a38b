package io.percore.sys;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The raw ring: setup and teardown, the SQ/CQ protocol, full and overflowing queues, timed waits, the probe. */
class IoUringTest {

    /** Collects completions handed out by {@link IoUring#reap}. */
    private static final class Collected implements IoUring.CompletionHandler {
        final List<long[]> seen = new ArrayList<>();

        @Override
        public void onCompletion(long userData, int result, int flags) {
            seen.add(new long[] {userData, result, flags});
        }
    }

    @Test
    void setupGrantsSizesAndReportsFeaturesAndProbe() {
        try (IoUring ring = IoUring.setup(100, 300, true)) {
            assertEquals(128, ring.sqEntries(), "rounded up to a power of two");
            assertEquals(512, ring.cqEntries());
            assertTrue((ring.features() & IoUringParams.FEAT_NODROP) != 0);
            IoUringProbe probe = ring.probe();
            for (int op : new int[] {IoUringOpcode.NOP, IoUringOpcode.READ, IoUringOpcode.WRITE,
                    IoUringOpcode.POLL_ADD, IoUringOpcode.ASYNC_CANCEL, IoUringOpcode.SEND, IoUringOpcode.RECV,
                    IoUringOpcode.ACCEPT, IoUringOpcode.CONNECT}) {
                assertTrue(probe.supports(op), IoUringOpcode.name(op) + " in " + probe);
            }
            assertFalse(probe.supports(probe.lastOp() + 1));
            assertEquals("RECV", IoUringOpcode.name(IoUringOpcode.RECV));
            System.out.println(ring);
            System.out.println(probe);
        }
    }

    @Test
    void setupFailuresThatMeanNoIoUringAskForAFallback() {
        for (int errno : new int[] {Errno.ENOSYS, Errno.EPERM, Errno.ENOMEM, Errno.EINVAL}) {
            RuntimeException e = IoUring.setupFailure(errno, 8, 16);
            IoUringUnavailableException u = assertInstanceOf(IoUringUnavailableException.class, e);
            assertEquals(errno, u.errno());
            assertTrue(u.getMessage().contains(Errno.name(errno)) && u.getMessage().contains("epoll"), u.getMessage());
        }
        RuntimeException e = IoUring.setupFailure(Errno.EMFILE, 8, 16);
        assertEquals(Errno.EMFILE, assertInstanceOf(ErrnoException.class, e).errno(), "out of descriptors is not a missing feature");
    }

    @Test
    void rejectsSizesOutOfRange() {
        assertThrows(IllegalArgumentException.class, () -> IoUring.setup(0, 8, true));
        assertThrows(IllegalArgumentException.class, () -> IoUring.setup(IoUring.MAX_ENTRIES + 1, 1 << 16, true));
        assertThrows(IllegalArgumentException.class, () -> IoUring.setup(64, 32, true));
    }

    @Test
    void nopsRoundTripWithTheirUserData() {
        try (IoUring ring = IoUring.setup(16, 64, true)) {
            for (int i = 0; i < 10; i++) {
                IoUringSqe.nop(ring.sqes(), ring.nextSqe(), 1000 + i);
            }
            assertEquals(10, ring.pendingSubmissions());
            assertEquals(10, ring.submit());
            assertEquals(0, ring.pendingSubmissions());
            Collected c = new Collected();
            long deadline = System.nanoTime() + 5_000_000_000L;
            while (c.seen.size() < 10 && System.nanoTime() < deadline) {
                ring.submitAndWait(100_000_000L);
                ring.reap(c, 64);
            }
            assertEquals(10, c.seen.size());
            for (int i = 0; i < 10; i++) {
                assertEquals(1000 + i, c.seen.get(i)[0]);
                assertEquals(0, c.seen.get(i)[1]);
            }
            assertEquals(0, ring.completionsReady());
        }
    }

    @Test
    void reapHandsOutAtMostMaxAndKeepsTheRest() {
        try (IoUring ring = IoUring.setup(8, 16, true)) {
            for (int i = 0; i < 5; i++) {
                IoUringSqe.nop(ring.sqes(), ring.nextSqe(), i);
            }
            ring.submitAndWait(1_000_000_000L);
            waitForCompletions(ring, 5);
            Collected c = new Collected();
            assertEquals(2, ring.reap(c, 2));
            assertEquals(3, ring.completionsReady());
            assertEquals(3, ring.reap(c, 100));
            assertEquals(List.of(0L, 1L, 2L, 3L, 4L), c.seen.stream().map(e -> e[0]).toList());
        }
    }

    @Test
    void fullSqRefusesAnEntryUntilSubmitted() {
        try (IoUring ring = IoUring.setup(8, 16, true)) {
            for (int i = 0; i < 8; i++) {
                long sqe = ring.nextSqe();
                assertTrue(sqe >= 0);
                IoUringSqe.nop(ring.sqes(), sqe, i);
            }
            assertEquals(-1, ring.nextSqe());
            assertEquals(8, ring.submit());
            assertTrue(ring.nextSqe() >= 0, "the kernel consumed the entries");
        }
    }

    @Test
    void fullCqKeepsEveryCompletionWithNodrop() {
        try (IoUring ring = IoUring.setup(16, 16, true)) {
            int total = 100;
            for (int i = 0; i < total; i++) {
                long sqe = ring.nextSqe();
                if (sqe < 0) {
                    ring.submit();
                    sqe = ring.nextSqe();
                }
                IoUringSqe.nop(ring.sqes(), sqe, i);
            }
            ring.submit();
            assertTrue((ring.sqFlags() & IoUring.SQ_CQ_OVERFLOW) != 0 || ring.completionsReady() == 16,
                    "100 completions cannot fit a 16-entry CQ");
            Collected c = new Collected();
            long deadline = System.nanoTime() + 5_000_000_000L;
            while (c.seen.size() < total && System.nanoTime() < deadline) {
                ring.reap(c, 1000);
                ring.submit(); // flushes held-back completions into the room just made
            }
            assertEquals(total, c.seen.size());
            for (int i = 0; i < total; i++) {
                assertEquals(i, c.seen.get(i)[0], "completions stay in order");
            }
            assertEquals(0, ring.cqOverflow(), "nothing was dropped");
        }
    }

    @Test
    void timedWaitHonoursTheTimeoutWithExtArg() {
        try (IoUring ring = IoUring.setup(8, 16, true)) {
            assertTrue(ring.usesExtArg(), "Linux 6.x has EXT_ARG");
            assertTimedWait(ring);
        }
    }

    @Test
    void timedWaitHonoursTheTimeoutWithTimeoutEntries() {
        try (IoUring ring = IoUring.setup(8, 16, true)) {
            ring.useTimeoutSqeForWaits();
            assertTimedWait(ring);
            // A wait ended early by a completion leaves its TIMEOUT armed; the next wait removes it.
            IoUringSqe.nop(ring.sqes(), ring.nextSqe(), 7);
            long start = System.nanoTime();
            ring.submitAndWait(10_000_000_000L);
            assertTrue(System.nanoTime() - start < 5_000_000_000L, "the NOP ended the wait");
            Collected c = new Collected();
            waitForCompletions(ring, 1);
            ring.reap(c, 10);
            assertEquals(1, c.seen.size());
            assertTimedWait(ring);
            ring.reap(c, 10);
            assertEquals(1, c.seen.size(), "the ring's own TIMEOUT completions never reach the handler");
        }
    }

    private static void assertTimedWait(IoUring ring) {
        Collected c = new Collected();
        long start = System.nanoTime();
        ring.submitAndWait(50_000_000L);
        long waited = System.nanoTime() - start;
        assertTrue(waited >= 49_000_000L, "returned early after " + waited + " ns");
        assertTrue(waited < 5_000_000_000L, "overslept: " + waited + " ns");
        ring.reap(c, 10);
        assertEquals(0, c.seen.size());
    }

    @Test
    void zeroTimeoutOnlySubmits() {
        try (IoUring ring = IoUring.setup(8, 16, true)) {
            long start = System.nanoTime();
            ring.submitAndWait(0);
            assertTrue(System.nanoTime() - start < 1_000_000_000L);
        }
    }

    @Test
    void createAndCloseAThousandTimesLeaksNoDescriptorOrMapping() throws IOException {
        long fdsBefore = countFds();
        long mapsBefore = countRingMappings();
        for (int i = 0; i < 1000; i++) {
            IoUring ring = IoUring.setup(64, 256, true);
            IoUringSqe.nop(ring.sqes(), ring.nextSqe(), 1);
            ring.submit();
            ring.close();
            ring.close(); // idempotent
        }
        assertEquals(fdsBefore, countFds());
        assertEquals(mapsBefore, countRingMappings());
    }

    @Test
    void usingAClosedRingThrowsInsteadOfCrashing() {
        IoUring ring = IoUring.setup(8, 16, true);
        ring.close();
        assertThrows(IllegalStateException.class, ring::nextSqe);
    }

    @Test
    void ringIsConfinedToItsThread() throws Exception {
        try (IoUring ring = IoUring.setup(8, 16, true)) {
            OnThread.run(() -> assertThrows(WrongThreadException.class, ring::nextSqe));
        }
    }

    private static void waitForCompletions(IoUring ring, int n) {
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (ring.completionsReady() < n && System.nanoTime() < deadline) {
            ring.submitAndWait(10_000_000L);
        }
        assertEquals(n, ring.completionsReady());
    }

    static long countFds() throws IOException {
        try (Stream<Path> s = Files.list(Path.of("/proc/self/fd"))) {
            return s.count();
        }
    }

    private static long countRingMappings() throws IOException {
        return Files.readAllLines(Path.of("/proc/self/maps")).stream().filter(l -> l.contains("io_uring")).count();
    }
}
