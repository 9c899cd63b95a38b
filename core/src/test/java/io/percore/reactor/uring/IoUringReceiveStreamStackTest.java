package io.percore.reactor.uring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.percore.core.Async;
import io.percore.core.Future;
import io.percore.core.Reactor;
import io.percore.core.ReactorConfig;
import io.percore.core.Shard;
import io.percore.memory.Buffer;
import io.percore.net.ConnectedSocket;
import io.percore.net.InputStream;
import io.percore.net.ListenOptions;
import io.percore.net.ServerSocket;
import io.percore.net.SocketAddress;
import io.percore.net.posix.PosixStack;
import io.percore.smp.Smp;
import io.percore.smp.SmpConfig;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The POSIX stack over io_uring reading through multishot receives: TCP data arrives in ring buffers, a reader
 * slower than its sender stops the receive instead of queueing without bound, closing with buffers still held
 * is safe, and turning the feature off falls back to one RECV per read.
 */
@Timeout(90)
class IoUringReceiveStreamStackTest {
    private static final long BODY_SECONDS = 40;
    private static Smp smp;
    private static PosixStack[] stacks;

    @BeforeAll
    static void start() throws Exception {
        try (IoUringBackend probe = IoUringBackend.create()) {
            assumeTrue(probe.usesReceiveStreams(), "this kernel has no multishot receive (Linux 6.0)");
        }
        ReactorConfig d = ReactorConfig.defaults();
        ReactorConfig config = new ReactorConfig(d.taskQuotaNanos(), d.idlePollNanos(), d.pollMode(),
                Duration.ofSeconds(1).toNanos(), "io_uring", d.memoryPerShard());
        smp = Smp.start(SmpConfig.of(2, config), r -> {});
        stacks = new PosixStack[2];
        smp.invokeOnAllExternal(id -> {
            stacks[id] = PosixStack.create();
            return Future.done();
        }).get(10, TimeUnit.SECONDS);
    }

    @AfterAll
    static void stop() {
        if (smp != null) {
            smp.stop();
            smp = null;
        }
    }

    private static PosixStack stack() {
        return stacks[Shard.currentId()];
    }

    private static IoUringBackend backend() {
        return (IoUringBackend) Reactor.current().backend();
    }

    private static <T> CompletableFuture<T> start(int shard, Callable<T> body) {
        return smp.submitExternal(shard, () -> Async.run(body));
    }

    private static <T> T join(CompletableFuture<T> f) throws Exception {
        try {
            return f.get(BODY_SECONDS, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof Exception ex) {
                throw ex;
            }
            if (e.getCause() instanceof Error err) {
                throw err;
            }
            throw e;
        }
    }

    private static <T> T on(int shard, Callable<T> body) throws Exception {
        return join(start(shard, body));
    }

    private static <T> T await(Future<T> f) {
        return Async.await(f);
    }

    /** Writes {@code total} bytes of a pattern in 64 KiB writes, honouring back-pressure; @return its CRC. */
    private static long sendPattern(ConnectedSocket c, long total) {
        CRC32 crc = new CRC32();
        byte[] chunk = new byte[64 << 10];
        long sent = 0;
        int round = 0;
        while (sent < total) {
            int n = (int) Math.min(chunk.length, total - sent);
            for (int i = 0; i < n; i++) {
                chunk[i] = (byte) (i * 7 + round);
            }
            crc.update(chunk, 0, n);
            await(c.output().write(Buffer.copyOf(java.util.Arrays.copyOf(chunk, n))));
            sent += n;
            round++;
        }
        await(c.output().flush());
        return crc.getValue();
    }

    /** Reads to end of stream; @return {bytes, crc}. */
    private static long[] drain(InputStream in) {
        return drain(in, new CRC32(), 0);
    }

    private static long[] drain(InputStream in, CRC32 crc, long total) {
        for (;;) {
            Buffer b = await(in.read());
            if (b.isEmpty()) {
                return new long[] {total, crc.getValue()};
            }
            crc.update(b.segment().asByteBuffer());
            total += b.length();
            b.release();
        }
    }

    private static ServerSocket server;

    private static SocketAddress listen() throws Exception {
        return on(0, () -> {
            server = stack().listen(SocketAddress.of("127.0.0.1", 0), ListenOptions.defaults());
            return server.localAddress();
        });
    }

    private static void closeServer() throws Exception {
        on(0, () -> {
            server.close();
            return null;
        });
    }

    private static long[] ringStats() throws Exception {
        return on(0, () -> {
            BufferRing r = backend().bufferRing();
            return r == null ? new long[] {0, 0, 0} : new long[] {r.lentTotal(), r.lent(), r.available()};
        });
    }

    /** Sends {@code total} bytes from shard 1 to shard 0; @return shard 0's {bytes, crc} and shard 1's crc. */
    private static long[] transfer(long total) throws Exception {
        SocketAddress at = listen();
        try {
            CompletableFuture<long[]> received = start(0, () -> {
                ConnectedSocket s = await(server.accept()).socket();
                long[] got = drain(s.input());
                await(s.close());
                return got;
            });
            long sentCrc = on(1, () -> {
                ConnectedSocket c = await(stack().connect(at));
                long crc = sendPattern(c, total);
                await(c.output().close());
                await(c.close());
                return crc;
            });
            long[] got = join(received);
            return new long[] {got[0], got[1], sentCrc};
        } finally {
            closeServer();
        }
    }

