package io.percore.net.posix;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.percore.core.Future;
import io.percore.core.Futures;
import io.percore.core.Timer;
import io.percore.memory.Buffer;
import io.percore.memory.Packet;
import io.percore.net.ConnectedSocket;
import io.percore.net.ListenOptions;
import io.percore.net.NetException;
import io.percore.net.OutputStream;
import io.percore.net.ServerSocket;
import io.percore.net.SocketAddress;
import io.percore.sys.Socket;
import java.net.Inet4Address;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.zip.CRC32;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.AfterParameterizedClassInvocation;
import org.junit.jupiter.params.BeforeParameterizedClassInvocation;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** TCP on every I/O mode: echo, bulk transfer with half-close, vectored writes, back-pressure, options, dual stack. */
@ParameterizedClass(name = "{0}")
@MethodSource("io.percore.net.posix.IoMode#all")
@Timeout(60)
class TcpTest extends NetTestBase {
    static final long BULK = 64L << 20;

    @BeforeParameterizedClassInvocation
    static void start(IoMode m) throws Exception {
        startShards(m, 2);
    }

    @AfterParameterizedClassInvocation
    static void stop() {
        stopShards();
    }

    /** Listens on shard 0 with an echo server; @return the server socket's address (port chosen by the kernel). */
    private static SocketAddress echoServer(SocketAddress at, ListenOptions options) throws Exception {
        return on(0, () -> {
            ServerSocket server = stack().listen(at, options);
            serve(server, s -> echo(s).ignoreFailure()).ignoreFailure();
            servers0 = server;
            return server.localAddress();
        });
    }

    /** Shard 1's client and its pending close, in the back-pressure test. */
    private static ConnectedSocket client1;
    private static Future<Void> closing1;

    /** Shard 0's server of the running test, closed by {@link #closeServer()}. */
    private static ServerSocket servers0;

    private static void closeServer() throws Exception {
        on(0, () -> {
            servers0.close();
            return null;
        });
    }

    @ParameterizedTest(name = "ipv6={0}")
    @ValueSource(booleans = {false, true})
    void echoesAcrossShards(boolean ipv6) throws Exception {
        SocketAddress server = echoServer(loopback(ipv6), ListenOptions.defaults());
        try {
            String reply = on(1, () -> {
                ConnectedSocket c = await(stack().connect(server));
                assertEquals(server, c.remoteAddress());
                assertEquals(ipv6, c.localAddress().isIpv6());
                await(c.output().write(Buffer.copyOf("hello, ")));
                await(c.output().write(Packet.of(Buffer.copyOf("percore"), Buffer.copyOf("!"))));
                await(c.output().flush());
                String got = readString(c.input(), 15);
                await(c.output().close());
                Buffer eof = await(c.input().read());
                assertTrue(eof.isEmpty(), "the server closes after our FIN");
                await(c.close());
                return got;
            });
            assertEquals("hello, percore!", reply);
            if (mode.engine() != null) {
                long submitted = on(1, () -> ((SyncSocketOps) stack().ops()).submitted);
                assertTrue(submitted >= 4, "the completion path was taken: " + submitted + " operations submitted");
            }
        } finally {
            closeServer();
        }
    }

    @ParameterizedTest(name = "ipv6={0}")
    @ValueSource(booleans = {false, true})
    void bulkTransferBothWaysWithHalfClose(boolean ipv6) throws Exception {
        SocketAddress server = on(0, () -> {
            servers0 = stack().listen(loopback(ipv6), ListenOptions.defaults());
            return servers0.localAddress();
        });
        try {
            // Server: reads the client's stream to its FIN while sending its own, then closes its output.
            CompletableFuture<long[]> serverSide = start(0, () -> {
                ConnectedSocket s = await(servers0.accept()).socket();
                Future<long[]> sending = sendPattern(s.output(), BULK, 2);
                CRC32 crc = new CRC32();
                long got = drain(s.input(), crc);
                long[] sent = await(sending);
                await(s.close());
                return new long[] {got, crc.getValue(), sent[0], sent[1]};
            });
            CompletableFuture<long[]> clientSide = start(1, () -> {
                ConnectedSocket c = await(stack().connect(server));
                Future<long[]> sending = sendPattern(c.output(), BULK, 1);
                CRC32 crc = new CRC32();
                long got = drain(c.input(), crc);
                long[] sent = await(sending);
                await(c.close());
                return new long[] {got, crc.getValue(), sent[0], sent[1]};
            });
            long[] srv = join(serverSide);
            long[] cli = join(clientSide);
            assertEquals(BULK, cli[2]);
            assertEquals(BULK, srv[2]);
            assertEquals(cli[2], srv[0], "bytes client -> server");
            assertEquals(cli[3], srv[1], "checksum client -> server");
            assertEquals(srv[2], cli[0], "bytes server -> client");
            assertEquals(srv[3], cli[1], "checksum server -> client");
        } finally {
            closeServer();
        }
    }

