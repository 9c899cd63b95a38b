package io.percore.reactor.uring;

import static io.percore.reactor.uring.UringTesting.assertErrno;
import static io.percore.reactor.uring.UringTesting.failure;
import static io.percore.reactor.uring.UringTesting.turn;
import static io.percore.reactor.uring.UringTesting.value;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.percore.core.Future;
import io.percore.reactor.FdClosedException;
import io.percore.reactor.PollableFd;
import io.percore.reactor.SocketOps;
import io.percore.sys.Errno;
import io.percore.sys.Fd;
import io.percore.sys.SocketPair;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** RECV, SEND, SENDMSG, RECVMSG, ACCEPT (single and multishot) and CONNECT over socket pairs and loopback TCP. */
class IoUringSocketOpsTest {
    private IoUringBackend backend;
    private SocketOps ops;
    private Arena arena;
    private final List<Integer> toClose = new ArrayList<>();

    @BeforeEach
    void create() {
        backend = IoUringBackend.create();
        ops = backend.socketOps();
        arena = Arena.ofConfined();
    }

    @AfterEach
    void close() {
        backend.close();
        arena.close();
        for (int fd : toClose) {
            try {
                Fd.close(fd);
            } catch (RuntimeException ignored) {
                // already closed by the test
            }
        }
    }

    private int keep(int fd) {
        toClose.add(fd);
        return fd;
    }

    private int[] keep(int[] fds) {
        for (int fd : fds) {
            keep(fd);
        }
        return fds;
    }

    private MemorySegment bytes(String s) {
        return arena.allocateFrom(s, StandardCharsets.US_ASCII).asSlice(0, s.length());
    }

    private static String text(MemorySegment buf, int n) {
        return new String(buf.asSlice(0, n).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.US_ASCII);
    }

    @Test
    void recvWaitsForDataThatSendDelivers() {
        int[] pair = keep(SocketPair.unix(SocketPair.SOCK_STREAM));
        PollableFd a = new PollableFd(pair[0]);
        PollableFd b = new PollableFd(pair[1]);
        MemorySegment in = arena.allocate(64);
        Future<Integer> recv = ops.recv(b, in, 0);
        turn(backend, 3);
        assertFalse(recv.isDone(), "nothing sent yet");
        assertEquals(5, value(backend, ops.send(a, bytes("hello"), 0)));
        int n = value(backend, recv);
        assertEquals("hello", text(in, n));
        backend.forget(a);
        backend.forget(b);
    }

    @Test
    void recvReturnsZeroAtEndOfStream() {
        int[] pair = keep(SocketPair.unix(SocketPair.SOCK_STREAM));
        PollableFd b = new PollableFd(pair[1]);
        Future<Integer> recv = ops.recv(b, arena.allocate(16), 0);
        turn(backend, 2);
        Fd.close(pair[0]);
        toClose.remove(Integer.valueOf(pair[0]));
        assertEquals(0, value(backend, recv));
        backend.forget(b);
    }

    @Test
    void sendmsgAndRecvmsgCarryScatteredBuffers() {
        int[] pair = keep(SocketPair.unix(SocketPair.SOCK_DGRAM));
        PollableFd a = new PollableFd(pair[0]);
        PollableFd b = new PollableFd(pair[1]);
        MemorySegment out = msghdr(bytes("scatter"), bytes("-gather"));
        MemorySegment in1 = arena.allocate(4);
        MemorySegment in2 = arena.allocate(32);
        MemorySegment inHdr = msghdr(in1, in2);
        Future<Integer> received = ops.recvmsg(b, inHdr, 0);
        turn(backend, 2);
        assertFalse(received.isDone());
        assertEquals(14, value(backend, ops.sendmsg(a, out, 0)));
        assertEquals(14, value(backend, received));
        assertEquals("scat", text(in1, 4));
        assertEquals("ter-gather", text(in2, 10));
        backend.forget(a);
        backend.forget(b);
    }

