package io.percore.net.posix;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.percore.core.Async;
import io.percore.core.Future;
import io.percore.core.Futures;
import io.percore.core.Promise;
import io.percore.core.Reactor;
import io.percore.memory.Buffer;
import io.percore.net.ConnectedSocket;
import io.percore.net.ListenOptions;
import io.percore.net.NetException;
import io.percore.net.ServerSocket;
import io.percore.net.SocketAddress;
import io.percore.reactor.PollableFd;
import io.percore.reactor.SocketOps;
import io.percore.sys.Errno;
import java.lang.foreign.MemorySegment;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.AfterParameterizedClassInvocation;
import org.junit.jupiter.params.BeforeParameterizedClassInvocation;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A peer that resets the connection (SO_LINGER 0, then close) is reported as {@link NetException.ConnectionReset}
 * to the reader and to the writer, whichever of them meets it first, on every I/O mode; Linux hands the reset to
 * the first call only and answers later reads with 0, as if the stream had ended. A peer that ended its stream in
 * order and only then answered a late write with a reset still gives the reader its data and end of stream.
 */
@ParameterizedClass(name = "{0}")
@MethodSource("io.percore.net.posix.IoMode#all")
@Timeout(60)
class TcpResetTest extends NetTestBase {
    /** Time for a reset or FIN on loopback to reach the other socket, with plenty of slack for a loaded machine. */
    private static final Duration ARRIVAL = Duration.ofMillis(50);

    @BeforeParameterizedClassInvocation
    static void start(IoMode m) throws Exception {
        startShards(m, 2);
    }

    @AfterParameterizedClassInvocation
    static void stop() {
        stopShards();
    }

    private static ServerSocket server;
    private static SocketAddress address;

    @BeforeEach
    void listen() throws Exception {
        address = on(0, () -> {
            server = stack().listen(loopback(false), ListenOptions.defaults());
            return server.localAddress();
        });
    }

    @AfterEach
    void closeServer() throws Exception {
        on(0, () -> {
            server.close();
            return null;
        });
    }

    /** A JDK client connected to the server, and the server's end of it (used on shard 0 only). */
    private record Pair(java.net.Socket client, ConnectedSocket server) {}

    private static Pair connect() throws Exception {
        java.net.Socket client = new java.net.Socket();
        client.connect(new InetSocketAddress("127.0.0.1", address.port()), 5000);
        ConnectedSocket s = on(0, () -> await(server.accept()).socket());
        return new Pair(client, s);
    }

    private static void reset(java.net.Socket client) throws Exception {
        client.setSoLinger(true, 0);
        client.close();
    }

    private static Throwable readFailure(ConnectedSocket s) {
        return await(s.input().read().handle((b, e) -> {
            if (b != null) {
                String what = b.isEmpty() ? "end of stream" : b.length() + " bytes";
                b.release();
                return new AssertionError("the read got " + what + " instead of the reset");
            }
            return e;
        }));
    }

    private static Throwable writeFailure(ConnectedSocket s) {
        return await(s.output().write(Buffer.copyOf("x")).then(() -> s.output().flush()).handle((v, e) -> e));
    }

    private static void assertReset(Throwable t, int errno, String what) {
        NetException.ConnectionReset e = assertInstanceOf(NetException.ConnectionReset.class, t, what + ": " + t);
        if (errno != 0) {
            assertEquals(errno, e.errno(), what + ": " + t);
        }
    }

    @Test
    void theReaderMeetsTheResetFirstThenTheWriter() throws Exception {
        Pair p = connect();
        reset(p.client());
        Throwable[] f = on(0, () -> {
            Async.sleep(ARRIVAL);
            Throwable read = readFailure(p.server());
            Throwable write = writeFailure(p.server());
            Throwable readAgain = readFailure(p.server());
            await(p.server().close());
            return new Throwable[] {read, write, readAgain};
        });
        assertReset(f[0], Errno.ECONNRESET, "read");
        assertReset(f[1], 0, "write after the read met the reset");
        assertReset(f[2], Errno.ECONNRESET, "a second read");
    }