    /**
     * Writes {@code total} bytes as packets of 1 to 6 fragments, each a share of a random window of a random
     * 1 MiB pattern (so the stream does not repeat), waiting for each write; then closes the output (FIN).
     *
     * @return {bytes, crc32} of what was written
     */
    static Future<long[]> sendPattern(OutputStream out, long total, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        Buffer pattern = Buffer.allocate(1 << 20);
        for (int i = 0; i < pattern.length(); i += 8) {
            pattern.segment().set(java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED, i, rnd.nextLong());
        }
        CRC32 crc = new CRC32();
        long[] left = {total};
        return Futures.repeat(() -> {
            if (left[0] == 0) {
                return Future.ready(true);
            }
            Packet p = Packet.empty();
            int fragments = 1 + rnd.nextInt(6);
            for (int f = 0; f < fragments && left[0] > 0; f++) {
                int len = rnd.nextInt(4) == 0 ? 1 + rnd.nextInt(512) : 1 + rnd.nextInt(128 << 10);
                len = (int) Math.min(len, left[0]);
                Buffer piece = pattern.share(rnd.nextInt(pattern.length() - len + 1), len);
                update(crc, piece);
                left[0] -= len;
                p.append(piece);
            }
            return out.write(p).map(v -> false);
        }).then(out::close).map(v -> new long[] {total, crc.getValue()}).finallyDo(pattern::release);
    }

    @Test
    void packetsWithMoreFragmentsThanIovMaxArriveWhole() throws Exception {
        SocketAddress server = echoServer(loopback(false), ListenOptions.defaults());
        try {
            on(1, () -> {
                ConnectedSocket c = await(stack().connect(server));
                Packet p = Packet.empty();
                StringBuilder expected = new StringBuilder();
                for (int i = 0; i < 3000; i++) {
                    String s = Integer.toString(i, 36) + ",";
                    expected.append(s);
                    p.append(Buffer.copyOf(s));
                }
                await(c.output().write(p));
                await(c.output().close());
                assertEquals(expected.toString(), readString(c.input(), Integer.MAX_VALUE));
                await(c.close());
                return null;
            });
        } finally {
            closeServer();
        }
    }

    /**
     * Data worth several reads and the FIN arrive while the reader's shard is busy, so its one readiness report
     * carries both. The reads after the first must still go on to meet the end of stream: with edge-triggered
     * readiness no further report comes (a short read once made the reader wait for one, forever).
     */
    @Test
    void endOfStreamBehindSeveralReadsOfDataIsSeen() throws Exception {
        int size = 3 * PosixStack.MIN_READ + 123;
        SocketAddress server = on(0, () -> {
            servers0 = stack().listen(loopback(false), ListenOptions.defaults());
            return servers0.localAddress();
        });
        try {
            CompletableFuture<Long> received = start(0, () -> {
                ConnectedSocket s = await(servers0.accept()).socket();
                long n = drain(s.input(), new CRC32());
                await(s.close());
                return n;
            });
            client1 = on(1, () -> await(stack().connect(server)));
            Thread.sleep(200); // lets shard 0 accept and wait for readiness (were it late, the test just passes)
            java.util.concurrent.CountDownLatch busy = new java.util.concurrent.CountDownLatch(1);
            CompletableFuture<Void> spin = smp.submitExternal(0, () -> {
                busy.countDown();
                long end = System.nanoTime() + 300_000_000L;
                while (System.nanoTime() - end < 0) {
                    Thread.onSpinWait();
                }
                return Future.done();
            });
            assertTrue(busy.await(10, java.util.concurrent.TimeUnit.SECONDS));
            on(1, () -> {
                Buffer b = Buffer.allocate(size);
                b.segment().fill((byte) 7);
                await(client1.output().write(b));
                await(client1.output().close());
                return null;
            });
            join(spin);
            assertEquals(size, join(received));
            on(1, () -> await(client1.close()));
        } finally {
            closeServer();
        }
    }