    /** A {@code struct msghdr} (56 bytes) with no name and no control data over {@code bufs}. */
    private MemorySegment msghdr(MemorySegment... bufs) {
        MemorySegment iov = arena.allocate(16L * bufs.length, 8);
        for (int i = 0; i < bufs.length; i++) {
            iov.set(ValueLayout.JAVA_LONG, 16L * i, bufs[i].address());
            iov.set(ValueLayout.JAVA_LONG, 16L * i + 8, bufs[i].byteSize());
        }
        MemorySegment hdr = arena.allocate(56, 8);
        hdr.set(ValueLayout.JAVA_LONG, 16, iov.address());
        hdr.set(ValueLayout.JAVA_LONG, 24, bufs.length);
        return hdr;
    }

    @Test
    void acceptAndConnectOverLoopbackTcpThenExchangeData() {
        SocketPair.Listener listener = SocketPair.tcpLoopbackListener();
        keep(listener.fd());
        PollableFd lfd = new PollableFd(listener.fd());
        MemorySegment peer = arena.allocate(SocketPair.SOCKADDR_IN_SIZE, 8);
        MemorySegment peerLen = arena.allocate(ValueLayout.JAVA_INT);
        peerLen.set(ValueLayout.JAVA_INT, 0, SocketPair.SOCKADDR_IN_SIZE);
        Future<Integer> accepted = ops.accept(lfd, peer, peerLen, SocketPair.SOCK_NONBLOCK | SocketPair.SOCK_CLOEXEC);
        turn(backend, 2);
        assertFalse(accepted.isDone(), "nobody connected yet");

        PollableFd client = new PollableFd(keep(SocketPair.tcpSocket()));
        MemorySegment addr = arena.allocate(SocketPair.SOCKADDR_IN_SIZE, 8);
        SocketPair.putLoopback(addr, listener.port());
        assertEquals(0, value(backend, ops.connect(client, addr, SocketPair.SOCKADDR_IN_SIZE)));
        PollableFd server = new PollableFd(keep(value(backend, accepted)));
        assertEquals(SocketPair.SOCKADDR_IN_SIZE, peerLen.get(ValueLayout.JAVA_INT, 0));
        assertEquals(SocketPair.AF_INET, peer.get(ValueLayout.JAVA_SHORT, 0));
        assertTrue(SocketPair.port(peer) > 0);

        MemorySegment in = arena.allocate(64);
        Future<Integer> recv = ops.recv(server, in, 0);
        assertEquals(4, value(backend, ops.send(client, bytes("ping"), 0)));
        assertEquals("ping", text(in, value(backend, recv)));
        for (PollableFd fd : new PollableFd[] {lfd, client, server}) {
            backend.forget(fd);
        }
    }

    @Test
    void bulkTransferOverLoopbackTcpArrivesIntact() {
        int[] pair = keep(SocketPair.tcpLoopback());
        PollableFd client = new PollableFd(pair[0]);
        PollableFd server = new PollableFd(pair[1]);
        int size = 4 << 20;
        MemorySegment src = arena.allocate(size);
        for (int i = 0; i < size; i++) {
            src.set(ValueLayout.JAVA_BYTE, i, (byte) (i * 31 + 7));
        }
        MemorySegment dst = arena.allocate(size);
        int sent = 0;
        int received = 0;
        Future<Integer> send = null;
        Future<Integer> recv = null;
        long deadline = System.nanoTime() + UringTesting.TIMEOUT_NANOS;
        while (received < size) {
            assertTrue(System.nanoTime() < deadline, "transfer stalled at " + received);
            if (send == null && sent < size) {
                send = ops.send(client, src.asSlice(sent, Math.min(256 << 10, size - sent)), 0);
            }
            if (recv == null) {
                recv = ops.recv(server, dst.asSlice(received), 0);
            }
            if (!backend.poll()) {
                backend.sleep(10_000_000L);
            }
            if (send != null && send.isDone()) {
                sent += send.getNow();
                send = null;
            }
            if (recv != null && recv.isDone()) {
                int n = recv.getNow();
                assertTrue(n > 0, "early end of stream");
                received += n;
                recv = null;
            }
        }
        assertEquals(-1L, src.mismatch(dst));
        backend.forget(client);
        backend.forget(server);
    }

