package io.percore.reactor.uring;

import static io.percore.reactor.uring.UringTesting.turn;
import static io.percore.reactor.uring.UringTesting.value;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.percore.core.Future;
import io.percore.reactor.PollableFd;
import io.percore.reactor.SocketOps;
import io.percore.sys.Fd;
import io.percore.sys.Socket;
import io.percore.sys.SocketPair;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** SEND_ZC over loopback TCP: the data arrives, the notification comes once per send, and forget does not wait for it. */
class IoUringSendZeroCopyTest {
    private IoUringBackend backend;
    private SocketOps ops;
    private Arena arena;
    private int[] pair;

    @BeforeEach
    void create() {
        backend = IoUringBackend.create();
        assumeTrue(backend.probe().supports(io.percore.sys.IoUringOpcode.SEND_ZC), "no SEND_ZC (Linux 6.0)");
        ops = backend.socketOps();
        arena = Arena.ofShared();
        pair = SocketPair.tcpLoopback();
    }

    @AfterEach
    void close() {
        if (backend != null) {
            backend.close();
        }
        if (pair != null) {
            for (int fd : pair) {
                try {
                    Fd.close(fd);
                } catch (RuntimeException ignored) {
                    // closed by the test
                }
            }
        }
        if (arena != null) {
            arena.close();
        }
    }

    private MemorySegment pattern(int n) {
        MemorySegment seg = arena.allocate(n);
        for (int i = 0; i < n; i++) {
            seg.set(ValueLayout.JAVA_BYTE, i, (byte) (i * 13 + 5));
        }
        return seg;
    }

    /** Receives {@code n} bytes on {@code fd} with plain recv calls, turning the backend while waiting. */
    private byte[] receive(int fd, int n) {
        MemorySegment in = arena.allocate(n);
        long got = 0;
        long deadline = System.nanoTime() + UringTesting.TIMEOUT_NANOS;
        while (got < n) {
            assertTrue(System.nanoTime() < deadline, "received " + got + " of " + n);
            long r = Socket.recv(fd, in.asSlice(got), n - got, 0);
            if (r > 0) {
                got += r;
            } else {
                turn(backend, 1);
            }
        }
        return in.toArray(ValueLayout.JAVA_BYTE);
    }

    @Test
    void offOnlyWhenNoThresholdIsSet() {
        assertEquals(0, ops.zeroCopyThreshold(), "off by default");
        PollableFd fd = new PollableFd(pair[0]);
        assertThrows(UnsupportedOperationException.class, () -> ops.sendZeroCopy(fd, pattern(16), 0, () -> {}));
        backend.setZeroCopyThreshold(16 << 10);
        assertEquals(16 << 10, ops.zeroCopyThreshold());
        backend.setZeroCopyThreshold(0);
        assertEquals(0, ops.zeroCopyThreshold());
    }

    @Test
    void dataArrivesAndTheNotificationReleasesTheBufferOnce() {
        backend.setZeroCopyThreshold(1);
        PollableFd fd = new PollableFd(pair[0]);
        int n = 64 << 10;
        MemorySegment data = pattern(n);
        int[] done = new int[1];
        Future<Integer> sent = ops.sendZeroCopy(fd, data, Socket.MSG_NOSIGNAL, () -> done[0]++);
        int total = value(backend, sent);
        assertTrue(total > 0 && total <= n, "sent " + total);
        byte[] got = receive(pair[1], total);
        assertArrayEquals(data.asSlice(0, total).toArray(ValueLayout.JAVA_BYTE), got);
        long deadline = System.nanoTime() + UringTesting.TIMEOUT_NANOS;
        while (done[0] == 0 && System.nanoTime() < deadline) {
            backend.poll();
            backend.sleep(10_000_000L);
        }
        assertEquals(1, done[0], "the kernel's notification ran the release once");
        assertEquals(1, backend.zeroCopySends());
        assertEquals(1, backend.zeroCopyNotifications());
        turn(backend, 3);
        assertEquals(1, done[0]);
        assertEquals(0, backend.pendingOperations(), "the operation left with its notification");
        backend.forget(fd);
    }

    @Test
    void forgettingTheSocketDoesNotWaitForNotifications() {
        backend.setZeroCopyThreshold(1);
        PollableFd fd = new PollableFd(pair[0]);
        int[] done = new int[1];
        int total = value(backend, ops.sendZeroCopy(fd, pattern(32 << 10), Socket.MSG_NOSIGNAL, () -> done[0]++));
        long t0 = System.nanoTime();
        backend.forget(fd);
        assertTrue(System.nanoTime() - t0 < 1_000_000_000L, "forget returned without waiting for the notification");
        receive(pair[1], total);
        long deadline = System.nanoTime() + UringTesting.TIMEOUT_NANOS;
        while (done[0] == 0 && System.nanoTime() < deadline) {
            backend.poll();
            backend.sleep(10_000_000L);
        }
        assertEquals(1, done[0], "the buffer is released when the kernel is done, after forget");
    }

    @Test
    void aSendOnAForgottenSocketReleasesAtOnce() {
        backend.setZeroCopyThreshold(1);
        PollableFd fd = new PollableFd(pair[0]);
        backend.forget(fd);
        int[] done = new int[1];
        Future<Integer> f = ops.sendZeroCopy(fd, pattern(16), 0, () -> done[0]++);
        assertTrue(f.isFailed());
        assertTrue(f.failure() instanceof io.percore.reactor.FdClosedException, f.failure().toString());
        assertEquals(1, done[0]);
    }
}