    @Test
    void writesWaitWhileThePeerDoesNotRead() throws Exception {
        SocketAddress server = on(0, () -> {
            servers0 = stack().listen(loopback(false), ListenOptions.defaults());
            return servers0.localAddress();
        });
        try {
            CompletableFuture<ConnectedSocket> accepted = start(0, () -> await(servers0.accept()).socket());
            long[] result = on(1, () -> {
                ConnectedSocket c = await(stack().connect(server));
                // Fill the kernel's buffers and our queue: a write must end up waiting.
                long written = 0;
                Future<Void> w = Future.done();
                long deadline = System.nanoTime() + 10_000_000_000L;
                while (w.isDone() && System.nanoTime() < deadline) {
                    Buffer chunk = Buffer.allocate(64 << 10);
                    chunk.segment().fill((byte) 'x');
                    w = c.output().write(chunk);
                    written += 64 << 10;
                    if (w.isDone()) {
                        await(io.percore.core.Reactor.yieldNow());
                    }
                }
                assertFalse(w.isDone(), "a write should wait once the queue is over its limit");
                await(Timer.sleep(Duration.ofMillis(100)));
                assertFalse(w.isDone(), "still waiting: the peer reads nothing");
                // Once the peer reads, the waiting write goes through and FIN follows.
                client1 = c;
                closing1 = w.then(() -> c.output().close());
                return new long[] {written};
            });
            assertTrue(result[0] < 256L << 20, "bounded before blocking: " + result[0]);
            ConnectedSocket s = join(accepted);
            long got = on(0, () -> {
                long n = drain(s.input(), new CRC32());
                await(s.close());
                return n;
            });
            assertEquals(result[0], got, "everything queued arrives once the peer reads");
            on(1, () -> {
                await(closing1);
                return await(client1.close());
            });
        } finally {
            closeServer();
        }
    }

    @Test
    void optionsAndAddresses() throws Exception {
        SocketAddress server = on(0, () -> {
            servers0 = stack().listen(loopback(true), ListenOptions.defaults());
            return servers0.localAddress();
        });
        try {
            CompletableFuture<SocketAddress[]> serverSide = start(0, () -> {
                ServerSocket.AcceptResult r = await(servers0.accept());
                PosixConnectedSocket s = (PosixConnectedSocket) r.socket();
                assertEquals(1, Socket.getOption(s.fd(), Socket.IPPROTO_TCP, Socket.TCP_NODELAY), "nodelay by default");
                SocketAddress[] seen = {r.remoteAddress(), s.localAddress()};
                drain(s.input(), new CRC32());
                await(s.close());
                return seen;
            });
            SocketAddress[] client = on(1, () -> {
                PosixConnectedSocket c = (PosixConnectedSocket) await(stack().connect(server));
                assertEquals(1, Socket.getOption(c.fd(), Socket.IPPROTO_TCP, Socket.TCP_NODELAY), "nodelay by default");
                c.setNoDelay(false);
                assertEquals(0, Socket.getOption(c.fd(), Socket.IPPROTO_TCP, Socket.TCP_NODELAY));
                c.setKeepAlive(new ConnectedSocket.KeepAlive(120, 15, 3));
                assertEquals(1, Socket.getOption(c.fd(), Socket.SOL_SOCKET, Socket.SO_KEEPALIVE));
                assertEquals(120, Socket.getOption(c.fd(), Socket.IPPROTO_TCP, Socket.TCP_KEEPIDLE));
                assertEquals(15, Socket.getOption(c.fd(), Socket.IPPROTO_TCP, Socket.TCP_KEEPINTVL));
                assertEquals(3, Socket.getOption(c.fd(), Socket.IPPROTO_TCP, Socket.TCP_KEEPCNT));
                c.setKeepAlive(null);
                assertEquals(0, Socket.getOption(c.fd(), Socket.SOL_SOCKET, Socket.SO_KEEPALIVE));
                NetException bad = org.junit.jupiter.api.Assertions.assertThrows(NetException.class,
                        () -> c.setKeepAlive(new ConnectedSocket.KeepAlive(-1, 1, 1)));
                assertEquals(io.percore.sys.Errno.EINVAL, bad.errno());
                SocketAddress[] mine = {c.localAddress(), c.remoteAddress()};
                await(c.output().close());
                await(c.close());
                org.junit.jupiter.api.Assertions.assertThrows(NetException.SocketClosed.class, () -> c.setNoDelay(true));
                return mine;
            });
            SocketAddress[] srv = join(serverSide);
            assertEquals(client[0], srv[0], "the server sees the client's local address as the peer");
            assertEquals(server, srv[1]);
            assertEquals(server, client[1]);
        } finally {
            closeServer();
        }
    }

