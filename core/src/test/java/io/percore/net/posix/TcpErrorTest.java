package io.percore.net.posix;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.percore.core.Future;
import io.percore.core.Futures;
import io.percore.core.Timer;
import io.percore.memory.Buffer;
import io.percore.net.ConnectedSocket;
import io.percore.net.ListenOptions;
import io.percore.net.NetException;
import io.percore.net.ServerSocket;
import io.percore.net.SocketAddress;
import io.percore.sys.Errno;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.zip.CRC32;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.AfterParameterizedClassInvocation;
import org.junit.jupiter.params.BeforeParameterizedClassInvocation;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Failures on every I/O mode: each is a typed {@link NetException} with the errno and the address, and fails
 * only the futures of the connection it belongs to.
 */
@ParameterizedClass(name = "{0}")
@MethodSource("io.percore.net.posix.IoMode#all")
@Timeout(60)
class TcpErrorTest extends NetTestBase {
    @BeforeParameterizedClassInvocation
    static void start(IoMode m) throws Exception {
        startShards(m, 2);
    }

    @AfterParameterizedClassInvocation
    static void stop() {
        stopShards();
    }

    private static ServerSocket server0;
    private static ServerSocket server1;

    /** @return a loopback address nobody listens on (it was listened on and closed). */
    private static SocketAddress closedPort(boolean ipv6) throws Exception {
        return on(0, () -> {
            ServerSocket s = stack().listen(loopback(ipv6), ListenOptions.defaults());
            SocketAddress a = s.localAddress();
            s.close();
            return a;
        });
    }

    @Test
    void refusedConnectIsTypedWithErrnoAndAddress() throws Exception {
        for (boolean ipv6 : new boolean[] {false, true}) {
            SocketAddress target = closedPort(ipv6);
            Throwable t = on(1, () -> await(stack().connect(target).handle((s, e) -> e)));
            NetException.ConnectionRefused e = assertInstanceOf(NetException.ConnectionRefused.class, t);
            assertEquals(Errno.ECONNREFUSED, e.errno());
            assertEquals(target, e.address());
            assertTrue(e.getMessage().contains(target.toString()), e.getMessage());
        }
    }

    @Test
    void listeningTwiceOnOneShardOrOnAPortTakenByAnotherProgramIsAddressInUse() throws Exception {
        SocketAddress taken = on(0, () -> {
            server0 = stack().listen(loopback(false), ListenOptions.defaults());
            return server0.localAddress();
        });
        try {
            NetException.AddressInUse again = on(0, () ->
                    assertThrows(NetException.AddressInUse.class, () -> stack().listen(taken, ListenOptions.defaults())));
            assertEquals(Errno.EADDRINUSE, again.errno());
            assertEquals(taken, again.address());
        } finally {
            on(0, () -> {
                server0.close();
                return null;
            });
        }
        // A port held by someone outside percore: the kernel says EADDRINUSE.
        try (java.net.ServerSocket other = new java.net.ServerSocket()) {
            other.bind(new InetSocketAddress("127.0.0.1", 0));
            SocketAddress held = SocketAddress.of("127.0.0.1", other.getLocalPort());
            NetException.AddressInUse e = on(1, () ->
                    assertThrows(NetException.AddressInUse.class, () -> stack().listen(held, ListenOptions.defaults())));
            assertEquals(Errno.EADDRINUSE, e.errno());
            assertEquals(held, e.address());
        }
    }

    @Test
    void aPeerResetMidTransferFailsOnlyItsOwnConnection() throws Exception {
        SocketAddress address = on(0, () -> {
            server0 = stack().listen(loopback(false), ListenOptions.defaults());
            return server0.localAddress();
        });
        try {
            // The victim: a plain JDK client that sends a little, reads nothing, then dies with a reset.
            java.net.Socket victim = new java.net.Socket();
            victim.connect(new InetSocketAddress("127.0.0.1", address.port()), 5000);
            CompletableFuture<Throwable[]> victimSide = start(0, () -> {
                ServerSocket.AcceptResult r = await(server0.accept());
                ConnectedSocket s = r.socket();
                // Reads and writes run at once; both must fail with the reset, naming the peer.
                Future<Throwable> reading = Futures.repeat(() -> s.input().read().map(b -> {
                    boolean end = b.isEmpty();
                    b.release();
                    return end;
                })).handle((v, e) -> e);
                Future<Throwable> writing = Futures.repeat(() -> {
                    Buffer chunk = Buffer.allocate(64 << 10);
                    return s.output().write(chunk).map(v -> false);
                }).handle((v, e) -> e);
                Throwable readFailure = await(reading);
                Throwable writeFailure = await(writing);
                Throwable later = await(s.output().flush().handle((v, e) -> e));
                await(s.close());
                return new Throwable[] {readFailure, writeFailure, later, new RuntimeException(r.remoteAddress().toString())};
            });
            OutputStream vout = victim.getOutputStream();
            vout.write(new byte[1000]);
            vout.flush();
            Thread.sleep(200); // the server's writes fill the buffers meanwhile
            victim.setSoLinger(true, 0);
            victim.close();

            // A healthy connection on the same server keeps working afterwards.
            CompletableFuture<Void> healthyServer = start(0, () -> {
                ConnectedSocket s = await(server0.accept()).socket();
                await(echo(s));
                return null;
            });
            String reply = on(1, () -> {
                ConnectedSocket c = await(stack().connect(address));
                await(c.output().write(Buffer.copyOf("still here")));
                await(c.output().close());
                String got = readString(c.input(), 100);
                await(c.close());
                return got;
            });
            assertEquals("still here", reply);
            join(healthyServer);

            Throwable[] failures = join(victimSide);
            String peer = failures[3].getMessage();
            for (int i = 0; i < 3; i++) {
                NetException.ConnectionReset e = assertInstanceOf(NetException.ConnectionReset.class, failures[i],
                        "failure " + i + ": " + failures[i]);
                assertTrue(e.errno() == Errno.ECONNRESET || e.errno() == Errno.EPIPE, "errno " + e.errno());
                assertEquals(peer, e.address().toString());
            }
        } finally {
            on(0, () -> {
                server0.close();
                return null;
            });
        }
    }