    @Test
    void theWriterMeetsTheResetFirstThenTheReader() throws Exception {
        Pair p = connect();
        reset(p.client());
        Throwable[] f = on(0, () -> {
            Async.sleep(ARRIVAL);
            Throwable write = writeFailure(p.server());
            // The kernel gave the reset to the send: recv now answers 0, which must not read as end of stream.
            Throwable read = readFailure(p.server());
            await(p.server().close());
            return new Throwable[] {write, read};
        });
        assertReset(f[0], Errno.ECONNRESET, "write");
        assertReset(f[1], Errno.ECONNRESET, "read after the write met the reset");
    }

    @Test
    void aPendingReadAndABusyWriterBothReportTheResetEveryTime() throws Exception {
        for (int round = 0; round < 10; round++) {
            Pair p = connect();
            AtomicLong written = new AtomicLong();
            // A read waits while the writer fills the buffers (the client reads nothing); the reset then reaches
            // both, and which of them the kernel tells first varies from round to round.
            CompletableFuture<Throwable[]> serverSide = start(0, () -> {
                ConnectedSocket s = p.server();
                Future<Throwable> reading = s.input().read().handle((b, e) -> {
                    if (b != null) {
                        b.release();
                        return new AssertionError(b.isEmpty() ? "end of stream instead of the reset" : "data");
                    }
                    return e;
                });
                Future<Throwable> writing = Futures.repeat(() -> s.output().write(Buffer.allocate(16 << 10))
                        .map(v -> {
                            written.addAndGet(16 << 10);
                            return false;
                        })).handle((v, e) -> e);
                Throwable r = await(reading);
                Throwable w = await(writing);
                await(s.close());
                return new Throwable[] {r, w};
            });
            long deadline = System.nanoTime() + 10_000_000_000L;
            long target = round % 2 == 0 ? 1 : 256 << 10; // a wait for writability, or a send still in progress
            while (written.get() < target && System.nanoTime() < deadline) {
                Thread.sleep(1);
            }
            reset(p.client());
            Throwable[] f = join(serverSide);
            assertReset(f[0], 0, "round " + round + ": the pending read");
            assertReset(f[1], 0, "round " + round + ": the writer");
        }
    }

    @Test
    void anOrderlyEndStaysAnEndWhenALaterWriteIsReset() throws Exception {
        Pair p = connect();
        p.client().getOutputStream().write("bye".getBytes(StandardCharsets.US_ASCII));
        p.client().close(); // FIN: the stream ends in order; later data from us gets a reset back
        Object[] f = on(0, () -> {
            ConnectedSocket s = p.server();
            Async.sleep(ARRIVAL);
            assertNull(writeFailure(s), "the first late write is taken by our kernel");
            Async.sleep(ARRIVAL);
            Throwable write = writeFailure(s);
            String data = readString(s.input(), 3);
            Buffer end = await(s.input().read());
            boolean ended = end.isEmpty();
            end.release();
            await(s.close());
            return new Object[] {write, data, ended};
        });
        // Linux records EPIPE, not ECONNRESET, for a reset that follows the peer's FIN.
        assertReset((Throwable) f[0], Errno.EPIPE, "the write the peer refused");
        assertEquals("bye", f[1]);
        assertTrue((Boolean) f[2], "the reader sees the end of stream the peer sent, not the reset of our write");
    }