    @Test
    void bulkDataArrivesThroughRingBuffersAndAllGoBack() throws Exception {
        long total = 8L << 20;
        long lentBefore = ringStats()[0];
        long[] r = transfer(total);
        assertEquals(total, r[0]);
        assertEquals(r[2], r[1], "checksums match");
        long[] after = ringStats();
        assertTrue(after[0] - lentBefore >= total / IoUringBackend.DEFAULT_RECV_BUFFER_SIZE,
                "the data came in ring buffers: " + (after[0] - lentBefore) + " lent");
        assertEquals(0, after[1], "every buffer was returned");
    }

    @Test
    void turnedOffTheStackFallsBackToOneReceivePerRead() throws Exception {
        smp.invokeOnAllExternal(id -> {
            backend().setReceiveStreams(false);
            return Future.done();
        }).get(10, TimeUnit.SECONDS);
        try {
            long lentBefore = ringStats()[0];
            long total = 4L << 20;
            long[] r = transfer(total);
            assertEquals(total, r[0]);
            assertEquals(r[2], r[1], "checksums match");
            assertEquals(lentBefore, ringStats()[0], "no ring buffer was used");
        } finally {
            smp.invokeOnAllExternal(id -> {
                backend().setReceiveStreams(true);
                return Future.done();
            }).get(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void zeroCopySendsCarryLargeWritesIntact() throws Exception {
        smp.invokeOnAllExternal(id -> {
            backend().setZeroCopyThreshold(16 << 10);
            return Future.done();
        }).get(10, TimeUnit.SECONDS);
        try {
            long total = 8L << 20;
            long[] r = transfer(total);
            assertEquals(total, r[0]);
            assertEquals(r[2], r[1], "checksums match");
            long[] zc = on(1, () -> new long[] {backend().zeroCopySends(), backend().zeroCopyNotifications(),
                backend().pendingOperations()});
            assertTrue(zc[0] >= 1, "the client's 64 KiB writes went out with SEND_ZC");
            assertTrue(zc[1] >= 1, "notifications arrived");
        } finally {
            smp.invokeOnAllExternal(id -> {
                backend().setZeroCopyThreshold(0);
                return Future.done();
            }).get(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void aReaderSlowerThanItsSenderHoldsABoundedShareOfTheRing() throws Exception {
        long total = 16L << 20;
        SocketAddress at = listen();
        try {
            CompletableFuture<long[]> received = start(0, () -> {
                ConnectedSocket s = await(server.accept()).socket();
                // One read arms the receive; then none for a while: the sender fills the stream's share.
                Buffer first = await(s.input().read());
                CRC32 crc = new CRC32();
                crc.update(first.segment().asByteBuffer());
                long firstBytes = first.length();
                first.release();
                Async.sleep(Duration.ofMillis(400));
                BufferRing ring = backend().bufferRing();
                int lent = ring.lent();
                assertTrue(lent <= ring.count() / 2, "an idle reader holds " + lent + " of " + ring.count()
                        + " buffers");
                assertTrue(lent >= 1, "the receive ran ahead of the reader");
                long[] got = drain(s.input(), crc, firstBytes);
                await(s.close());
                return got;
            });
            CompletableFuture<Long> sent = start(1, () -> {
                ConnectedSocket c = await(stack().connect(at));
                long crc = sendPattern(c, total);
                await(c.output().close());
                await(c.close());
                return crc;
            });
            long[] got = join(received);
            assertEquals(total, got[0]);
            assertEquals(join(sent), got[1], "checksums match");
            assertEquals(0, ringStats()[1], "every buffer was returned");
        } finally {
            closeServer();
        }
    }

    @Test
    void closingAConnectionWhileItsBuffersAreHeldKeepsThemValid() throws Exception {
        SocketAddress at = listen();
        try {
            CompletableFuture<String> received = start(0, () -> {
                ConnectedSocket s = await(server.accept()).socket();
                Buffer held = await(s.input().read());
                Async.sleep(Duration.ofMillis(100)); // more data queues in the stream meanwhile
                await(s.close());
                String text = held.toString(java.nio.charset.StandardCharsets.US_ASCII);
                held.release();
                return text;
            });
            on(1, () -> {
                ConnectedSocket c = await(stack().connect(at));
                await(c.output().write(Buffer.copyOf("first")));
                await(c.output().flush());
                Async.sleep(Duration.ofMillis(30));
                for (int i = 0; i < 5; i++) {
                    await(c.output().write(Buffer.copyOf("more data " + i)));
                    await(c.output().flush());
                }
                Async.sleep(Duration.ofMillis(200));
                await(c.close());
                return null;
            });
            assertTrue(join(received).startsWith("first"));
            long[] stats = ringStats();
            assertEquals(0, stats[1], "the held buffer and the queued ones all went back");
        } finally {
            closeServer();
        }
    }
}
