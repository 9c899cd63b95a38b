package io.percore.sys;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.percore.testing.SteadyStateAllocation;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetAddress;
import java.util.function.LongSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The socket bindings against the real kernel, over loopback, from a plain (non-shard) thread. */
@Timeout(60)
class SocketTest {
    private Arena arena;
    private SockAddr addr;
    private final java.util.List<Integer> open = new java.util.ArrayList<>();

    @BeforeEach
    void setUp() {
        arena = Arena.ofConfined();
        addr = SockAddr.allocate(arena);
    }

    @AfterEach
    void tearDown() {
        for (int fd : open) {
            try {
                Fd.close(fd);
            } catch (ErrnoException e) {
                // already closed by the test
            }
        }
        arena.close();
    }

    private int track(int fd) {
        open.add(fd);
        return fd;
    }

    /** @return a listening socket on 127.0.0.1 with a kernel-chosen port, which ends up in {@link #addr}. */
    private int listener(int family, String ip) throws Exception {
        int fd = track(Socket.open(family, Socket.SOCK_STREAM));
        addr.set(InetAddress.getByName(ip), 0, family == Socket.AF_INET6);
        Socket.bind(fd, addr);
        Socket.listen(fd, 16);
        Socket.localAddress(fd, addr);
        return fd;
    }