    @Test
    void connectToAClosedPortFailsWithEconnrefused() {
        SocketPair.Listener listener = SocketPair.tcpLoopbackListener();
        Fd.close(listener.fd()); // the port is free again: nothing listens there
        PollableFd client = new PollableFd(keep(SocketPair.tcpSocket()));
        MemorySegment addr = arena.allocate(SocketPair.SOCKADDR_IN_SIZE, 8);
        SocketPair.putLoopback(addr, listener.port());
        assertErrno(backend, ops.connect(client, addr, SocketPair.SOCKADDR_IN_SIZE), Errno.ECONNREFUSED);
        backend.forget(client);
    }

    @Test
    void forgettingAListenerWithAPendingAcceptFailsItAndLeaksNothing() throws Exception {
        SocketPair.Listener listener = SocketPair.tcpLoopbackListener();
        keep(listener.fd());
        PollableFd lfd = new PollableFd(listener.fd());
        Future<Integer> accepted = ops.accept(lfd, null, null, SocketPair.SOCK_NONBLOCK | SocketPair.SOCK_CLOEXEC);
        turn(backend, 2);
        long fds = UringTesting.countFds();
        backend.forget(lfd);
        assertInstanceOf(FdClosedException.class, accepted.failure());
        assertEquals(fds, UringTesting.countFds());
        assertEquals(0, backend.pendingOperations());
    }

    @Test
    void segmentsTheKernelCannotUseAreRefused() {
        int[] pair = keep(SocketPair.unix(SocketPair.SOCK_STREAM));
        PollableFd a = new PollableFd(pair[0]);
        assertThrows(IllegalArgumentException.class, () -> ops.recv(a, MemorySegment.ofArray(new byte[8]), 0));
        assertThrows(IllegalArgumentException.class, () -> ops.recv(a, arena.allocate(8).asReadOnly(), 0));
        assertThrows(IllegalArgumentException.class, () -> ops.sendmsg(a, arena.allocate(16), 0));
        assertThrows(IllegalArgumentException.class, () -> ops.accept(a, arena.allocate(16), null, 0));
        assertEquals(0, backend.pendingOperations(), "nothing was started");
        assertEquals(0, value(backend, backend.nop()), "no half-written entry was left behind");
        backend.forget(a);
    }

    // ---------------------------------------------------------------- multishot accept

    /** Connects a fresh client to {@code port} through the ring, leaving the connect to complete later. */
    private Future<Integer> connectClient(int port) {
        PollableFd client = new PollableFd(keep(SocketPair.tcpSocket()));
        MemorySegment addr = arena.allocate(SocketPair.SOCKADDR_IN_SIZE, 8);
        SocketPair.putLoopback(addr, port);
        return ops.connect(client, addr, SocketPair.SOCKADDR_IN_SIZE);
    }

