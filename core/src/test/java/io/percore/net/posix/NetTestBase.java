package io.percore.net.posix;

import io.percore.core.Async;
import io.percore.core.Future;
import io.percore.core.Futures;
import io.percore.core.ReactorConfig;
import io.percore.core.Shard;
import io.percore.memory.Buffer;
import io.percore.net.ConnectedSocket;
import io.percore.net.InputStream;
import io.percore.net.ServerSocket;
import io.percore.net.SocketAddress;
import io.percore.smp.Smp;
import io.percore.smp.SmpConfig;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.zip.CRC32;

/**
 * The base of the network behaviour suites (Netty's "one suite, many transports"): each concrete suite is a
 * {@code @ParameterizedClass} over {@link IoMode#all()}, starts its shards with the mode's reactor backend,
 * gives every shard a {@link PosixStack} driven the mode's way, and runs its test bodies on the shards as
 * straight-line {@link Async} code.
 */
abstract class NetTestBase {
    /** The mode of this class invocation (JUnit injects it; the shards were started with it). */
    @org.junit.jupiter.params.Parameter
    IoMode ioMode;

    /** Loose bound for one test body on a noisy two-core machine. */
    static final long BODY_SECONDS = 30;

    static Smp smp;
    static IoMode mode;
    /** Each shard's stack, touched only by that shard. */
    static PosixStack[] stacks;

    static void startShards(IoMode m, int shards) throws Exception {
        mode = m;
        ReactorConfig d = ReactorConfig.defaults();
        ReactorConfig config = new ReactorConfig(d.taskQuotaNanos(), d.idlePollNanos(), d.pollMode(),
                Duration.ofSeconds(1).toNanos(), m.backend(), d.memoryPerShard());
        smp = Smp.start(SmpConfig.of(shards, config), r -> {});
        stacks = new PosixStack[shards];
        smp.invokeOnAllExternal(id -> {
            stacks[id] = m.createStack();
            return Future.done();
        }).get(10, TimeUnit.SECONDS);
    }

    static void stopShards() {
        if (smp != null) {
            smp.stop();
            smp = null;
            stacks = null;
        }
    }

    /** @return the calling shard's stack. */
    static PosixStack stack() {
        return stacks[Shard.currentId()];
    }

    /** Runs {@code body} on {@code shard} and waits for it; its failure (an assertion included) is rethrown. */
    static <T> T on(int shard, Callable<T> body) throws Exception {
        return join(start(shard, body));
    }

    /** Starts {@code body} on {@code shard} without waiting. */
    static <T> CompletableFuture<T> start(int shard, Callable<T> body) {
        return smp.submitExternal(shard, () -> Async.run(body));
    }

    /** Waits for a body started with {@link #start}; rethrows its failure as it was. */
    static <T> T join(CompletableFuture<T> f) throws Exception {
        try {
            return f.get(BODY_SECONDS, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof Exception ex) {
                throw ex;
            }
            if (c instanceof Error err) {
                throw err;
            }
            throw e;
        }
    }

    static <T> T await(Future<T> f) {
        return Async.await(f);
    }

    /** @return the loopback address of the family, port 0. */
    static SocketAddress loopback(boolean ipv6) {
        return SocketAddress.of(ipv6 ? "::1" : "127.0.0.1", 0);
    }

    /** Accepts until the server socket is aborted or closed, handing each connection to {@code handler}. */
    static Future<Void> serve(ServerSocket server, Consumer<ConnectedSocket> handler) {
        return Futures.keepDoing(() -> server.accept().thenAccept(r -> handler.accept(r.socket())));
    }

    /** Echoes everything it reads until end of stream, then closes its output and the socket. */
    static Future<Void> echo(ConnectedSocket s) {
        return Futures.repeat(() -> s.input().read().flatMap(b -> {
            if (b.isEmpty()) {
                return Future.ready(true);
            }
            return s.output().write(b).then(() -> s.output().flush()).map(v -> false);
        })).then(() -> s.output().close()).finallyDoAsync(s::close);
    }

    /** Reads to end of stream, checksumming; @return the byte count. In an Async body. */
    static long drain(InputStream in, CRC32 crc) {
        long total = 0;
        for (;;) {
            Buffer b = await(in.read());
            if (b.isEmpty()) {
                return total;
            }
            update(crc, b);
            total += b.length();
            b.release();
        }
    }

    static void update(CRC32 crc, Buffer b) {
        ByteBuffer bb = b.segment().asByteBuffer();
        crc.update(bb);
    }

    /** Reads exactly {@code n} bytes (or up to end of stream) as a string. In an Async body. */
    static String readString(InputStream in, int n) {
        StringBuilder sb = new StringBuilder();
        while (sb.length() < n) {
            Buffer b = await(in.read());
            if (b.isEmpty()) {
                break;
            }
            sb.append(b.toString(java.nio.charset.StandardCharsets.UTF_8));
            b.release();
        }
        return sb.toString();
    }
}