    /** Spins (this is a test thread) until {@code call} stops answering -1 (EAGAIN). */
    private static long retry(LongSupplier call) throws InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        for (;;) {
            long r = call.getAsLong();
            if (r >= 0 || System.nanoTime() > deadline) {
                return r;
            }
            Thread.sleep(1);
        }
    }

    /** @return {client, server} connected over loopback. */
    private int[] pair(int family, String ip) throws Exception {
        int lfd = listener(family, ip);
        int c = track(Socket.open(family, Socket.SOCK_STREAM));
        int r = Socket.connect(c, addr);
        assertTrue(r == 0 || r == Socket.IN_PROGRESS);
        SockAddr peer = SockAddr.allocate(arena);
        int s = (int) retry(() -> Socket.accept(lfd, peer));
        assertTrue(s >= 0, "accept");
        track(s);
        assertEquals(InetAddress.getByName(ip), peer.address());
        retry(() -> Socket.pendingError(c) == 0 && Socket.getOption(c, Socket.SOL_SOCKET, Socket.SO_ERROR) == 0 ? 0 : -1);
        return new int[] {c, s};
    }

    @Test
    void socketsAreNonBlockingAndCloseOnExec() {
        int fd = track(Socket.open(Socket.AF_INET, Socket.SOCK_STREAM));
        assertTrue(Fd.isNonBlocking(fd));
    }

    @Test
    void streamRoundTripWithSendRecvAndVectoredSendmsg() throws Exception {
        int[] p = pair(Socket.AF_INET, "127.0.0.1");
        MemorySegment out = arena.allocate(64);
        MemorySegment in = arena.allocate(64);
        out.setString(0, "hello");
        assertEquals(5, Socket.send(p[0], out, 5, 0));
        assertEquals(5, retry(() -> Socket.recv(p[1], in, 64, 0)));
        assertEquals("hello", in.getString(0));
        assertEquals(-1, Socket.recv(p[1], in, 64, 0), "nothing more: EAGAIN is -1");

        try (MsgHdr m = new MsgHdr(3)) {
            MemorySegment a = arena.allocate(3), b = arena.allocate(4), c = arena.allocate(2);
            a.copyFrom(MemorySegment.ofArray("abc".getBytes()));
            b.copyFrom(MemorySegment.ofArray("defg".getBytes()));
            c.copyFrom(MemorySegment.ofArray("hi".getBytes()));
            m.reset();
            m.setIov(0, a, 0, 3);
            m.setIov(1, b, 1, 3);
            m.setIov(2, c, 0, 2);
            m.setIovCount(3);
            assertEquals(8, Socket.sendmsg(p[1], m, 0));
        }
        in.fill((byte) 0);
        assertEquals(8, retry(() -> Socket.recv(p[0], in, 64, 0)));
        assertEquals("abcefghi", in.getString(0));

        Socket.peerAddress(p[1], addr);
        assertEquals(InetAddress.getByName("127.0.0.1"), addr.address());
        Socket.shutdown(p[0], Socket.SHUT_WR);
        assertEquals(0, retry(() -> Socket.recv(p[1], in, 64, 0)), "end of stream after the peer's SHUT_WR");
    }

    @Test
    void ipv6StreamAndOptions() throws Exception {
        int[] p = pair(Socket.AF_INET6, "::1");
        Socket.setOption(p[0], Socket.IPPROTO_TCP, Socket.TCP_NODELAY, 1);
        assertEquals(1, Socket.getOption(p[0], Socket.IPPROTO_TCP, Socket.TCP_NODELAY));
        Socket.setOption(p[0], Socket.IPPROTO_TCP, Socket.TCP_KEEPIDLE, 30);
        Socket.setOption(p[0], Socket.IPPROTO_TCP, Socket.TCP_KEEPINTVL, 5);
        Socket.setOption(p[0], Socket.IPPROTO_TCP, Socket.TCP_KEEPCNT, 4);
        Socket.setOption(p[0], Socket.SOL_SOCKET, Socket.SO_KEEPALIVE, 1);
        assertEquals(30, Socket.getOption(p[0], Socket.IPPROTO_TCP, Socket.TCP_KEEPIDLE));
        assertEquals(5, Socket.getOption(p[0], Socket.IPPROTO_TCP, Socket.TCP_KEEPINTVL));
        assertEquals(4, Socket.getOption(p[0], Socket.IPPROTO_TCP, Socket.TCP_KEEPCNT));
        assertEquals(1, Socket.getOption(p[0], Socket.SOL_SOCKET, Socket.SO_KEEPALIVE));
        Socket.setOption(p[0], Socket.SOL_SOCKET, Socket.SO_RCVBUF, 65536);
        assertTrue(Socket.getOption(p[0], Socket.SOL_SOCKET, Socket.SO_RCVBUF) >= 65536); // the kernel doubles it
        assertTrue(Socket.getOption(p[0], Socket.SOL_SOCKET, Socket.SO_SNDBUF) > 0);
        ErrnoException e = assertThrows(ErrnoException.class, () -> Socket.setOption(p[0], Socket.IPPROTO_TCP, Socket.TCP_KEEPCNT, -1));
        assertEquals(Errno.EINVAL, e.errno());
    }

    @Test
    void lingerZeroResetsThePeer() throws Exception {
        int[] p = pair(Socket.AF_INET, "127.0.0.1");
        Socket.setLinger(p[0], true, 0);
        Fd.close(p[0]);
        open.remove(Integer.valueOf(p[0]));
        MemorySegment in = arena.allocate(16);
        ErrnoException e = assertThrows(ErrnoException.class, () -> retry(() -> Socket.recv(p[1], in, 16, 0)));
        assertEquals(Errno.ECONNRESET, e.errno());
        ErrnoException w = assertThrows(ErrnoException.class, () -> Socket.send(p[1], in, 16, 0));
        assertEquals(Errno.EPIPE, w.errno(), "MSG_NOSIGNAL: EPIPE, no SIGPIPE");
    }

    @Test
    void refusedConnectReportsThroughSoError() throws Exception {
        int lfd = listener(Socket.AF_INET, "127.0.0.1");
        Fd.close(lfd);
        open.remove(Integer.valueOf(lfd));
        int c = track(Socket.open(Socket.AF_INET, Socket.SOCK_STREAM));
        try {
            if (Socket.connect(c, addr) == Socket.IN_PROGRESS) {
                assertEquals(Errno.ECONNREFUSED, (int) retry(() -> {
                    int err = Socket.pendingError(c);
                    return err == 0 ? -1 : err;
                }));
            }
        } catch (ErrnoException e) {
            assertEquals(Errno.ECONNREFUSED, e.errno());
        }
    }

    @Test
    void bindingATakenPortSaysAddressInUse() throws Exception {
        listener(Socket.AF_INET, "127.0.0.1");
        int second = track(Socket.open(Socket.AF_INET, Socket.SOCK_STREAM));
        ErrnoException e = assertThrows(ErrnoException.class, () -> Socket.bind(second, addr));
        assertEquals(Errno.EADDRINUSE, e.errno());
        assertTrue(e.getMessage().contains("EADDRINUSE"), e.getMessage());
    }

    @Test
    void datagramsCarryTheirAddresses() throws Exception {
        int a = track(Socket.open(Socket.AF_INET6, Socket.SOCK_DGRAM));
        Socket.setOption(a, Socket.IPPROTO_IPV6, Socket.IPV6_V6ONLY, 0);
        addr.set(InetAddress.getByName("::"), 0, true);
        Socket.bind(a, addr);
        Socket.localAddress(a, addr);
        int port = addr.port();
        int b = track(Socket.open(Socket.AF_INET, Socket.SOCK_DGRAM));
        SockAddr bAddr = SockAddr.allocate(arena);
        bAddr.set(InetAddress.getByName("127.0.0.1"), 0, false);
        Socket.bind(b, bAddr);
        Socket.localAddress(b, bAddr);

        MemorySegment payload = arena.allocate(3);
        payload.copyFrom(MemorySegment.ofArray(new byte[] {1, 2, 3}));
        try (MsgHdr send = new MsgHdr(1); MsgHdr recv = new MsgHdr(1)) {
            send.reset();
            send.setIov(0, payload, 0, 3);
            send.setIovCount(1);
            send.name().set(InetAddress.getByName("127.0.0.1"), port, false);
            send.useName(true);
            assertEquals(3, Socket.sendmsg(b, send, 0));

            MemorySegment in = arena.allocate(16);
            recv.reset();
            recv.setIov(0, in, 0, 16);
            recv.setIovCount(1);
            recv.expectName();
            assertEquals(3, retry(() -> Socket.recvmsg(a, recv, 0)));
            assertEquals(3, in.get(ValueLayout.JAVA_BYTE, 2));
            assertEquals(28, recv.receivedNameLength(), "an IPv4 sender arrives v4-mapped on the dual-stack socket");
            assertEquals(InetAddress.getByName("127.0.0.1"), recv.name().address());
            assertEquals(bAddr.port(), recv.name().port());
            assertEquals(0, recv.flags() & Socket.MSG_TRUNC);
        }
    }

    @Test
    void resourceLimitReadsAndNeverLowers() {
        ResourceLimit.Limits before = ResourceLimit.openFiles();
        assertTrue(before.soft() > 0 && before.soft() <= before.hard());
        assertEquals(before.soft(), ResourceLimit.raiseOpenFiles(before.soft() - 1));
        assertTrue(ResourceLimit.raiseOpenFiles(before.soft()) >= before.soft());
    }

    @Test
    void dataCallsDoNotAllocate() throws Exception {
        int[] p = pair(Socket.AF_INET, "127.0.0.1");
        MemorySegment buf = arena.allocate(64);
        try (MsgHdr m = new MsgHdr(2)) {
            m.reset();
            m.setIov(0, buf, 0, 8);
            m.setIov(1, buf, 8, 8);
            m.setIovCount(2);
            long bytes = SteadyStateAllocation.bytesPerRound(() -> {
                for (int i = 0; i < 20_000; i++) {
                    if (Socket.send(p[0], buf, 8, 0) != 8 || Socket.sendmsg(p[0], m, 0) != 16
                            || Socket.recv(p[1], buf, 64, 0) <= 0) {
                        throw new AssertionError("loopback round trip failed");
                    }
                    while (Socket.recv(p[1], buf, 64, 0) > 0) {
                        // drain whatever is left
                    }
                }
            }, b -> b < 16 * 1024);
            assertTrue(bytes < 16 * 1024, "send/sendmsg/recv allocated " + bytes + " bytes per round of 20,000");
        }
    }
}