    @Test
    void multishotAcceptDeliversEveryConnectionFromOneSubmission() {
        assertTrue(backend.supportsMultishotAccept(), "Linux 6.x has multishot accept");
        SocketPair.Listener listener = SocketPair.tcpLoopbackListener();
        keep(listener.fd());
        PollableFd lfd = new PollableFd(listener.fd());
        MultishotAccept acceptor = backend.acceptMultishot(lfd, SocketPair.SOCK_NONBLOCK | SocketPair.SOCK_CLOEXEC);
        Future<Integer> first = acceptor.accept();
        assertFalse(first.isDone());
        assertTrue(acceptor.accept().isFailed(), "one accept at a time");
        Set<Integer> fds = new HashSet<>();
        List<Future<Integer>> connects = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            connects.add(connectClient(listener.port()));
        }
        fds.add(keep(value(backend, first)));
        for (int i = 1; i < 5; i++) {
            fds.add(keep(value(backend, acceptor.accept())));
        }
        for (Future<Integer> c : connects) {
            assertEquals(0, value(backend, c));
        }
        assertEquals(5, fds.size(), "five distinct descriptors");
        assertTrue(acceptor.isArmed(), "still armed: one submission served all");
        Future<Integer> pending = acceptor.accept();
        acceptor.close();
        assertInstanceOf(IllegalStateException.class, pending.failure());
        backend.forget(lfd);
        assertEquals(0, backend.pendingOperations());
    }

    @Test
    void multishotAcceptPausesWhenItsQueueIsFullAndResumesAsItDrains() {
        SocketPair.Listener listener = SocketPair.tcpLoopbackListener();
        keep(listener.fd());
        PollableFd lfd = new PollableFd(listener.fd());
        MultishotAccept acceptor = backend.acceptMultishot(lfd, SocketPair.SOCK_NONBLOCK | SocketPair.SOCK_CLOEXEC);
        int total = MultishotAccept.QUEUE_LIMIT + 40;
        List<Future<Integer>> connects = new ArrayList<>();
        for (int i = 0; i < total; i++) {
            connects.add(connectClient(listener.port()));
        }
        for (Future<Integer> c : connects) {
            assertEquals(0, value(backend, c)); // the kernel's backlog completes the handshakes
        }
        long deadline = System.nanoTime() + UringTesting.TIMEOUT_NANOS;
        while (acceptor.isArmed() && System.nanoTime() < deadline) {
            backend.sleep(10_000_000L);
        }
        assertFalse(acceptor.isArmed(), "paused with " + acceptor.queued() + " queued");
        assertTrue(acceptor.queued() >= MultishotAccept.QUEUE_LIMIT);
        Set<Integer> fds = new HashSet<>();
        for (int i = 0; i < total; i++) {
            fds.add(keep(value(backend, acceptor.accept())));
        }
        assertEquals(total, fds.size(), "every connection accepted exactly once");
        acceptor.close();
        backend.forget(lfd);
    }

    @Test
    void forgettingTheListenerEndsAMultishotAcceptAndClosesWhatItQueued() throws Exception {
        SocketPair.Listener listener = SocketPair.tcpLoopbackListener();
        keep(listener.fd());
        PollableFd lfd = new PollableFd(listener.fd());
        MultishotAccept acceptor = backend.acceptMultishot(lfd, SocketPair.SOCK_NONBLOCK | SocketPair.SOCK_CLOEXEC);
        Future<Integer> c1 = connectClient(listener.port());
        Future<Integer> c2 = connectClient(listener.port());
        value(backend, c1);
        value(backend, c2);
        long deadline = System.nanoTime() + UringTesting.TIMEOUT_NANOS;
        while (acceptor.queued() < 2 && System.nanoTime() < deadline) {
            backend.sleep(10_000_000L);
        }
        assertEquals(2, acceptor.queued());
        long fds = UringTesting.countFds();
        backend.forget(lfd);
        assertEquals(fds - 2, UringTesting.countFds(), "the two queued connections were closed");
        assertInstanceOf(FdClosedException.class, failure(backend, acceptor.accept()));
        assertEquals(0, backend.pendingOperations());
    }

    @Test
    void multishotAcceptOnAForgottenListenerFailsAtOnce() {
        SocketPair.Listener listener = SocketPair.tcpLoopbackListener();
        keep(listener.fd());
        PollableFd lfd = new PollableFd(listener.fd());
        backend.forget(lfd);
        MultishotAccept acceptor = backend.acceptMultishot(lfd, 0);
        assertInstanceOf(FdClosedException.class, failure(backend, acceptor.accept()));
        assertEquals(0, backend.pendingOperations());
    }
}
