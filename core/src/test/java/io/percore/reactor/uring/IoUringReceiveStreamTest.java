package io.percore.reactor.uring;

import static io.percore.reactor.uring.UringTesting.failure;
import static io.percore.reactor.uring.UringTesting.turn;
import static io.percore.reactor.uring.UringTesting.value;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.percore.core.Future;
import io.percore.memory.Buffer;
import io.percore.reactor.FdClosedException;
import io.percore.reactor.PollableFd;
import io.percore.reactor.ReceiveStream;
import io.percore.sys.Fd;
import io.percore.sys.Socket;
import io.percore.sys.SocketPair;
import java.io.ByteArrayOutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Multishot receives into the provided buffer ring, driven from the test thread: data as ring buffers, each
 * returned exactly once, ENOBUFS and its fallback, re-arming after final completions, back-pressure on a slow
 * reader, and endings with buffers still lent out.
 */
class IoUringReceiveStreamTest {
    private IoUringBackend backend;
    private Arena arena;
    private final List<Integer> toClose = new ArrayList<>();
    private final List<PollableFd> toForget = new ArrayList<>();

    @BeforeEach
    void create() {
        backend = IoUringBackend.create();
        assumeTrue(backend.usesReceiveStreams(), "this kernel has no multishot receive (Linux 6.0)");
        arena = Arena.ofConfined();
    }

    @AfterEach
    void close() {
        if (backend != null) {
            for (PollableFd fd : toForget) {
                backend.forget(fd);
            }
            backend.close();
        }
        if (arena != null) {
            arena.close();
        }
        for (int fd : toClose) {
            try {
                Fd.close(fd);
            } catch (RuntimeException ignored) {
                // already closed by the test
            }
        }
    }

    /** @return {writer fd, reader PollableFd} of a fresh unix stream pair. */
    private PollableFd pair(int[] writer) {
        int[] fds = SocketPair.unix(SocketPair.SOCK_STREAM);
        toClose.add(fds[0]);
        toClose.add(fds[1]);
        writer[0] = fds[0];
        PollableFd r = new PollableFd(fds[1]);
        toForget.add(r);
        return r;
    }

    private MultishotRecv stream(PollableFd fd) {
        ReceiveStream s = backend.socketOps().receiveStream(fd);
        assertNotNull(s, "receive streams are on");
        return (MultishotRecv) s;
    }

    private BufferRing ring() {
        return backend.bufferRing();
    }

    /** Sends all of {@code bytes} (the pair's buffer holds far more than these tests send at once). */
    private void send(int fd, byte[] bytes) {
        MemorySegment seg = arena.allocate(Math.max(1, bytes.length));
        MemorySegment.copy(bytes, 0, seg, ValueLayout.JAVA_BYTE, 0, bytes.length);
        long off = 0;
        while (off < bytes.length) {
            long n = Socket.send(fd, seg.asSlice(off), bytes.length - off, 0);
            if (n < 0) {
                turn(backend, 1);
                continue;
            }
            off += n;
        }
    }