    @Test
    void aReadThatGetsZeroWhileASendIsInFlightWaitsToLearnWhetherThatSendTookTheReset() throws Exception {
        // On a completion engine the kernel may run a send, which takes the reset, and show its completion after
        // the recv that then answered 0. A completion engine that holds send results back makes that order certain.
        try (java.net.ServerSocket peer = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            CompletableFuture<Throwable[]> ours = start(1, () -> {
                HeldSends ops = new HeldSends(new SyncSocketOps(Reactor.current().backend(),
                        SyncSocketOps.Kind.POLL_INSIDE));
                PosixStack own = PosixStack.create(Reactor.current().backend(), ops);
                ConnectedSocket s = await(own.connect(SocketAddress.of("127.0.0.1", peer.getLocalPort())));
                connected = true;
                while (!resetSent) {
                    Async.sleep(Duration.ofMillis(1));
                }
                Async.sleep(ARRIVAL);
                Future<Void> write = s.output().write(Buffer.copyOf("x")).then(() -> s.output().flush());
                long deadline = System.nanoTime() + 10_000_000_000L;
                while (ops.held.isEmpty() && System.nanoTime() < deadline) {
                    Async.sleep(Duration.ofMillis(1)); // the send runs and takes the reset; its completion is held
                }
                assertEquals(1, ops.held.size(), "the send ran");
                Future<Buffer> read = s.input().read();
                while (ops.recvsDone == 0 && System.nanoTime() < deadline) {
                    Async.sleep(Duration.ofMillis(1));
                }
                assertEquals(1, ops.recvsDone, "the recv answered");
                Async.sleep(Duration.ofMillis(5)); // the read's continuation runs
                assertFalse(read.isDone(), "the read waits for the send in flight");
                ops.release();
                Throwable w = await(write.handle((v, e) -> e));
                Throwable r = await(read.handle((b, e) -> {
                    if (b != null) {
                        b.release();
                        return new AssertionError(b.isEmpty() ? "end of stream instead of the reset" : "data");
                    }
                    return e;
                }));
                await(s.close());
                return new Throwable[] {w, r};
            });
            try (java.net.Socket accepted = peer.accept()) {
                long deadline = System.nanoTime() + 10_000_000_000L;
                while (!connected && System.nanoTime() < deadline) {
                    Thread.sleep(1); // a reset before the connect completes would be the connect's failure
                }
                accepted.setSoLinger(true, 0);
            }
            resetSent = true;
            Throwable[] f = join(ours);
            assertReset(f[0], Errno.ECONNRESET, "the send that took the reset");
            assertReset(f[1], Errno.ECONNRESET, "the read that got 0 meanwhile");
        } finally {
            resetSent = false;
            connected = false;
        }
    }

    private static volatile boolean connected;
    private static volatile boolean resetSent;

    /** A completion engine whose send results are held back until {@link #release()}, then delivered in order. */
    private static final class HeldSends implements SocketOps {
        private final SocketOps inner;
        final List<Runnable> held = new ArrayList<>();
        int recvsDone;
        private boolean holding = true;

        HeldSends(SocketOps inner) {
            this.inner = inner;
        }

        void release() {
            holding = false;
            held.forEach(Runnable::run);
            held.clear();
        }

        private Future<Integer> hold(Future<Integer> f) {
            Promise<Integer> p = new Promise<>();
            f.onComplete((v, e) -> {
                Runnable deliver = () -> {
                    if (e != null) {
                        p.setException(e);
                    } else {
                        p.setValue(v);
                    }
                };
                if (holding) {
                    held.add(deliver);
                } else {
                    deliver.run();
                }
            });
            return p;
        }

        @Override
        public Future<Integer> send(PollableFd fd, MemorySegment buf, int flags) {
            return hold(inner.send(fd, buf, flags));
        }

        @Override
        public Future<Integer> sendmsg(PollableFd fd, MemorySegment msghdr, int flags) {
            return hold(inner.sendmsg(fd, msghdr, flags));
        }

        @Override
        public Future<Integer> recv(PollableFd fd, MemorySegment buf, int flags) {
            return inner.recv(fd, buf, flags).finallyDo(() -> recvsDone++);
        }

        @Override
        public Future<Integer> recvmsg(PollableFd fd, MemorySegment msghdr, int flags) {
            return inner.recvmsg(fd, msghdr, flags);
        }

        @Override
        public Future<Integer> accept(PollableFd fd, MemorySegment addr, MemorySegment addrLen, int flags) {
            return inner.accept(fd, addr, addrLen, flags);
        }

        @Override
        public Future<Integer> connect(PollableFd fd, MemorySegment addr, int addrLen) {
            return inner.connect(fd, addr, addrLen);
        }
    }
}