    @Test
    void dualStackListenerAcceptsIpv4Clients() throws Exception {
        SocketAddress server = echoServer(SocketAddress.anyIpv6(0), ListenOptions.defaults());
        try {
            String reply = on(1, () -> {
                ConnectedSocket c = await(stack().connect(SocketAddress.of("127.0.0.1", server.port())));
                assertInstanceOf(Inet4Address.class, c.localAddress().ip());
                await(c.output().write(Buffer.copyOf("v4 via ::")));
                await(c.output().close());
                String got = readString(c.input(), 100);
                await(c.close());
                return got;
            });
            assertEquals("v4 via ::", reply);
            String reply6 = on(1, () -> {
                ConnectedSocket c = await(stack().connect(SocketAddress.of("::1", server.port())));
                await(c.output().write(Buffer.copyOf("v6 via ::")));
                await(c.output().close());
                String got = readString(c.input(), 100);
                await(c.close());
                return got;
            });
            assertEquals("v6 via ::", reply6);
        } finally {
            closeServer();
        }
        SocketAddress v6only = echoServer(SocketAddress.anyIpv6(0), ListenOptions.defaults().withDualStack(false));
        try {
            Throwable t = on(1, () -> {
                Future<ConnectedSocket> f = stack().connect(SocketAddress.of("127.0.0.1", v6only.port()));
                return await(f.handle((s, e) -> e));
            });
            assertInstanceOf(NetException.ConnectionRefused.class, t, "IPV6_V6ONLY: no IPv4");
        } finally {
            closeServer();
        }
    }

    @Test
    void acceptedIpv4ClientOfADualStackListenerReadsAsIpv4() throws Exception {
        SocketAddress server = on(0, () -> {
            servers0 = stack().listen(SocketAddress.anyIpv6(0), ListenOptions.defaults());
            return servers0.localAddress();
        });
        try {
            CompletableFuture<SocketAddress> seen = start(0, () -> {
                ServerSocket.AcceptResult r = await(servers0.accept());
                await(r.socket().close());
                return r.remoteAddress();
            });
            on(1, () -> {
                ConnectedSocket c = await(stack().connect(SocketAddress.of("127.0.0.1", server.port())));
                drain(c.input(), new CRC32());
                await(c.close());
                return null;
            });
            SocketAddress peer = join(seen);
            assertInstanceOf(Inet4Address.class, peer.ip());
            assertEquals("127.0.0.1", peer.ip().getHostAddress());
        } finally {
            closeServer();
        }
    }

    @Test
    void shutdownInputEndsAPendingRead() throws Exception {
        SocketAddress server = echoServer(loopback(false), ListenOptions.defaults());
        try {
            on(1, () -> {
                ConnectedSocket c = await(stack().connect(server));
                Future<Buffer> pending = c.input().read();
                await(Timer.sleep(Duration.ofMillis(20)));
                assertFalse(pending.isDone());
                c.shutdownInput();
                assertTrue(await(pending).isEmpty(), "a pending read returns end of stream");
                assertTrue(await(c.input().read()).isEmpty(), "and so do later ones");
                // The other direction still works.
                await(c.output().write(Buffer.copyOf("x")));
                await(c.output().flush());
                c.shutdownOutput();
                await(c.close());
                return null;
            });
        } finally {
            closeServer();
        }
    }

    @Test
    void aSecondConcurrentReadIsRefused() throws Exception {
        SocketAddress server = echoServer(loopback(false), ListenOptions.defaults());
        try {
            on(1, () -> {
                ConnectedSocket c = await(stack().connect(server));
                Future<Buffer> first = c.input().read();
                Throwable second = await(c.input().read().handle((b, e) -> e));
                assertInstanceOf(IllegalStateException.class, second);
                await(c.output().write(Buffer.copyOf("ok")));
                Buffer b = await(first);
                assertEquals("ok", b.toString(StandardCharsets.UTF_8));
                b.release();
                await(c.close());
                return null;
            });
        } finally {
            closeServer();
        }
    }
}