    private static byte[] pattern(int n, int seed) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (i * 31 + seed);
        }
        return b;
    }

    /** Reads until {@code n} bytes arrived, releasing each buffer. */
    private byte[] readFully(ReceiveStream s, int n) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        while (out.size() < n) {
            Buffer b = value(backend, s.read());
            assertFalse(b.isEmpty(), "end of stream after " + out.size() + " of " + n + " bytes");
            out.writeBytes(b.toArray());
            b.release();
        }
        return out.toByteArray();
    }

    @Test
    void dataArrivesInRingBuffersThatGoBackWhenReleased() {
        int[] w = new int[1];
        PollableFd r = pair(w);
        MultishotRecv s = stream(r);
        Future<Buffer> first = s.read();
        turn(backend, 3);
        assertFalse(first.isDone(), "nothing sent yet");
        assertTrue(s.isArmed());
        send(w[0], "hello".getBytes());
        Buffer b = value(backend, first);
        assertEquals("hello", new String(b.toArray()));
        assertEquals(1, ring().lent());
        assertEquals(ring().count() - 1, ring().available());
        b.release();
        assertEquals(0, ring().lent());
        assertEquals(ring().count(), ring().available());
        send(w[0], "again".getBytes());
        Buffer c = value(backend, s.read());
        assertEquals("again", new String(c.toArray()));
        c.release();
        assertEquals(1, s.arms(), "one submission served both reads");
    }

    @Test
    void aBufferSharedByTwoViewsGoesBackOnceWhenTheLastIsReleased() {
        int[] w = new int[1];
        PollableFd r = pair(w);
        MultishotRecv s = stream(r);
        send(w[0], "shared".getBytes());
        Buffer b = value(backend, s.read());
        Buffer view = b.share(1, 3);
        b.release();
        assertEquals(1, ring().lent(), "a view still holds it");
        assertEquals(0, ring().returnedTotal());
        assertEquals("har", new String(view.toArray()));
        view.release();
        assertEquals(0, ring().lent());
        assertEquals(1, ring().returnedTotal());
        assertEquals(ring().count(), ring().available());
        assertThrows(IllegalStateException.class, view::release, "a view is released once");
        assertEquals(1, ring().returnedTotal(), "and its buffer returned once");
    }

    @Test
    void aBufferReleasedOnAnotherThreadGoesBackAtTheNextPoll() throws Exception {
        int[] w = new int[1];
        PollableFd r = pair(w);
        MultishotRecv s = stream(r);
        send(w[0], "far".getBytes());
        Buffer b = value(backend, s.read());
        Thread t = new Thread(b::release);
        t.start();
        t.join();
        assertEquals(1, ring().lent(), "handed back by the owner, not by the releasing thread");
        turn(backend, 1);
        assertEquals(0, ring().lent());
        assertEquals(1, ring().remoteReturns());
        assertEquals(ring().count(), ring().available());
    }

    @Test
    void anEmptyRingEndsTheReceiveWithEnobufsThenAReaderFallsBackAndBuffersReturningReArmIt() {
        backend.setReceiveBuffers(4, 64);
        int[] w = new int[1];
        PollableFd r = pair(w);
        MultishotRecv s = stream(r);
        // Four reads held, not released: the ring is empty.
        List<Buffer> held = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            Future<Buffer> f = s.read();
            send(w[0], new byte[] {(byte) i});
            held.add(value(backend, f));
        }
        assertEquals(4, ring().lent());
        assertEquals(0, ring().available());
        send(w[0], "more".getBytes());
        turn(backend, 5);
        assertEquals(1, s.noBuffers(), "the kernel found the ring empty");
        assertFalse(s.isArmed());
        assertEquals(0, s.fallbacks(), "no reader waited, so nothing received yet");
        Buffer b = value(backend, s.read());
        assertEquals("more", new String(b.toArray()), "a waiting reader gets a single-shot receive");
        assertEquals(1, s.fallbacks());
        assertEquals(4, ring().lent(), "the fallback used pool memory");
        b.release();
        int armsBefore = s.arms();
        for (Buffer h : held) {
            h.release();
        }
        turn(backend, 2);
        assertTrue(s.arms() > armsBefore, "buffers coming back re-armed the multishot receive");
        assertTrue(s.isArmed());
        send(w[0], "ring again".getBytes());
        Buffer c = value(backend, s.read());
        assertEquals("ring again", new String(c.toArray()));
        assertEquals(1, ring().lent(), "back in a ring buffer");
        c.release();
        assertEquals(1, s.fallbacks());
    }

    @Test
    void aFinalCompletionCarryingDataIsReArmedAndNothingIsLostOrReordered() {
        // A CQ of 4 entries overflows while the kernel loops over the socket's data; the kernel then ends the
        // multishot receive with a data completion that lacks CQE_F_MORE, which must be re-armed.
        backend.close();
        backend = IoUringBackend.create(4, 4);
        assumeTrue(backend.usesReceiveStreams());
        backend.setReceiveBuffers(64, 64);
        int[] w = new int[1];
        PollableFd r = pair(w);
        MultishotRecv s = stream(r);
        Future<Buffer> first = s.read();
        turn(backend, 2);
        byte[] data = pattern(64 * 40, 7);
        send(w[0], data);
        Buffer b0 = value(backend, first);
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        got.writeBytes(b0.toArray());
        b0.release();
        got.writeBytes(readFully(s, data.length - got.size()));
        assertTrue(java.util.Arrays.equals(data, got.toByteArray()), "bytes arrived intact and in order");
        assertTrue(s.arms() >= 2, "re-armed after a completion without CQE_F_MORE (arms " + s.arms() + ")");
        assertEquals(0, ring().lent());
    }

    @Test
    void aSlowReaderPausesTheReceiveAndTheRestWaitsInTheSocket() {
        int[] w = new int[1];
        PollableFd r = pair(w);
        MultishotRecv s = stream(r);
        byte[] data = pattern(1 << 20, 3);
        MemorySegment seg = arena.allocate(data.length);
        MemorySegment.copy(data, 0, seg, ValueLayout.JAVA_BYTE, 0, data.length);
        Future<Buffer> first = s.read();
        long off = 0;
        Buffer b0 = null;
        // Send as much as the socket takes, turning the backend; the stream must stop queueing at its limit.
        int stalls = 0;
        while (off < data.length && stalls < 50) {
            long n = Socket.send(w[0], seg.asSlice(off), data.length - off, 0);
            if (n < 0) {
                stalls++;
                turn(backend, 2);
            } else {
                stalls = 0;
                off += n;
                turn(backend, 1);
            }
        }
        assertTrue(first.isDone());
        b0 = first.getNow();
        assertTrue(off < data.length, "the socket filled up: the stream stopped taking data");
        assertTrue(s.pauses() >= 1, "receiving paused");
        assertFalse(s.isArmed());
        // The kernel may fill a few more buffers before the cancel reaches it, never more than a second limit.
        long queued = s.queuedBytes();
        assertTrue(queued >= MultishotRecv.QUEUE_LIMIT_BYTES && queued <= 2 * MultishotRecv.QUEUE_LIMIT_BYTES,
                "queued " + queued + " bytes, limit " + MultishotRecv.QUEUE_LIMIT_BYTES);
        assertTrue(ring().lent() < ring().count() / 2, "lent " + ring().lent() + " of " + ring().count());
        for (int i = 0; i < 20; i++) {
            long n = Socket.send(w[0], seg.asSlice(off), data.length - off, 0);
            if (n > 0) {
                off += n;
            }
            turn(backend, 2);
        }
        assertEquals(queued, s.queuedBytes(), "paused: nothing more is taken from the socket");
        // The reader catches up: everything arrives, in order, and receiving resumes.
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        got.writeBytes(b0.toArray());
        b0.release();
        while (got.size() < data.length) {
            Buffer b = value(backend, s.read());
            got.writeBytes(b.toArray());
            b.release();
            if (off < data.length) {
                long n = Socket.send(w[0], seg.asSlice(off), data.length - off, 0);
                if (n > 0) {
                    off += n;
                }
            }
        }
        assertTrue(java.util.Arrays.equals(data, got.toByteArray()), "bytes arrived intact and in order");
        assertTrue(s.arms() >= 2, "re-armed once the reader took half");
        assertEquals(0, ring().lent());
    }

    @Test
    void endOfStreamFollowsTheQueuedDataAndRepeats() {
        int[] w = new int[1];
        PollableFd r = pair(w);
        MultishotRecv s = stream(r);
        send(w[0], "last words".getBytes());
        Fd.close(w[0]);
        toClose.remove(Integer.valueOf(w[0]));
        turn(backend, 3);
        Buffer b = value(backend, s.read());
        assertEquals("last words", new String(b.toArray()));
        b.release();
        assertTrue(value(backend, s.read()).isEmpty());
        assertTrue(value(backend, s.read()).isEmpty());
        assertFalse(s.isArmed());
        assertEquals(0, ring().lent());
        assertEquals(ring().count(), ring().available(), "an end-of-stream completion's buffer went back");
    }

    @Test
    void forgettingTheSocketWithBuffersOutstandingKeepsThemValidAndReturnsThemLater() {
        int[] w = new int[1];
        PollableFd r = pair(w);
        MultishotRecv s = stream(r);
        send(w[0], "kept".getBytes());
        Buffer held = value(backend, s.read());
        send(w[0], "queued".getBytes());
        turn(backend, 3);
        assertEquals(2, ring().lent(), "one held by the reader, one queued in the stream");
        Future<Buffer> waiting = s.read(); // takes the queued one
        assertEquals("queued", new String(value(backend, waiting).toArray()));
        Future<Buffer> pending = s.read();
        backend.forget(r);
        assertInstanceOf(FdClosedException.class, failure(backend, pending));
        assertInstanceOf(FdClosedException.class, failure(backend, s.read()));
        assertEquals("kept", new String(held.toArray()), "a lent buffer outlives its stream");
        held.release();
        assertEquals(1, ring().lent(), "the other read's buffer is still out");
        waiting.getNow().release();
        assertEquals(0, ring().lent());
        assertEquals(ring().count(), ring().available());
    }

    @Test
    void closingTheStreamDropsQueuedDataAndFailsAPendingRead() {
        int[] w = new int[1];
        PollableFd r = pair(w);
        MultishotRecv s = stream(r);
        Future<Buffer> first = s.read(); // the first read arms the receive
        send(w[0], "read".getBytes());
        value(backend, first).release();
        send(w[0], "dropped".getBytes());
        turn(backend, 3);
        assertEquals(1, s.queuedBuffers());
        s.close();
        assertEquals(0, ring().lent(), "queued data went back to the ring");
        assertInstanceOf(IllegalStateException.class, failure(backend, s.read()));
        send(w[0], "after".getBytes());
        turn(backend, 5);
        assertEquals(0, ring().lent(), "a cancelled receive lends nothing");
    }

    @Test
    void closingTheBackendWithBuffersOutstandingLeavesThemReadable() {
        int[] w = new int[1];
        PollableFd r = pair(w);
        MultishotRecv s = stream(r);
        send(w[0], "survivor".getBytes());
        Buffer held = value(backend, s.read());
        Future<Buffer> pending = s.read();
        toForget.clear();
        BufferRing ring = ring();
        backend.close();
        assertInstanceOf(IllegalStateException.class, pending.failure());
        assertTrue(ring.isClosed());
        assertEquals("survivor", new String(held.toArray()));
        held.release();
        assertEquals(0, ring.lent());
        backend = null;
    }

    @Test
    void turnedOffTheBackendOffersNoStream() {
        backend.setReceiveStreams(false);
        assertFalse(backend.usesReceiveStreams());
        int[] w = new int[1];
        assertNull(backend.socketOps().receiveStream(pair(w)));
        assertNull(backend.bufferRing(), "no buffers registered");
    }

    @Test
    void receiveBuffersCannotChangeOnceRegistered() {
        int[] w = new int[1];
        stream(pair(w));
        assertThrows(IllegalStateException.class, () -> backend.setReceiveBuffers(8, 1024));
        IoUringBackend other = IoUringBackend.create();
        try {
            assertThrows(IllegalArgumentException.class, () -> other.setReceiveBuffers(3, 1024));
        } finally {
            other.close();
        }
    }
}