    @Test
    void connectTimesOutWhenTheListenerIsFullAndClosesTheAttempt() throws Exception {
        SocketAddress full = on(0, () -> {
            server0 = stack().listen(loopback(false), ListenOptions.defaults().withBacklog(1));
            return server0.localAddress();
        });
        try {
            Object[] outcome = on(1, () -> {
                List<ConnectedSocket> made = new ArrayList<>();
                Throwable failure = null;
                long took = 0;
                // Nobody accepts: once the accept queue is full the kernel drops SYNs, and a connect waits.
                for (int i = 0; i < 20 && failure == null; i++) {
                    long t0 = System.nanoTime();
                    Future<ConnectedSocket> f = stack().connect(full, Duration.ofMillis(300));
                    Throwable e = await(f.handle((s, err) -> {
                        if (s != null) {
                            made.add(s);
                        }
                        return err;
                    }));
                    took = (System.nanoTime() - t0) / 1_000_000;
                    failure = e;
                }
                for (ConnectedSocket s : made) {
                    await(s.close());
                }
                return new Object[] {failure, took};
            });
            NetException.TimedOut e = assertInstanceOf(NetException.TimedOut.class, outcome[0]);
            assertEquals(full, e.address());
            assertEquals(0, e.errno(), "percore's own timeout carries no errno");
            long took = (Long) outcome[1];
            assertTrue(took >= 250 && took < 5_000, "timed out after " + took + " ms");
        } finally {
            on(0, () -> {
                server0.close();
                return null;
            });
        }
    }

    @Test
    void abortAcceptWakesPendingAcceptsAndStopsRoutingToThatShard() throws Exception {
        SocketAddress address = on(0, () -> {
            server0 = stack().listen(loopback(false), ListenOptions.defaults());
            return server0.localAddress();
        });
        on(1, () -> {
            server1 = stack().listen(address, ListenOptions.defaults());
            return null;
        });
        try {
            List<Throwable> woken = on(0, () -> {
                List<Future<Throwable>> pending = new ArrayList<>();
                for (int i = 0; i < 3; i++) {
                    pending.add(server0.accept().handle((r, e) -> e));
                }
                await(Timer.sleep(Duration.ofMillis(20)));
                for (Future<Throwable> f : pending) {
                    assertTrue(!f.isDone(), "accepts wait while nobody connects");
                }
                server0.abortAccept();
                List<Throwable> all = new ArrayList<>();
                for (Future<Throwable> f : pending) {
                    all.add(await(f));
                }
                all.add(await(server0.accept().handle((r, e) -> e)));
                return all;
            });
            assertEquals(4, woken.size());
            for (Throwable t : woken) {
                NetException.AcceptAborted e = assertInstanceOf(NetException.AcceptAborted.class, t);
                assertEquals(address, e.address());
                assertEquals(0, e.errno());
            }
            // Shard 1 still accepts, and now takes every connection.
            CompletableFuture<Integer> shard1 = start(1, () -> {
                int n = 0;
                for (int i = 0; i < 4; i++) {
                    ConnectedSocket s = await(server1.accept()).socket();
                    n++;
                    drain(s.input(), new CRC32());
                    await(s.close());
                }
                return n;
            });
            on(0, () -> {
                for (int i = 0; i < 4; i++) {
                    ConnectedSocket c = await(stack().connect(address));
                    await(c.output().close());
                    assertTrue(await(c.input().read()).isEmpty());
                    await(c.close());
                }
                return null;
            });
            assertEquals(4, join(shard1));
        } finally {
            on(0, () -> {
                server0.close();
                return null;
            });
            on(1, () -> {
                server1.close();
                return null;
            });
        }
    }

    @Test
    void closingASocketFailsItsPendingOperationsAndLaterOnes() throws Exception {
        SocketAddress address = on(0, () -> {
            server0 = stack().listen(loopback(true), ListenOptions.defaults());
            return server0.localAddress();
        });
        try {
            CompletableFuture<ConnectedSocket> accepted = start(0, () -> await(server0.accept()).socket());
            on(1, () -> {
                ConnectedSocket c = await(stack().connect(address));
                Future<Throwable> read = c.input().read().handle((b, e) -> e);
                await(Timer.sleep(Duration.ofMillis(10)));
                await(c.close());
                assertInstanceOf(NetException.SocketClosed.class, await(read));
                assertInstanceOf(NetException.SocketClosed.class, await(c.input().read().handle((b, e) -> e)));
                assertInstanceOf(NetException.SocketClosed.class,
                        await(c.output().write(Buffer.copyOf("late")).handle((v, e) -> e)));
                assertNull(await(c.close().handle((v, e) -> e)), "closing twice is fine");
                return null;
            });
            on(0, () -> {
                ConnectedSocket s = join(accepted);
                assertTrue(await(s.input().read()).isEmpty(), "the peer sees our FIN");
                await(s.close());
                return null;
            });
        } finally {
            on(0, () -> {
                server0.close();
                return null;
            });
        }
    }
}
